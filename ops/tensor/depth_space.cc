// DepthToSpace and SpaceToDepth: ONNX defines both as reshape-transpose-reshape; each is one
// 6-d strided copy whose source strides encode where the channel or pixel blocks live.
#include "ops/tensor/strided_copy.h"
#include "ops/tensor/tensor_ops.h"
#include "ops/tensor/tensor_util.h"

namespace wrun::ops::tensor {
namespace {

int64_t blocksize(const graph::Node& node) {
  const int64_t b = node.attr_i("blocksize", 0);
  if (b < 1 || b > (int64_t{1} << 30))  // b * b must not overflow
    fail(node.op_type, " '", node.name, "': blocksize must be in [1, 2^30], got ", b);
  return b;
}

// CRD (column-row-depth) from opset 11 when asked; DCR (depth-column-row) otherwise.
bool crd_mode(const graph::Node& node, int64_t opset) {
  if (opset < 11) return false;
  const std::string_view m = node.attr_s("mode", "DCR");
  if (m == "CRD") return true;
  if (m != "DCR") fail("DepthToSpace '", node.name, "': unknown mode '", m, "'");
  return false;
}

// d / div * mul; a symbolic extent stays only when unchanged (blocksize 1).
Dim scale_dim(InferContext& ctx, const Dim& d, int64_t mul, int64_t div, const char* what) {
  if (!d.is_known()) return mul == 1 && div == 1 ? d : ctx.unknown_dim();
  if (d.value % div != 0) ctx.fail(what, " ", d.value, " is not divisible by ", div);
  return Dim::known(checked_mul(d.value / div, mul));
}

void check_rank4(InferContext& ctx) {
  movable_size(ctx, 0);
  const SymShape& in = ctx.input_shape(0);
  if (in.rank_known() && in.rank != 4) ctx.fail("input must have rank 4, got ", in.rank);
}

}  // namespace

void infer_depth_to_space(InferContext& ctx) {
  check_rank4(ctx);
  const int64_t b = blocksize(ctx.node());
  crd_mode(ctx.node(), ctx.opset());
  const SymShape& in = ctx.input_shape(0);
  if (!in.rank_known()) {
    ctx.set_output(0, ctx.input_dtype(0), SymShape{});
    return;
  }
  SymShape out = in;
  out.d[1] = scale_dim(ctx, in.d[1], 1, b * b, "channels");
  out.d[2] = scale_dim(ctx, in.d[2], b, 1, "height");
  out.d[3] = scale_dim(ctx, in.d[3], b, 1, "width");
  ctx.set_output(0, ctx.input_dtype(0), out);
}

void run_depth_to_space(RunContext& ctx) {
  const TensorView& in = ctx.in(0);
  TensorView& out = ctx.out(0);
  const int64_t b = blocksize(ctx.node);
  const bool crd = crd_mode(ctx.node, ctx.opset);
  const int64_t c = in.shape.d[1] / (b * b), h = in.shape.d[2], w = in.shape.d[3];
  const int64_t* s = in.strides;
  // Output as [N, C', H, b1, W, b2]; channel c_in = b1*b*C' + b2*C' + c' (DCR) or
  // c'*b*b + b1*b + b2 (CRD).
  const Shape box{in.shape.d[0], c, h, b, w, b};
  const int64_t ss[6] = {s[0], crd ? b * b * s[1] : s[1], s[2], crd ? b * s[1] : b * c * s[1],
                         s[3], crd ? s[1] : c * s[1]};
  int64_t ds[6];
  contiguous_strides(box, ds);
  strided_copy(in.data, ss, out.data, ds, box, dtype_size(in.dtype));
}

void infer_space_to_depth(InferContext& ctx) {
  check_rank4(ctx);
  const int64_t b = blocksize(ctx.node());
  const SymShape& in = ctx.input_shape(0);
  if (!in.rank_known()) {
    ctx.set_output(0, ctx.input_dtype(0), SymShape{});
    return;
  }
  SymShape out = in;
  out.d[1] = scale_dim(ctx, in.d[1], b * b, 1, "channels");
  out.d[2] = scale_dim(ctx, in.d[2], 1, b, "height");
  out.d[3] = scale_dim(ctx, in.d[3], 1, b, "width");
  ctx.set_output(0, ctx.input_dtype(0), out);
}

void run_space_to_depth(RunContext& ctx) {
  const TensorView& in = ctx.in(0);
  TensorView& out = ctx.out(0);
  const int64_t b = blocksize(ctx.node);
  const int64_t c = in.shape.d[1], h = in.shape.d[2] / b, w = in.shape.d[3] / b;
  const int64_t* s = in.strides;
  // Output as [N, b1, b2, C, H', W'] reading input pixel (h'*b + b1, w'*b + b2).
  const Shape box{in.shape.d[0], b, b, c, h, w};
  const int64_t ss[6] = {s[0], s[2], s[3], s[1], b * s[2], b * s[3]};
  int64_t ds[6];
  contiguous_strides(box, ds);
  strided_copy(in.data, ss, out.data, ds, box, dtype_size(in.dtype));
}

}  // namespace wrun::ops::tensor
