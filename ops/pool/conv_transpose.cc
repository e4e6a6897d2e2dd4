// ConvTranspose (N-D, groups, strides, dilations, pads, output_padding, output_shape, auto_pad,
// optional bias). Each output element gathers the input taps that scatter onto it:
// o + pad_begin = i * stride + k * dilation. Output positions past the full result (output_shape
// or SAME asking for more) receive only the bias.
#include <algorithm>

#include "ops/common.h"
#include "ops/linalg/parallel.h"
#include "ops/pool/elem.h"
#include "ops/pool/pool.h"
#include "ops/pool/window.h"

namespace wrun::ops::pool {
namespace {

struct CtAttrs {
  int nsp = 0;
  AutoPad mode = AutoPad::kNotSet;
  int64_t group = 1;
  int64_t kernel[kMaxRank] = {}, stride[kMaxRank] = {}, dil[kMaxRank] = {};
  int64_t pads[2 * kMaxRank] = {}, out_pad[kMaxRank] = {}, out_shape[kMaxRank] = {};
  bool has_out_shape = false;
  const graph::Node* node = nullptr;

  // Output extent of spatial axis i for input extent `in` and the padding before it.
  int64_t out_extent(int i, int64_t in, int64_t* pb) const {
    const graph::Node& n = *node;
    const int64_t span = kernel_span(n, kernel[i], dil[i]);
    int64_t full;
    if (__builtin_mul_overflow(stride[i], in - 1, &full) ||
        __builtin_add_overflow(full, out_pad[i], &full) ||
        __builtin_add_overflow(full, span, &full))
      node_fail(n, "extent of spatial axis ", i, " overflows");
    int64_t out, b;
    if (has_out_shape || mode == AutoPad::kSameUpper || mode == AutoPad::kSameLower) {
      if (has_out_shape) {
        out = out_shape[i];
      } else if (__builtin_mul_overflow(in, stride[i], &out)) {
        node_fail(n, "extent of spatial axis ", i, " overflows");
      }
      // The spec's split of the total padding. An output larger than the full result (a negative
      // total) is extended at the end, as output_padding is (and as ONNX Runtime does).
      const int64_t total = std::max<int64_t>(0, full - out), half = total / 2;
      b = mode == AutoPad::kSameUpper ? half : total - half;
    } else {
      const bool valid = mode == AutoPad::kValid;
      b = valid ? 0 : pads[i];
      out = full - b - (valid ? 0 : pads[i + nsp]);
    }
    if (out < 0) node_fail(n, "output extent of spatial axis ", i, " is negative (", out, ")");
    if (pb) *pb = b;
    return out;
  }
};

// w_kernel: the weights' spatial extents (-1 where unknown).
CtAttrs parse_attrs(const graph::Node& n, int nsp, const int64_t* w_kernel) {
  CtAttrs a;
  a.nsp = nsp;
  a.node = &n;
  a.mode = parse_auto_pad(n);
  a.group = n.attr_i("group", 1);
  if (a.group < 1) node_fail(n, "group must be >= 1");
  read_ints(n, "strides", nsp, 1, a.stride);
  read_ints(n, "dilations", nsp, 1, a.dil);
  read_ints(n, "pads", 2 * nsp, 0, a.pads);
  read_ints(n, "output_padding", nsp, 0, a.out_pad);
  if (const auto* os = n.attr_ints("output_shape")) {
    // Either the spatial extents or the whole [N, M, spatial...] shape.
    const int sz = static_cast<int>(os->size());
    if (sz != nsp && sz != nsp + 2)
      node_fail(n, "output_shape has ", sz, " entries, expected ", nsp);
    for (int i = 0; i < nsp; ++i) a.out_shape[i] = (*os)[sz - nsp + i];
    a.has_out_shape = true;
  }
  if (n.attr_ints("kernel_shape")) {
    read_ints(n, "kernel_shape", nsp, 1, a.kernel);
    for (int i = 0; i < nsp; ++i)
      if (w_kernel[i] >= 0 && w_kernel[i] != a.kernel[i])
        node_fail(n, "kernel_shape does not match the weights");
  } else {
    for (int i = 0; i < nsp; ++i) a.kernel[i] = w_kernel[i];
  }
  for (int i = 0; i < nsp; ++i) {
    if (a.kernel[i] == 0 || a.kernel[i] < -1) node_fail(n, "kernel extents must be >= 1");
    if (a.stride[i] < 1 || a.dil[i] < 1) node_fail(n, "strides and dilations must be >= 1");
    if (a.pads[i] < 0 || a.pads[i + nsp] < 0) node_fail(n, "pads must be >= 0");
    if (a.out_pad[i] < 0 || (a.out_pad[i] >= a.stride[i] && a.out_pad[i] >= a.dil[i]))
      node_fail(n, "output_padding must be >= 0 and less than the stride or the dilation");
    if (a.has_out_shape && a.out_shape[i] < 0) node_fail(n, "output_shape must be >= 0");
  }
  return a;
}

// True when the output extent equals the input extent whatever the input extent.
bool preserves_extent(const CtAttrs& a, int i) {
  if (a.has_out_shape || a.stride[i] != 1) return false;
  if (a.mode == AutoPad::kSameUpper || a.mode == AutoPad::kSameLower) return true;
  if (a.kernel[i] < 0) return false;
  const int64_t grow = a.out_pad[i] + a.dil[i] * (a.kernel[i] - 1);
  return grow == (a.mode == AutoPad::kValid ? 0 : a.pads[i] + a.pads[i + a.nsp]);
}

struct CtGeom {
  CtAttrs a;
  int64_t N, C, M, Cg, Mg, K = 1, in_size = 1, out_size = 1;
  int64_t in[kMaxRank], out[kMaxRank], pb[kMaxRank];
};

CtGeom make_geom(const graph::Node& n, const Shape& x, const Shape& w, const Shape& y) {
  CtGeom g;
  const int nsp = x.rank - 2;
  int64_t wk[kMaxRank] = {};
  for (int i = 0; i < nsp; ++i) wk[i] = w[i + 2];
  g.a = parse_attrs(n, nsp, wk);
  g.N = x[0], g.C = x[1], g.M = y[1], g.Cg = g.C / g.a.group, g.Mg = w[1];
  for (int i = 0; i < nsp; ++i) {
    g.in[i] = x[i + 2];
    g.out[i] = y[i + 2];
    g.a.out_extent(i, g.in[i], &g.pb[i]);
    g.K *= g.a.kernel[i], g.in_size *= g.in[i], g.out_size *= g.out[i];
  }
  return g;
}

template <class E>
void conv_transpose_typed(RunContext& ctx, const CtGeom& g) {
  const void* x = ctx.in(0).data;
  const void* w = ctx.in(1).data;
  const void* b = ctx.has_in(2) ? ctx.in(2).data : nullptr;
  void* y = ctx.out(0).data;
  const int nsp = g.a.nsp;
  Shape os;
  os.rank = nsp;
  for (int i = 0; i < nsp; ++i) os.d[i] = g.out[i];
  // One task per (n, m) output plane.
  auto plane = [&](size_t t) {
    const int64_t n = static_cast<int64_t>(t) / g.M, m = static_cast<int64_t>(t) % g.M;
    const int64_t c0 = (m / g.Mg) * g.Cg, mg = m % g.Mg;
    const int64_t x0 = (n * g.C + c0) * g.in_size, w0 = (c0 * g.Mg + mg) * g.K;
    const double bias = b ? E::get(b, m) : 0.0;
    int64_t o[kMaxRank] = {};
    for (int64_t j = 0; j < g.out_size; ++j) {
      double acc = bias;
      int64_t k[kMaxRank] = {};
      for (int64_t kf = 0; kf < g.K; ++kf) {
        int64_t off = 0;
        bool hit = true;
        for (int i = 0; i < nsp && hit; ++i) {
          const int64_t t2 = o[i] + g.pb[i] - k[i] * g.a.dil[i];
          hit = t2 >= 0 && t2 % g.a.stride[i] == 0 && t2 / g.a.stride[i] < g.in[i];
          off = off * g.in[i] + t2 / g.a.stride[i];
        }
        if (hit)
          for (int64_t c = 0; c < g.Cg; ++c)
            acc += E::get(x, x0 + c * g.in_size + off) * E::get(w, w0 + c * g.Mg * g.K + kf);
        for (int i = nsp - 1; i >= 0; --i) {
          if (++k[i] < g.a.kernel[i]) break;
          k[i] = 0;
        }
      }
      E::put(y, (n * g.M + m) * g.out_size + j, acc);
      next_index(os, o);
    }
  };
  parallel_for(ctx.pool, static_cast<size_t>(g.N * g.M), plane);
}

}  // namespace

void conv_transpose_infer(InferContext& c) {
  const DType dt = c.input_dtype(0);
  if (!is_float_dtype(dt)) c.fail("unsupported dtype ", dtype_name(dt));
  if (c.input_dtype(1) != dt || (c.has_input(2) && c.input_dtype(2) != dt))
    c.fail("input dtypes differ");
  const SymShape& x = c.input_shape(0);
  const SymShape& w = c.input_shape(1);
  int rank = x.rank_known() ? x.rank : w.rank;
  if (rank < 0) {
    const auto* ks = c.node().attr_ints("kernel_shape");
    if (!ks) return c.set_output(0, dt, SymShape{});
    rank = static_cast<int>(ks->size()) + 2;
  }
  if (rank < 3) c.fail("input must have rank >= 3, got ", rank);
  if (x.rank_known() && w.rank_known() && w.rank != x.rank)
    c.fail("weights rank ", w.rank, " != input rank ", x.rank);
  const int nsp = rank - 2;
  int64_t wk[kMaxRank] = {};
  for (int i = 0; i < nsp; ++i) wk[i] = w.rank_known() && w[i + 2].is_known() ? w[i + 2].value : -1;
  const CtAttrs a = parse_attrs(c.node(), nsp, wk);
  if (x.rank_known() && w.rank_known() && x[1].is_known() && w[0].is_known() &&
      x[1].value != w[0].value)
    c.fail("input has ", x[1].value, " channels, weights expect ", w[0].value);
  if (w.rank_known() && w[0].is_known() && w[0].value % a.group != 0)
    c.fail("input channels ", w[0].value, " not divisible by group ", a.group);
  const bool m_known = w.rank_known() && w[1].is_known();
  const Dim m = m_known ? Dim::known(checked_mul(w[1].value, a.group)) : c.unknown_dim();
  if (c.has_input(2)) {
    const SymShape& b = c.input_shape(2);
    if (b.rank_known() &&
        (b.rank != 1 || (b[0].is_known() && m.is_known() && b[0].value != m.value)))
      c.fail("bias must have shape [M]");
  }
  SymShape out;
  out.rank = rank;
  out.d[0] = x.rank_known() ? x[0] : c.unknown_dim();
  out.d[1] = m;
  for (int i = 0; i < nsp; ++i) {
    const Dim in = x.rank_known() ? x[i + 2] : c.unknown_dim();
    if (a.has_out_shape)
      out.d[i + 2] = Dim::known(a.out_shape[i]);
    else if (in.is_known() && a.kernel[i] >= 0)
      out.d[i + 2] = Dim::known(a.out_extent(i, in.value, nullptr));
    else
      out.d[i + 2] = preserves_extent(a, i) ? in : c.unknown_dim();
  }
  c.set_output(0, dt, out);
}

void conv_transpose_run(RunContext& c) {
  const CtGeom g = make_geom(c.node, c.in(0).shape, c.in(1).shape, c.out(0).shape);
  dispatch_elem(c.in(0).dtype, false, [&](auto e) { conv_transpose_typed<decltype(e)>(c, g); });
}

}  // namespace wrun::ops::pool
