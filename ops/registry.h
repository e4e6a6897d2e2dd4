// The registry: one explicit table of every op wrun implements. Each op family contributes its
// rows through a function listed in registry.cc.
#pragma once
#include <span>
#include <string_view>
#include <vector>

#include "ops/kernel.h"

namespace wrun::ops {

class Registry {
 public:
  static const Registry& builtin();
  // The schema for (domain, op) valid at `opset`, or nullptr.
  const OpSchema* find(std::string_view domain, std::string_view op, int64_t opset) const;
  // True if any opset of this op is registered (for error messages).
  bool knows(std::string_view domain, std::string_view op) const;
  std::span<const OpSchema> all() const { return schemas_; }

 private:
  std::vector<OpSchema> schemas_;
};

// Family tables (one per folder under ops/).
std::span<const OpSchema> elementwise_schemas();
std::span<const OpSchema> linalg_schemas();         // MatMul, Gemm
std::span<const OpSchema> conv_schemas();           // Conv
std::span<const OpSchema> normalization_schemas();  // Softmax, LogSoftmax, LayerNormalization
std::span<const OpSchema> reduce_schemas();         // ReduceMean/Sum/Max
std::span<const OpSchema> tensor_schemas();         // shape and data movement ops
std::span<const OpSchema> control_schemas();        // If (run by the executor), Loop/Scan (parsed)

}  // namespace wrun::ops
