// Slice: a strided view of the input (offset base, strides scaled by the steps) copied out.
#include <limits>

#include "ops/tensor/strided_copy.h"
#include "ops/tensor/tensor_ops.h"
#include "ops/tensor/tensor_util.h"

namespace wrun::ops::tensor {
namespace {

// Slice arguments: attributes before opset 10 (no steps), inputs 1..4 from opset 10.
struct SliceArgs {
  IntList starts, ends, axes, steps;
  bool has_axes = false, has_steps = false;
  bool known() const {
    return starts.known() && ends.known() && (!has_axes || axes.known()) &&
           (!has_steps || steps.known());
  }
  int64_t axis(int64_t i) const { return has_axes ? axes[i] : i; }
  int64_t step(int64_t i) const { return has_steps ? steps[i] : 1; }
};

template <class Get>
SliceArgs slice_args(const graph::Node& node, int64_t opset, Get&& input) {
  SliceArgs a;
  if (opset < 10) {
    a.starts = IntList::of_attr(node, "starts");
    a.ends = IntList::of_attr(node, "ends");
    a.axes = IntList::of_attr(node, "axes");
    a.has_axes = a.axes.known();
    if (!a.starts.known() || !a.ends.known())
      fail("Slice '", node.name, "': missing attribute 'starts' or 'ends'");
    return a;
  }
  bool present = false;
  a.starts = IntList::of_view(input(1, &present));
  a.ends = IntList::of_view(input(2, &present));
  a.axes = IntList::of_view(input(3, &present));
  a.has_axes = present;
  a.steps = IntList::of_view(input(4, &present));
  a.has_steps = present;
  return a;
}

// Checks lengths, axes and steps; calls f(axis, start, end, step) for each sliced axis.
template <class F>
void for_each_axis(const SliceArgs& a, int rank, const graph::Node& node, F&& f) {
  const int64_t n = a.starts.size();
  if (a.ends.size() != n || (a.has_axes && a.axes.size() != n) ||
      (a.has_steps && a.steps.size() != n))
    fail("Slice '", node.name, "': starts, ends, axes and steps must have the same length");
  bool seen[kMaxRank] = {};
  for (int64_t i = 0; i < n; ++i) {
    const int ax = normalize_axis(a.axis(i), rank, node);
    if (seen[ax]) fail("Slice '", node.name, "': axis ", a.axis(i), " given twice");
    seen[ax] = true;
    const int64_t step = a.step(i);
    if (step == 0) fail("Slice '", node.name, "': step is 0");
    f(ax, a.starts[i], a.ends[i], step);
  }
}

// First index and count along one axis of extent dim (ONNX clamping rules).
void slice_axis(int64_t start, int64_t end, int64_t step, int64_t dim, int64_t* first,
                int64_t* count) {
  *first = 0;
  *count = 0;
  if (dim == 0) return;
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
    if (end > start) *count = (end - start - 1) / step + 1;
  } else {
    start = std::clamp<int64_t>(start, 0, dim - 1);
    end = std::clamp<int64_t>(end, -1, dim - 1);
    const int64_t neg =
        step == std::numeric_limits<int64_t>::min() ? std::numeric_limits<int64_t>::max() : -step;
    if (start > end) *count = (start - end - 1) / neg + 1;
  }
  *first = start;
}

}  // namespace

void infer_slice(InferContext& ctx) {
  movable_size(ctx, 0);
  const graph::Node& node = ctx.node();
  const DType dt = ctx.input_dtype(0);
  const SymShape& in = ctx.input_shape(0);
  if (ctx.opset() >= 10) {
    if (!ctx.has_input(1) || !ctx.has_input(2))
      ctx.fail("inputs 1 (starts) and 2 (ends) are required");
    for (int i = 1; i < 5; ++i)
      if (ctx.has_input(i)) check_int_input(ctx, i);
  }
  SliceArgs a = slice_args(node, ctx.opset(), [&](int i, bool* present) {
    *present = ctx.has_input(i);
    return known_input(ctx, i);
  });
  if (!in.rank_known()) {
    ctx.set_output(0, dt, SymShape{});
    return;
  }
  SymShape out = in;
  if (!a.known()) {
    // Which axes change is known only if the axes are; their extents are not.
    if (!a.has_axes || a.axes.known()) {
      const int64_t n = a.has_axes ? a.axes.size() : list_length(ctx, 1);
      if (n >= 0) {
        for (int64_t i = 0; i < n; ++i)
          out.d[normalize_axis(a.axis(i), in.rank, node)] = ctx.unknown_dim();
        ctx.set_output(0, dt, out);
        return;
      }
    }
    ctx.set_output(0, dt, unknown_shape(ctx, in.rank));
    return;
  }
  for_each_axis(a, in.rank, node, [&](int ax, int64_t start, int64_t end, int64_t step) {
    const Dim d = in.d[ax];
    if (d.is_known()) {
      int64_t first, count;
      slice_axis(start, end, step, d.value, &first, &count);
      out.d[ax] = Dim::known(count);
    } else if (start == 0 && step == 1 && end >= std::numeric_limits<int32_t>::max()) {
      out.d[ax] = d;  // [0:INT_MAX] keeps the whole symbolic extent
    } else {
      out.d[ax] = ctx.unknown_dim();
    }
  });
  ctx.set_output(0, dt, out);
}

void run_slice(RunContext& ctx) {
  const TensorView& in = ctx.in(0);
  TensorView& out = ctx.out(0);
  SliceArgs a = slice_args(ctx.node, ctx.opset, [&](int i, bool* present) {
    *present = ctx.has_in(i);
    return run_input(ctx, i);
  });
  const size_t es = dtype_size(in.dtype);
  int64_t ss[kMaxRank], ds[kMaxRank];
  Shape shape = in.shape;
  for (int i = 0; i < in.shape.rank; ++i) ss[i] = in.strides[i];
  const char* base = in.as<const char>();
  for_each_axis(a, in.shape.rank, ctx.node, [&](int ax, int64_t start, int64_t end, int64_t step) {
    int64_t first, count;
    slice_axis(start, end, step, in.shape.d[ax], &first, &count);
    base += first * in.strides[ax] * static_cast<int64_t>(es);
    ss[ax] = count > 1 ? in.strides[ax] * step : 0;  // avoids overflow for huge steps
    shape.d[ax] = count;
  });
  if (!(shape == out.shape))
    run_fail(ctx, "output shape ", out.shape.str(), " does not match slice ", shape.str());
  contiguous_strides(shape, ds);
  if (shape.numel() > 0) strided_copy(base, ss, out.data, ds, shape, es);
}

}  // namespace wrun::ops::tensor
