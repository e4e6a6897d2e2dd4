#include "ops/registry.h"

namespace wrun::ops {

const Registry& Registry::builtin() {
  static const Registry r = [] {
    Registry reg;
    // The explicit list of op families linked into wrun.
    for (auto family :
         {elementwise_schemas(), linalg_schemas(), conv_schemas(), normalization_schemas(),
          reduce_schemas(), tensor_schemas(), control_schemas(), pool_schemas(), rnn_schemas(),
          quant_schemas(), selection_schemas(), resize_schemas(), einsum_schemas()})
      reg.schemas_.insert(reg.schemas_.end(), family.begin(), family.end());
    return reg;
  }();
  return r;
}

static bool same_domain(std::string_view a, std::string_view b) {
  auto norm = [](std::string_view d) { return d == "ai.onnx" ? std::string_view() : d; };
  return norm(a) == norm(b);
}

const OpSchema* Registry::find(std::string_view domain, std::string_view op, int64_t opset) const {
  for (const auto& s : schemas_)
    if (s.op == op && same_domain(s.domain, domain) && opset >= s.opset_min && opset <= s.opset_max)
      return &s;
  return nullptr;
}

bool Registry::knows(std::string_view domain, std::string_view op) const {
  for (const auto& s : schemas_)
    if (s.op == op && same_domain(s.domain, domain)) return true;
  return false;
}

Dim InferContext::unknown_dim() {
  if (!model_) fail("an output extent depends on data that is not available");
  return Dim::symbol(model_->symbol("unk__" + std::to_string(model_->symbols.size())));
}

}  // namespace wrun::ops
