// Squeeze and Unsqueeze: alias ops. Axes are an attribute before opset 13, an input from 13.
#include "ops/tensor/tensor_ops.h"
#include "ops/tensor/tensor_util.h"

namespace wrun::ops::tensor {
namespace {

// The axes list: attribute before opset 13, input 1 after. `given` is false when absent.
IntList axes_of(const InferContext& ctx, bool* given) {
  if (ctx.opset() < 13) {
    IntList l = IntList::of_attr(ctx.node(), "axes");
    *given = l.known();
    return l;
  }
  *given = ctx.has_input(1);
  if (*given) check_int_input(ctx, 1);
  return IntList::of_view(known_input(ctx, 1));
}

}  // namespace

void infer_squeeze(InferContext& ctx) {
  movable_size(ctx, 0);
  const SymShape& in = ctx.input_shape(0);
  const DType dt = ctx.input_dtype(0);
  bool given = false;
  IntList axes = axes_of(ctx, &given);
  SymShape out;
  out.rank = 0;
  if (!in.rank_known()) {
    ctx.set_output(0, dt, SymShape{});
    return;
  }
  if (!given) {
    // Without axes every extent-1 dim goes; a symbolic dim might be 1, so the rank is unknown.
    for (int i = 0; i < in.rank; ++i) {
      if (!in.d[i].is_known()) {
        ctx.set_output(0, dt, SymShape{});
        return;
      }
      if (in.d[i].value != 1) out.push(in.d[i]);
    }
    ctx.set_output(0, dt, out);
    return;
  }
  if (!axes.known()) {
    const int64_t n = list_length(ctx, 1);
    ctx.set_output(0, dt, n < 0 ? SymShape{} : unknown_shape(ctx, in.rank - n));
    return;
  }
  bool drop[kMaxRank] = {};
  for (int64_t i = 0; i < axes.size(); ++i) {
    const int a = normalize_axis(axes[i], in.rank, ctx.node());
    if (drop[a]) ctx.fail("axis ", axes[i], " given twice");
    if (in.d[a].is_known() && in.d[a].value != 1)
      ctx.fail("cannot squeeze axis ", axes[i], " of extent ", in.d[a].value);
    drop[a] = true;
  }
  for (int i = 0; i < in.rank; ++i)
    if (!drop[i]) out.push(in.d[i]);
  ctx.set_output(0, dt, out);
}

void run_squeeze(RunContext& ctx) { copy_if_distinct(ctx); }

void infer_unsqueeze(InferContext& ctx) {
  movable_size(ctx, 0);
  const SymShape& in = ctx.input_shape(0);
  const DType dt = ctx.input_dtype(0);
  bool given = false;
  IntList axes = axes_of(ctx, &given);
  if (!given) ctx.fail("missing axes");
  if (!in.rank_known()) {
    ctx.set_output(0, dt, SymShape{});
    return;
  }
  if (!axes.known()) {
    const int64_t n = list_length(ctx, 1);
    ctx.set_output(0, dt, n < 0 ? SymShape{} : unknown_shape(ctx, in.rank + n));
    return;
  }
  const int64_t r = in.rank + axes.size();
  if (r > kMaxRank) ctx.fail("output rank ", r, " exceeds ", kMaxRank);
  bool ins[kMaxRank] = {};
  for (int64_t i = 0; i < axes.size(); ++i) {
    const int a = normalize_axis(axes[i], static_cast<int>(r), ctx.node());
    if (ins[a]) ctx.fail("axis ", axes[i], " given twice");
    ins[a] = true;
  }
  SymShape out;
  out.rank = static_cast<int>(r);
  for (int i = 0, j = 0; i < out.rank; ++i) out.d[i] = ins[i] ? Dim::known(1) : in.d[j++];
  ctx.set_output(0, dt, out);
}

void run_unsqueeze(RunContext& ctx) { copy_if_distinct(ctx); }

}  // namespace wrun::ops::tensor
