// Expand: numpy broadcast of the input to a shape, a strided copy with zero strides.
#include "ops/tensor/strided_copy.h"
#include "ops/tensor/tensor_ops.h"
#include "ops/tensor/tensor_util.h"

namespace wrun::ops::tensor {

void infer_expand(InferContext& ctx) {
  movable_size(ctx, 0);
  check_int_input(ctx, 1);
  const DType dt = ctx.input_dtype(0);
  const SymShape& in = ctx.input_shape(0);
  const TensorView* sv = known_input(ctx, 1);
  if (sv) {
    if (sv->numel() > kMaxRank)
      ctx.fail("shape has ", sv->numel(), " entries, more than ", kMaxRank);
    SymShape target;
    target.rank = 0;
    for (int64_t i = 0; i < sv->numel(); ++i) {
      const int64_t v = read_int(*sv, i);
      if (v < 0) ctx.fail("invalid shape entry ", v);
      target.push(Dim::known(v));
    }
    SymShape out;
    if (!broadcast_shapes(in, target, &out))
      ctx.fail("input shape cannot be broadcast to the target shape");
    ctx.set_output(0, dt, out);
    return;
  }
  const int64_t n = list_length(ctx, 1);
  if (n < 0 || !in.rank_known()) {
    ctx.set_output(0, dt, SymShape{});
    return;
  }
  // Unknown target: an input extent other than 1 survives the broadcast, the rest is unknown.
  const int64_t r = std::max<int64_t>(n, in.rank);
  if (r > kMaxRank) ctx.fail("output rank ", r, " exceeds ", kMaxRank);
  SymShape out;
  out.rank = static_cast<int>(r);
  for (int i = 0; i < out.rank; ++i) {
    const int j = i - (out.rank - in.rank);
    const bool keep = j >= 0 && in.d[j].is_known() && in.d[j].value != 1;
    out.d[i] = keep ? in.d[j] : ctx.unknown_dim();
  }
  ctx.set_output(0, dt, out);
}

void run_expand(RunContext& ctx) {
  const TensorView& in = ctx.in(0);
  TensorView& out = ctx.out(0);
  int64_t ss[kMaxRank], ds[kMaxRank];
  broadcast_strides(in, out.shape, ss);
  contiguous_strides(out.shape, ds);
  strided_copy(in.data, ss, out.data, ds, out.shape, dtype_size(in.dtype));
}

}  // namespace wrun::ops::tensor
