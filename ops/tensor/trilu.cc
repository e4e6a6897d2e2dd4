// Trilu: keeps the upper (j - i >= k) or lower (j - i <= k) triangle of the last two dims.
#include <algorithm>

#include "ops/tensor/tensor_ops.h"
#include "ops/tensor/tensor_util.h"

namespace wrun::ops::tensor {

void infer_trilu(InferContext& ctx) {
  movable_size(ctx, 0);
  const SymShape& in = ctx.input_shape(0);
  if (in.rank_known() && in.rank < 2) ctx.fail("input must have rank >= 2, got ", in.rank);
  if (ctx.has_input(1)) {
    check_int_input(ctx, 1);
    const SymShape& ks = ctx.input_shape(1);
    if (ks.rank > 1 || (ks.rank == 1 && !(ks.d[0] == Dim::known(1))))
      ctx.fail("k must be a scalar");
  }
  ctx.set_output(0, ctx.input_dtype(0), in);
}

void run_trilu(RunContext& ctx) {
  const TensorView& in = ctx.in(0);
  TensorView& out = ctx.out(0);
  if (out.numel() == 0) return;
  std::memcpy(out.data, in.data, in.bytes());
  const bool upper = ctx.node.attr_i("upper", 1) != 0;
  const int r = in.shape.rank;
  const int64_t rows = in.shape.d[r - 2], cols = in.shape.d[r - 1];
  // Clamped so that i + k cannot overflow; beyond these bounds the result no longer changes.
  const int64_t k =
      std::clamp<int64_t>(ctx.has_in(1) ? read_int(ctx.in(1), 0) : 0, -rows - 1, cols + 1);
  const int64_t mats = in.numel() / (rows * cols);
  const size_t es = dtype_size(in.dtype);
  char* p = out.as<char>();
  // Row i keeps columns [i + k, cols) when upper, [0, i + k] when lower; the rest is zeroed.
  for (int64_t m = 0; m < mats; ++m) {
    for (int64_t i = 0; i < rows; ++i) {
      char* row = p + ((m * rows + i) * cols) * static_cast<int64_t>(es);
      const int64_t edge = std::clamp<int64_t>(upper ? i + k : i + k + 1, 0, cols);
      if (upper)
        std::memset(row, 0, static_cast<size_t>(edge) * es);
      else
        std::memset(row + edge * static_cast<int64_t>(es), 0,
                    static_cast<size_t>(cols - edge) * es);
    }
  }
}

}  // namespace wrun::ops::tensor
