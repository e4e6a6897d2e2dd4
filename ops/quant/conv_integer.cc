// ConvInteger (int32 output) and QLinearConv (requantized 8-bit output): N-D convolution with
// groups, strides, dilations, pads and auto_pad over uint8/int8 data, as im2col of x - x_zero_point
// (padding contributes 0, i.e. pads hold the zero point) times w - w_zero_point in int32.
#include <algorithm>
#include <string_view>

#include "ops/conv/conv_attrs.h"
#include "ops/conv/im2col.h"
#include "ops/linalg/gemm_core.h"
#include "ops/linalg/parallel.h"
#include "ops/quant/int_gemm.h"
#include "ops/quant/quant.h"

namespace wrun::ops::quant {
namespace {

// Input indices of each op.
struct Inputs {
  int x, x_scale, x_zp, w, w_scale, w_zp, bias;
};
constexpr Inputs kConvInteger{0, -1, 2, 1, -1, 3, -1};
constexpr Inputs kQLinearConv{0, 1, 2, 3, 4, 5, 8};

template <class... A>
[[noreturn]] void node_fail(const graph::Node& n, const A&... a) {
  fail(n.op_type, " '", n.name, "': ", a...);
}

// Per-tensor, or (per_channel) one entry per output channel: a scalar or a [M] vector.
// m: the number of output channels, or -1 when unknown.
void check_channel_param(const InferContext& c, int p, DType dt, bool per_channel, int64_t m,
                         const char* what) {
  if (p < 0 || !c.has_input(p)) return;
  if (c.input_dtype(p) != dt)
    c.fail(what, " must be ", dtype_name(dt), ", got ", dtype_name(c.input_dtype(p)));
  const SymShape& s = c.input_shape(p);
  if (!per_channel || !s.rank_known() || s.rank == 0) return require_scalar(c, p, what);
  if (s.rank != 1) c.fail(what, " must be a scalar or 1-D, got rank ", s.rank);
  if (s[0].is_known() && s[0].value != 1 && m >= 0 && s[0].value != m)
    c.fail(what, " has ", s[0].value, " entries for ", m, " output channels");
}

DType infer_conv(InferContext& c, Inputs in) {
  const DType xt = c.input_dtype(in.x), wt = c.input_dtype(in.w);
  if (!is_q8(xt) || !is_q8(wt))
    c.fail("x and w must be uint8 or int8, got ", dtype_name(xt), " and ", dtype_name(wt));
  const SymShape& x = c.input_shape(in.x);
  const SymShape& w = c.input_shape(in.w);
  const int64_t m = w.rank_known() && w[0].is_known() ? w[0].value : -1;
  check_channel_param(c, in.x_zp, xt, false, m, "x_zero_point");
  check_channel_param(c, in.w_zp, wt, true, m, "w_zero_point");
  check_channel_param(c, in.x_scale, DType::kF32, false, m, "x_scale");
  check_channel_param(c, in.w_scale, DType::kF32, true, m, "w_scale");
  if (!x.rank_known() && !w.rank_known()) return xt;
  const int rank = x.rank_known() ? x.rank : w.rank;
  if (rank < 3) c.fail("input must have rank >= 3, got ", rank);
  if (w.rank_known() && w.rank != rank) c.fail("weights rank ", w.rank, " != input rank ", rank);
  const int nsp = rank - 2;
  int64_t wk[kMaxRank] = {};
  for (int i = 0; i < nsp; ++i) wk[i] = w.rank_known() && w[i + 2].is_known() ? w[i + 2].value : -1;
  const ConvAttrs a = parse_conv_attrs(c.node(), nsp, wk);
  if (x.rank_known() && w.rank_known() && x[1].is_known() && w[1].is_known() &&
      x[1].value != w[1].value * a.group)
    c.fail("input has ", x[1].value, " channels, weights expect ", w[1].value * a.group);
  if (m >= 0 && m % a.group != 0)
    c.fail("output channels ", m, " not divisible by group ", a.group);
  return xt;
}

SymShape conv_shape(InferContext& c, Inputs in) {
  const SymShape& x = c.input_shape(in.x);
  const SymShape& w = c.input_shape(in.w);
  if (!x.rank_known() && !w.rank_known()) return SymShape{};
  const int rank = x.rank_known() ? x.rank : w.rank;
  const int nsp = rank - 2;
  int64_t wk[kMaxRank] = {};
  for (int i = 0; i < nsp; ++i) wk[i] = w.rank_known() && w[i + 2].is_known() ? w[i + 2].value : -1;
  const ConvAttrs a = parse_conv_attrs(c.node(), nsp, wk);
  SymShape out;
  out.rank = rank;
  out.d[0] = x.rank_known() ? x[0] : c.unknown_dim();
  out.d[1] = w.rank_known() ? w[0] : c.unknown_dim();
  for (int i = 0; i < nsp; ++i) {
    const bool known = x.rank_known() && x[i + 2].is_known() && a.kernel[i] >= 0;
    out.d[i + 2] = known ? Dim::known(a.out_extent(i, x[i + 2].value, nullptr)) : c.unknown_dim();
  }
  return out;
}

// Scratch: the im2col matrix, the widened weights, then (QLinearConv) one image's accumulator.
size_t scratch_for(const PrepareContext& c, Inputs in, bool acc) {
  const Shape& x = c.inputs[in.x].shape;
  const Shape& w = c.inputs[in.w].shape;
  const Shape& y = c.outputs[0].shape;
  if (x.rank < 3 || w.rank != x.rank || y.rank != x.rank) return 0;
  const ConvGeom g = make_conv_geom(c.node, x, w, y);
  return section_bytes(g.CK * g.S) + section_bytes(g.M * g.CK) +
         (acc ? section_bytes(g.M * g.S) : 0);
}

// Runs the integer convolution; calls emit(n, acc) with image n's int32 result [M, S], which is
// written to out_i32 + n * M * S (the output for ConvInteger) or to scratch when out_i32 is null.
template <class Emit>
void conv_int32(RunContext& c, Inputs in, const ConvGeom& g, int32_t* out_i32, Emit&& emit) {
  const size_t need = section_bytes(g.CK * g.S) + section_bytes(g.M * g.CK) +
                      (out_i32 ? 0 : section_bytes(g.M * g.S));
  if (!c.scratch || c.scratch_bytes < need)
    node_fail(c.node, "scratch of ", c.scratch_bytes, " bytes < ", need, " needed");
  char* s = static_cast<char*>(c.scratch);
  int32_t* col = reinterpret_cast<int32_t*>(s);
  int32_t* wq = reinterpret_cast<int32_t*>(s + section_bytes(g.CK * g.S));
  int32_t* acc =
      reinterpret_cast<int32_t*>(s + section_bytes(g.CK * g.S) + section_bytes(g.M * g.CK));
  // Weights minus their per-tensor or per-output-channel zero point.
  const TensorView& W = c.in(in.w);
  ParamIndex pw;
  const bool has_wzp = c.has_in(in.w_zp);
  if (has_wzp) {
    const int64_t nz = c.in(in.w_zp).numel();
    if (nz != 1 && nz != g.M) node_fail(c.node, "w_zero_point has ", nz, " entries");
    pw.vstride = nz == 1 ? 0 : 1;
  }
  dispatch_q8(W.dtype, [&](auto t) {
    widen<decltype(t)>(W.data, has_wzp ? c.in(in.w_zp).data : nullptr, pw, true, 1, g.M, g.CK, wq);
  });
  const int32_t xzp = c.has_in(in.x_zp) ? read_i32(c.in(in.x_zp), 0) : 0;
  const TensorView& X = c.in(in.x);
  for (int64_t n = 0; n < g.N; ++n) {
    int32_t* y = out_i32 ? out_i32 + n * g.M * g.S : acc;
    for (int64_t grp = 0; grp < g.G; ++grp) {
      dispatch_q8(X.dtype, [&](auto t) {
        using T = decltype(t);
        const char* xg = elem_ptr<T>(X.data, (n * g.C + grp * g.Cg) * g.inS);
        // padding holds the zero point, so it contributes 0 to x - x_zero_point
        auto minus_zp = [xzp](T v) { return static_cast<int32_t>(v) - xzp; };
        auto fill = [&](size_t r) {
          im2col_row<T>(xg, g, static_cast<int64_t>(r), col + r * g.S, minus_zp, int32_t{0});
        };
        parallel_for(c.pool, static_cast<size_t>(g.CK), fill);
      });
      const int32_t* wg = wq + grp * g.OCg * g.CK;
      int32_t* yg = y + grp * g.OCg * g.S;
      auto task = [&](size_t t) {
        const int64_t m0 = static_cast<int64_t>(t) * linalg::kRowBlock;
        int_gemm_rows(m0, std::min(g.OCg, m0 + linalg::kRowBlock), g.S, g.CK, wg, col, yg);
      };
      parallel_for(c.pool, static_cast<size_t>((g.OCg + linalg::kRowBlock - 1) / linalg::kRowBlock),
                   task);
    }
    emit(n, y);
  }
}

template <class Q>
void requantize(RunContext& c, const ConvGeom& g, int64_t n, const int32_t* acc) {
  const Inputs in = kQLinearConv;
  const float xs = load<float>(c.in(in.x_scale).data, 0);
  const float ys = load<float>(c.in(6).data, 0);
  const int32_t yzp = read_i32(c.in(7), 0);
  const TensorView& ws = c.in(in.w_scale);
  const bool per_channel = ws.numel() != 1;
  if (per_channel && ws.numel() != g.M) node_fail(c.node, "w_scale has ", ws.numel(), " entries");
  const bool has_bias = c.has_in(in.bias);
  if (has_bias && c.in(in.bias).numel() != g.M) node_fail(c.node, "bias must have M entries");
  Q* y = c.out(0).as<Q>() + n * g.M * g.S;
  for (int64_t m = 0; m < g.M; ++m) {
    // The multiplier in float32 as the spec's arithmetic has it; the product in double.
    const float mult = xs * load<float>(ws.data, per_channel ? m : 0) / ys;
    const int64_t bias = has_bias ? load<int32_t>(c.in(in.bias).data, m) : 0;
    for (int64_t i = m * g.S; i < (m + 1) * g.S; ++i)
      y[i] = quantize_value<Q>(static_cast<double>(acc[i] + bias) * mult, yzp);
  }
}

}  // namespace

void conv_integer_infer(InferContext& c) {
  infer_conv(c, kConvInteger);
  c.set_output(0, DType::kI32, conv_shape(c, kConvInteger));
}

void conv_integer_prepare(PrepareContext& c) {
  c.scratch_bytes = scratch_for(c, kConvInteger, false);
}

void conv_integer_run(RunContext& c) {
  const ConvGeom g = make_conv_geom(c.node, c.in(0).shape, c.in(1).shape, c.out(0).shape);
  if (c.out(0).numel() == 0) return;
  conv_int32(c, kConvInteger, g, c.out(0).as<int32_t>(), [](int64_t, const int32_t*) {});
}

void qlinear_conv_infer(InferContext& c) {
  infer_conv(c, kQLinearConv);
  if (c.input_dtype(6) != DType::kF32) c.fail("y_scale must be float32");
  const DType yt = c.input_dtype(7);
  if (!is_q8(yt)) c.fail("y_zero_point must be uint8 or int8, got ", dtype_name(yt));
  require_scalar(c, 6, "y_scale");
  require_scalar(c, 7, "y_zero_point");
  if (c.has_input(8)) {
    if (c.input_dtype(8) != DType::kI32) c.fail("B must be int32");
    const SymShape& b = c.input_shape(8);
    if (b.rank_known() && b.rank != 1) c.fail("B must have shape [M]");
  }
  c.set_output(0, yt, conv_shape(c, kQLinearConv));
}

void qlinear_conv_prepare(PrepareContext& c) {
  c.scratch_bytes = scratch_for(c, kQLinearConv, true);
}

void qlinear_conv_run(RunContext& c) {
  const Inputs in = kQLinearConv;
  const ConvGeom g = make_conv_geom(c.node, c.in(in.x).shape, c.in(in.w).shape, c.out(0).shape);
  if (c.out(0).numel() == 0) return;
  dispatch_q8(c.out(0).dtype, [&](auto q) {
    conv_int32(c, in, g, nullptr,
               [&](int64_t n, const int32_t* acc) { requantize<decltype(q)>(c, g, n, acc); });
  });
}

}  // namespace wrun::ops::quant
