// GatherElements: out[i] = data[i with the axis coordinate replaced by indices[i]].
#include "ops/tensor/elem_util.h"
#include "ops/tensor/tensor_ops.h"
#include "ops/tensor/tensor_util.h"

namespace wrun::ops::tensor {

void infer_gather_elements(InferContext& ctx) {
  movable_size(ctx, 0);
  check_elements_indices(ctx, 1);
  ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(1));
}

void run_gather_elements(RunContext& ctx) {
  const TensorView& data = ctx.in(0);
  const TensorView& ind = ctx.in(1);
  TensorView& out = ctx.out(0);
  const int axis = normalize_axis(ctx.node.attr_i("axis", 0), data.shape.rank, ctx.node);
  const int64_t n = data.shape.d[axis];
  const int64_t es = static_cast<int64_t>(dtype_size(data.dtype));
  if (out.numel() == 0) return;
  const char* src = data.as<const char>();
  char* dst = out.as<char>();
  int64_t idx[kMaxRank] = {};
  do {
    const int64_t raw = load_index(ind, offset_of(ind, idx));
    const int64_t j = wrap_index(raw, n);
    if (j < 0) run_fail(ctx, "index ", raw, " out of range for axis ", axis, " of extent ", n);
    const int64_t off = offset_of(data, idx) + (j - idx[axis]) * data.strides[axis];
    std::memcpy(dst, src + off * es, static_cast<size_t>(es));
    dst += es;
  } while (next_index(ind.shape, idx));
}

}  // namespace wrun::ops::tensor
