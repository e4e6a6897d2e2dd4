#include "ops/evaluate.h"

#include <cstdlib>

#include "ops/registry.h"

namespace wrun::ops {

int kernel_count(const graph::Node& node, int64_t opset) {
  const OpSchema* s = Registry::builtin().find(node.domain, node.op_type, opset);
  return s ? static_cast<int>(s->kernels.size()) : 0;
}

std::vector<std::shared_ptr<graph::Constant>> evaluate(
    const graph::Node& node, std::span<const graph::Constant* const> inputs,
    const EvalOptions& opts) {
  const OpSchema* schema = Registry::builtin().find(node.domain, node.op_type, opts.opset);
  if (!schema) fail("no kernel for op ", node.op_type, " at opset ", opts.opset);
  WRUN_CHECK(opts.kernel_index >= 0 && opts.kernel_index < static_cast<int>(schema->kernels.size()),
             node.op_type, ": kernel index ", opts.kernel_index, " out of range");
  const size_t ni = inputs.size(), no = node.outputs.size();
  std::vector<DType> in_dt(ni, DType::kUndefined);
  std::vector<SymShape> in_sh(ni);
  std::vector<TensorView> in_views(ni);
  std::vector<const TensorView*> in_vals(ni, nullptr);
  for (size_t i = 0; i < ni; ++i) {
    if (!inputs[i]) continue;
    in_dt[i] = inputs[i]->dtype;
    in_sh[i] = SymShape::of(inputs[i]->shape);
    in_views[i] = inputs[i]->view();
    in_vals[i] = &in_views[i];
  }
  std::vector<DType> out_dt(no, DType::kUndefined);
  std::vector<SymShape> out_sh(no);
  InferContext ictx(node, opts.opset, in_dt, in_sh, in_vals, out_dt, out_sh, nullptr);
  schema->infer(ictx);

  const KernelImpl& k = schema->kernels[opts.kernel_index];
  if (k.supports) {
    SupportQuery q{node, opts.opset, in_dt, in_sh, in_vals, arch::cpu_features()};
    std::string why = k.supports(q);
    if (!why.empty())
      fail(node.op_type, " kernel '", k.name, "' does not support this node: ", why);
  }
  std::vector<std::shared_ptr<graph::Constant>> outs(no);
  std::vector<TensorView> out_views(no);
  for (size_t o = 0; o < no; ++o) {
    if (out_dt[o] == DType::kUndefined) continue;
    WRUN_CHECK(out_sh[o].fully_known(), node.op_type, ": output ", o, " shape not inferred");
    outs[o] = graph::Constant::allocate(out_dt[o], out_sh[o].concrete());
    out_views[o] = outs[o]->view();
  }
  PrepareContext pctx{node, opts.opset, in_views, out_views, arch::cpu_features(), nullptr, 0};
  if (k.prepare) k.prepare(pctx);
  void* scratch = nullptr;
  if (pctx.scratch_bytes) {
    scratch = std::aligned_alloc(64, (pctx.scratch_bytes + 63) / 64 * 64);
    WRUN_CHECK(scratch, "out of memory for scratch");
  }
  RunContext rctx{node,      opts.opset, pctx.state.get(),   in_views,
                  out_views, scratch,    pctx.scratch_bytes, opts.pool};
  try {
    k.run(rctx);
  } catch (...) {
    std::free(scratch);
    throw;
  }
  std::free(scratch);
  return outs;
}

}  // namespace wrun::ops
