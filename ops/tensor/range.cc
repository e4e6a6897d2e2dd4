// Range: start, start + delta, ... below limit (above it for a negative delta).
#include <cmath>

#include "ops/tensor/tensor_ops.h"
#include "ops/tensor/tensor_util.h"

namespace wrun::ops::tensor {
namespace {

template <class T>
T scalar_at(const TensorView& t) {
  T v;
  std::memcpy(&v, t.data, sizeof v);
  return v;
}

// Calls f(T{}) for the dtypes Range supports.
template <class F>
auto dispatch_range(DType dt, const graph::Node& node, F&& f) {
  switch (dt) {
    case DType::kF32:
      return f(float{});
    case DType::kF64:
      return f(double{});
    case DType::kI16:
      return f(int16_t{});
    case DType::kI32:
      return f(int32_t{});
    case DType::kI64:
      return f(int64_t{});
    default:
      fail("Range '", node.name, "': unsupported dtype ", dtype_name(dt));
  }
}

// max(ceil((limit - start) / delta), 0), in the element type as the spec computes it.
template <class T>
int64_t range_count(const TensorView& s, const TensorView& l, const TensorView& d,
                    const graph::Node& node) {
  const T start = scalar_at<T>(s), limit = scalar_at<T>(l), delta = scalar_at<T>(d);
  if (delta == 0) fail("Range '", node.name, "': delta is 0");
  if constexpr (std::is_floating_point_v<T>) {
    const double n = std::ceil(static_cast<double>(static_cast<T>(limit - start) / delta));
    if (!(n < 9.0e18)) fail("Range '", node.name, "': too many elements");
    return n > 0 ? static_cast<int64_t>(n) : 0;
  } else {
    // Hostile scalars: limit - start and INT64_MIN / -1 overflow.
    int64_t diff;
    if (__builtin_sub_overflow(static_cast<int64_t>(limit), static_cast<int64_t>(start), &diff) ||
        (diff == INT64_MIN && delta == -1))
      fail("Range '", node.name, "': too many elements");
    const int64_t dl = delta;
    int64_t q = diff / dl;
    if (q * dl != diff && ((diff > 0) == (dl > 0))) ++q;  // ceil
    return q > 0 ? q : 0;
  }
}

}  // namespace

void infer_range(InferContext& ctx) {
  const DType dt = ctx.input_dtype(0);
  for (int i = 0; i < 3; ++i) {
    if (!ctx.has_input(i)) ctx.fail("input ", i, " is missing");
    if (ctx.input_dtype(i) != dt) ctx.fail("inputs must have the same dtype");
    if (ctx.input_shape(i).rank > 0 &&
        !(ctx.input_shape(i).rank == 1 && ctx.input_shape(i).d[0] == Dim::known(1)))
      ctx.fail("input ", i, " must be a scalar");
  }
  SymShape out;
  out.rank = 1;
  const TensorView *s = known_input(ctx, 0), *l = known_input(ctx, 1), *d = known_input(ctx, 2);
  if (s && l && d) {
    out.d[0] = Dim::known(dispatch_range(
        dt, ctx.node(), [&](auto z) { return range_count<decltype(z)>(*s, *l, *d, ctx.node()); }));
  } else {
    dispatch_range(dt, ctx.node(), [](auto) { return 0; });  // dtype check
    out.d[0] = ctx.unknown_dim();
  }
  ctx.set_output(0, dt, out);
}

void run_range(RunContext& ctx) {
  TensorView& out = ctx.out(0);
  dispatch_range(out.dtype, ctx.node, [&](auto z) {
    using T = decltype(z);
    const T start = scalar_at<T>(ctx.in(0)), delta = scalar_at<T>(ctx.in(2));
    T* o = out.as<T>();
    for (int64_t i = 0; i < out.numel(); ++i)
      o[i] = static_cast<T>(start + static_cast<T>(i) * delta);
    return 0;
  });
}

}  // namespace wrun::ops::tensor
