// NonZero: the coordinates of the non-zero elements, one row per input axis. The count depends on
// the data: inference counts when the input's value is known (always at run time) and returns an
// unknown extent otherwise.
#include "ops/tensor/tensor_ops.h"
#include "ops/tensor/tensor_util.h"

namespace wrun::ops::tensor {
namespace {

// Zero test on the bits, element size-generic: float types ignore the sign bit (-0.0 is zero,
// NaN is not).
bool nonzero_at(const char* p, size_t es, bool fp) {
  uint64_t bits = 0;
  std::memcpy(&bits, p, es);  // little-endian: the element lands in the low bytes
  if (fp) bits &= ~(uint64_t{1} << (es * 8 - 1));
  return bits != 0;
}

// Calls f(multi-index) for every non-zero element of t, in row-major order.
template <class F>
void for_each_nonzero(const TensorView& t, F&& f) {
  if (t.numel() == 0) return;
  const size_t es = dtype_size(t.dtype);
  const bool fp = dtype_is_float(t.dtype);
  const char* p = t.as<const char>();
  int64_t idx[kMaxRank] = {};
  do {
    if (nonzero_at(p + offset_of(t, idx) * static_cast<int64_t>(es), es, fp)) f(idx);
  } while (next_index(t.shape, idx));
}

}  // namespace

void infer_nonzero(InferContext& ctx) {
  const size_t es = movable_size(ctx, 0);
  if (es > 8) ctx.fail("unsupported dtype ", dtype_name(ctx.input_dtype(0)));
  const SymShape& in = ctx.input_shape(0);
  SymShape out;
  out.rank = 2;
  // A scalar gives [0, n] (not numpy's [1, n]).
  out.d[0] = in.rank_known() ? Dim::known(in.rank) : ctx.unknown_dim();
  if (const TensorView* v = known_input(ctx, 0)) {
    int64_t n = 0;
    for_each_nonzero(*v, [&](const int64_t*) { ++n; });
    out.d[1] = Dim::known(n);
  } else {
    out.d[1] = ctx.unknown_dim();
  }
  ctx.set_output(0, DType::kI64, out);
}

void run_nonzero(RunContext& ctx) {
  const TensorView& in = ctx.in(0);
  TensorView& out = ctx.out(0);
  const int r = in.shape.rank;
  const int64_t n = out.shape.d[1];
  char* p = out.as<char>();
  int64_t t = 0;
  for_each_nonzero(in, [&](const int64_t* idx) {
    if (t >= n) run_fail(ctx, "more non-zero elements than the output holds (", n, ")");
    for (int k = 0; k < r; ++k) std::memcpy(p + (k * n + t) * 8, &idx[k], 8);
    ++t;
  });
  if (t != n) run_fail(ctx, "found ", t, " non-zero elements but the output holds ", n);
}

}  // namespace wrun::ops::tensor
