// OneHot: the output is filled with off_value, then on_value is written at each index's position
// along the new axis. Indices outside the valid range leave their row all off.
#include <cmath>

#include "ops/tensor/elem_util.h"
#include "ops/tensor/tensor_ops.h"
#include "ops/tensor/tensor_util.h"

namespace wrun::ops::tensor {
namespace {

// Depth is a numeric scalar (or one-element tensor); non-integer types are truncated.
template <class Fail>
int64_t depth_of(const TensorView& d, Fail&& fail_with) {
  if (d.numel() != 1) fail_with("depth must have one element, got ", d.numel());
  const double v = read_scalar(d, 0);
  if (!(v >= 0 && v < 9.2e18)) fail_with("depth must be a non-negative integer, got ", v);
  return static_cast<int64_t>(v);
}

int one_hot_axis(const graph::Node& node, int indices_rank) {
  // The output has one more axis than indices: axis is in [-r-1, r].
  return normalize_axis(node.attr_i("axis", -1), indices_rank + 1, node);
}

// Position along the new axis for index value v, or -1 for an all-off row. Negative indices
// count from the end from opset 11; before that they are out of range.
template <class C>
int64_t one_hot_position(C v, int64_t depth, int64_t opset) {
  double d = static_cast<double>(v);
  if (!(d > -9.2e18 && d < 9.2e18)) return -1;  // also NaN
  int64_t j = static_cast<int64_t>(d);
  if (j < 0 && opset >= 11) j += depth;
  return j >= 0 && j < depth ? j : -1;
}

}  // namespace

void infer_one_hot(InferContext& ctx) {
  const uint32_t numeric = elementwise::mask_of(NumericTypes{});
  if (!elementwise::in_mask(numeric, ctx.input_dtype(0)))
    ctx.fail("indices have unsupported dtype ", dtype_name(ctx.input_dtype(0)));
  if (!elementwise::in_mask(numeric, ctx.input_dtype(1)))
    ctx.fail("depth has unsupported dtype ", dtype_name(ctx.input_dtype(1)));
  movable_size(ctx, 2);
  const DType dt = ctx.input_dtype(2);
  const SymShape& vs = ctx.input_shape(2);
  if (vs.rank_known() && (vs.rank != 1 || !(vs.d[0] == Dim::known(2))))
    ctx.fail("values must have shape [2]");
  const SymShape& in = ctx.input_shape(0);
  if (!in.rank_known()) {
    ctx.set_output(0, dt, SymShape{});
    return;
  }
  if (in.rank + 1 > kMaxRank) ctx.fail("output rank ", in.rank + 1, " exceeds ", kMaxRank);
  const int axis = one_hot_axis(ctx.node(), in.rank);
  Dim depth;
  if (const TensorView* dv = known_input(ctx, 1))
    depth = Dim::known(depth_of(*dv, [&](const auto&... a) { ctx.fail(a...); }));
  else
    depth = ctx.unknown_dim();
  SymShape out;
  out.rank = 0;
  for (int i = 0; i < in.rank; ++i) {
    if (i == axis) out.push(depth);
    out.push(in.d[i]);
  }
  if (axis == in.rank) out.push(depth);
  ctx.set_output(0, dt, out);
}

void run_one_hot(RunContext& ctx) {
  const TensorView& ind = ctx.in(0);
  const TensorView& values = ctx.in(2);
  TensorView& out = ctx.out(0);
  const int axis = one_hot_axis(ctx.node, ind.shape.rank);
  const int64_t depth = depth_of(ctx.in(1), [&](const auto&... a) { run_fail(ctx, a...); });
  if (out.numel() == 0) return;
  const size_t es = dtype_size(values.dtype);
  const int64_t ies = static_cast<int64_t>(es);
  const char* off_value = values.as<const char>();
  const char* on_value = off_value + values.strides[0] * ies;
  fill_elements(out.data, out.numel(), off_value, es);
  // The output is [outer, depth, inner] with outer the indices dims before the axis.
  int64_t inner = 1;
  for (int i = axis; i < ind.shape.rank; ++i) inner *= ind.shape.d[i];
  char* dst = out.as<char>();
  const char* src = ind.as<const char>();
  elementwise::dispatch(NumericTypes{}, ind.dtype, [&](auto z) {
    using T = decltype(z);
    int64_t idx[kMaxRank] = {};
    int64_t p = 0;
    do {
      const auto v = Elem<T>::load(src + offset_of(ind, idx) * static_cast<int64_t>(sizeof(T)));
      const int64_t j = one_hot_position(v, depth, ctx.opset);
      if (j >= 0) {
        const int64_t o = p / inner, i = p % inner;
        std::memcpy(dst + ((o * depth + j) * inner + i) * ies, on_value, es);
      }
      ++p;
    } while (next_index(ind.shape, idx));
  });
}

}  // namespace wrun::ops::tensor
