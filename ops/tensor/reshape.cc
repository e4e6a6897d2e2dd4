// Reshape and Flatten: alias ops, the output is input 0 with a new shape.
#include "ops/tensor/tensor_ops.h"
#include "ops/tensor/tensor_util.h"

namespace wrun::ops::tensor {
namespace {

// The extent for a -1 in the target: input elements / the other target dims. Symbols the input
// and the target share cancel, so [B,T,384] -> [0,-1,6,64] keeps T.
Dim infer_minus_one(InferContext& ctx, const SymShape& in, const SymShape& out, int neg) {
  if (!in.rank_known()) return ctx.unknown_dim();
  bool used[kMaxRank] = {};
  int64_t in_known = 1, out_known = 1;
  for (int i = 0; i < in.rank; ++i)
    if (in.d[i].is_known()) in_known = checked_mul(in_known, in.d[i].value);
  bool cancel_ok = true;
  for (int i = 0; i < out.rank; ++i) {
    if (i == neg) continue;
    if (out.d[i].is_known()) {
      out_known = checked_mul(out_known, out.d[i].value);
      continue;
    }
    int j = 0;
    while (j < in.rank && (used[j] || !(in.d[j] == out.d[i]))) ++j;
    if (j == in.rank)
      cancel_ok = false;
    else
      used[j] = true;
  }
  int left = 0, left_at = -1;
  for (int j = 0; j < in.rank; ++j)
    if (!in.d[j].is_known() && !used[j]) ++left, left_at = j;
  if (!cancel_ok) return ctx.unknown_dim();
  if (left == 0) {
    if (out_known == 0) ctx.fail("cannot infer the -1 dimension when other dims are 0");
    if (in_known % out_known != 0)
      ctx.fail("input has ", in_known, " elements, not divisible by ", out_known);
    return Dim::known(in_known / out_known);
  }
  if (left == 1 && in_known == out_known && out_known != 0) return in.d[left_at];
  return ctx.unknown_dim();
}

}  // namespace

void infer_reshape(InferContext& ctx) {
  movable_size(ctx, 0);
  const graph::Node& node = ctx.node();
  const DType dt = ctx.input_dtype(0);
  const bool attr_form = ctx.opset() < 5;
  IntList target;
  if (attr_form) {
    target = IntList::of_attr(node, "shape");
    if (!target.known()) ctx.fail("missing attribute 'shape'");
  } else {
    if (!ctx.has_input(1)) ctx.fail("missing input 1 (shape)");
    check_int_input(ctx, 1);
    target = IntList::of_view(known_input(ctx, 1));
  }
  if (!target.known()) {
    ctx.set_output(0, dt, unknown_shape(ctx, list_length(ctx, 1)));
    return;
  }
  const bool allowzero = ctx.opset() >= 14 && node.attr_i("allowzero", 0) != 0;
  const SymShape& in = ctx.input_shape(0);
  const int64_t r = target.size();
  if (r > kMaxRank) ctx.fail("target rank ", r, " exceeds ", kMaxRank);
  SymShape out;
  out.rank = static_cast<int>(r);
  int neg = -1;
  bool has_zero = false;
  for (int i = 0; i < out.rank; ++i) {
    const int64_t v = target[i];
    if (v == -1) {
      if (neg >= 0) ctx.fail("shape has more than one -1");
      neg = i;
      out.d[i] = Dim::known(1);
    } else if (v == 0 && !allowzero) {
      if (!in.rank_known())
        out.d[i] = ctx.unknown_dim();
      else if (i >= in.rank)
        ctx.fail("shape[", i, "] is 0 but input has rank ", in.rank);
      else
        out.d[i] = in.d[i];
    } else if (v < 0) {
      ctx.fail("invalid shape entry ", v);
    } else {
      has_zero |= v == 0;
      out.d[i] = Dim::known(v);
    }
  }
  if (neg >= 0 && has_zero) ctx.fail("shape has both -1 and 0 with allowzero=1");
  if (neg >= 0) {
    out.d[neg] = infer_minus_one(ctx, in, out, neg);
  } else if (in.fully_known() && out.fully_known()) {
    // Checked: a hostile target such as [2^40, 2^40] must not wrap around.
    int64_t a = 1, b = 1;
    for (int i = 0; i < in.rank; ++i)
      if (__builtin_mul_overflow(a, in.d[i].value, &a)) ctx.fail("input has too many elements");
    for (int i = 0; i < out.rank; ++i)
      if (__builtin_mul_overflow(b, out.d[i].value, &b))
        ctx.fail("shape ", out.concrete().str(), " has too many elements");
    if (a != b) ctx.fail("input has ", a, " elements but shape ", out.concrete().str(), " has ", b);
  }
  ctx.set_output(0, dt, out);
}

void run_reshape(RunContext& ctx) { copy_if_distinct(ctx); }

void infer_flatten(InferContext& ctx) {
  movable_size(ctx, 0);
  const SymShape& in = ctx.input_shape(0);
  const DType dt = ctx.input_dtype(0);
  int64_t axis = ctx.node().attr_i("axis", 1);
  SymShape out;
  out.rank = 2;
  if (!in.rank_known()) {
    ctx.set_output(0, dt, unknown_shape(ctx, 2));
    return;
  }
  const int64_t lo = ctx.opset() < 11 ? 0 : -in.rank;
  if (axis < lo || axis > in.rank) ctx.fail("axis ", axis, " out of range for rank ", in.rank);
  if (axis < 0) axis += in.rank;
  const int a = static_cast<int>(axis);
  out.d[0] = dim_product(ctx, in.d, a);
  out.d[1] = dim_product(ctx, in.d + a, in.rank - a);
  ctx.set_output(0, dt, out);
}

void run_flatten(RunContext& ctx) { copy_if_distinct(ctx); }

}  // namespace wrun::ops::tensor
