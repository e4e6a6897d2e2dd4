// Concat and Split: strided copies into / out of offsets along the axis.
#include "ops/tensor/strided_copy.h"
#include "ops/tensor/tensor_ops.h"
#include "ops/tensor/tensor_util.h"

namespace wrun::ops::tensor {

void infer_concat(InferContext& ctx) {
  const int n = ctx.num_inputs();
  if (n == 0) ctx.fail("needs at least one input");
  const DType dt = ctx.input_dtype(0);
  movable_size(ctx, 0);
  const graph::Node& node = ctx.node();
  if (ctx.opset() >= 4 && !node.attr("axis")) ctx.fail("missing attribute 'axis'");
  const int64_t axis_attr = node.attr_i("axis", 1);  // opsets 1-3 default to 1
  int rank = -1;
  for (int i = 0; i < n; ++i) {
    if (!ctx.has_input(i)) ctx.fail("input ", i, " is missing");
    if (ctx.input_dtype(i) != dt)
      ctx.fail("input ", i, " is ", dtype_name(ctx.input_dtype(i)), " but input 0 is ",
               dtype_name(dt));
    const SymShape& s = ctx.input_shape(i);
    if (!s.rank_known()) continue;
    if (rank >= 0 && s.rank != rank)
      ctx.fail("input ", i, " has rank ", s.rank, " but the others have rank ", rank);
    rank = s.rank;
  }
  if (rank < 0) {
    ctx.set_output(0, dt, SymShape{});
    return;
  }
  if (rank == 0 || rank > kMaxRank) ctx.fail("cannot concatenate tensors of rank ", rank);
  const int axis = normalize_axis(axis_attr, rank, node);
  SymShape out;
  out.rank = rank;
  bool first = true;
  int64_t sum = 0;
  int nsym = 0;
  Dim sym;
  for (int i = 0; i < n; ++i) {
    const SymShape& s = ctx.input_shape(i);
    if (!s.rank_known()) {
      ++nsym;  // its extent along the axis is unknown
      continue;
    }
    for (int k = 0; k < rank; ++k) {
      if (k == axis) continue;
      if (first) {
        out.d[k] = s.d[k];
      } else if (s.d[k].is_known() && out.d[k].is_known()) {
        if (s.d[k].value != out.d[k].value)
          ctx.fail("input ", i, " has extent ", s.d[k].value, " on axis ", k, " but another has ",
                   out.d[k].value);
      } else if (s.d[k].is_known()) {
        out.d[k] = s.d[k];  // a known extent is more precise than a symbol
      }
    }
    first = false;
    if (s.d[axis].is_known()) {
      sum = checked_add(sum, s.d[axis].value);
    } else {
      ++nsym;
      sym = s.d[axis];
    }
  }
  if (nsym == 0)
    out.d[axis] = Dim::known(sum);
  else if (nsym == 1 && sum == 0 && sym.sym >= 0)
    out.d[axis] = sym;
  else
    out.d[axis] = ctx.unknown_dim();
  ctx.set_output(0, dt, out);
}

void run_concat(RunContext& ctx) {
  TensorView& out = ctx.out(0);
  const int rank = out.shape.rank;
  const int axis = normalize_axis(ctx.node.attr_i("axis", 1), rank, ctx.node);
  const size_t es = dtype_size(out.dtype);
  int64_t ds[kMaxRank];
  contiguous_strides(out.shape, ds);
  char* dst = out.as<char>();
  int64_t off = 0;
  for (size_t i = 0; i < ctx.inputs.size(); ++i) {
    const TensorView& in = ctx.in(static_cast<int>(i));
    if (in.shape.rank != rank)
      run_fail(ctx, "input ", i, " has rank ", in.shape.rank, " but output has rank ", rank);
    strided_copy(in.data, in.strides, dst + off * ds[axis] * static_cast<int64_t>(es), ds, in.shape,
                 es);
    off += in.shape.d[axis];
  }
  if (off != out.shape.d[axis])
    run_fail(ctx, "inputs add up to ", off, " on the axis but output has ", out.shape.d[axis]);
}

void infer_split(InferContext& ctx) {
  movable_size(ctx, 0);
  const graph::Node& node = ctx.node();
  const DType dt = ctx.input_dtype(0);
  const SymShape& in = ctx.input_shape(0);
  const int n = ctx.num_outputs();
  if (n == 0) ctx.fail("needs at least one output");
  // Split sizes: an attribute before opset 13 (opset 1 also accepts input 1), input 1 after.
  IntList sizes;
  bool given = false;
  if (ctx.opset() < 13) {
    sizes = IntList::of_attr(node, "split");
    given = sizes.known();
  }
  if (!given && (ctx.opset() >= 13 || ctx.opset() < 2) && ctx.has_input(1)) {
    check_int_input(ctx, 1);
    given = true;
    sizes = IntList::of_view(known_input(ctx, 1));
  }
  const bool by_count = ctx.opset() >= 18 && node.attr("num_outputs");
  if (by_count && given) ctx.fail("both 'split' and 'num_outputs' are given");
  if (by_count && node.attr_i("num_outputs", 0) != n)
    ctx.fail("num_outputs is ", node.attr_i("num_outputs", 0), " but the node has ", n, " outputs");
  if (ctx.opset() >= 18 && !given && !by_count)
    ctx.fail("either the 'split' input or the 'num_outputs' attribute is required");
  if (!in.rank_known()) {
    for (int i = 0; i < n; ++i) ctx.set_output(i, dt, SymShape{});
    return;
  }
  const int axis = normalize_axis(node.attr_i("axis", 0), in.rank, node);
  const Dim dim = in.d[axis];
  if (given && sizes.known()) {
    if (sizes.size() != n)
      ctx.fail("split has ", sizes.size(), " entries but there are ", n, " outputs");
    int64_t sum = 0;
    for (int i = 0; i < n; ++i) {
      if (sizes[i] < 0) ctx.fail("negative split size ", sizes[i]);
      sum = checked_add(sum, sizes[i]);
    }
    if (dim.is_known() && sum != dim.value)
      ctx.fail("split sizes add up to ", sum, " but axis ", axis, " has extent ", dim.value);
  }
  if (!given && dim.is_known() && !by_count && dim.value % n != 0)
    ctx.fail("axis ", axis, " of extent ", dim.value, " does not split into ", n, " equal parts");
  // Opset 18 num_outputs: chunks of ceil(dim / n), the last one smaller.
  const int64_t chunk = dim.is_known() ? (by_count ? (dim.value + n - 1) / n : dim.value / n) : 0;
  for (int i = 0; i < n; ++i) {
    SymShape s = in;
    if (given) {
      s.d[axis] = sizes.known() ? Dim::known(sizes[i]) : ctx.unknown_dim();
    } else if (dim.is_known()) {
      const int64_t start = chunk * i;
      s.d[axis] = Dim::known(start >= dim.value ? 0 : std::min(chunk, dim.value - start));
    } else {
      s.d[axis] = n == 1 ? dim : ctx.unknown_dim();
    }
    ctx.set_output(i, dt, s);
  }
}

void run_split(RunContext& ctx) {
  const TensorView& in = ctx.in(0);
  const int axis = normalize_axis(ctx.node.attr_i("axis", 0), in.shape.rank, ctx.node);
  const size_t es = dtype_size(in.dtype);
  int64_t off = 0;
  for (size_t i = 0; i < ctx.outputs.size(); ++i) {
    TensorView& out = ctx.out(static_cast<int>(i));
    const int64_t len = out.shape.rank == in.shape.rank ? out.shape.d[axis] : 0;
    if (off + len > in.shape.d[axis]) run_fail(ctx, "outputs exceed the input along the axis");
    if (ctx.has_out(static_cast<int>(i))) {
      int64_t ds[kMaxRank];
      contiguous_strides(out.shape, ds);
      strided_copy(in.as<const char>() + off * in.strides[axis] * static_cast<int64_t>(es),
                   in.strides, out.data, ds, out.shape, es);
    }
    off += len;
  }
}

}  // namespace wrun::ops::tensor
