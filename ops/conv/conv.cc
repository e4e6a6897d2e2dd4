// Conv (N-D, groups, dilations, strides, pads, auto_pad, optional bias) as im2col + the shared
// reference GEMM. Pointwise convolutions read the input directly.
#include <cstring>
#include <string_view>

#include "ops/common.h"
#include "ops/linalg/gemm_core.h"
#include "ops/linalg/load.h"
#include "ops/linalg/parallel.h"
#include "ops/registry.h"

namespace wrun::ops {
namespace {

using linalg::gemm_rows;
using linalg::kRowBlock;
using linalg::MatRef;

enum class AutoPad { kNotSet, kSameUpper, kSameLower, kValid };

// Attributes resolved per spatial dimension. kernel[i] < 0 when unknown (symbolic weights).
struct ConvAttrs {
  int nsp = 0;
  AutoPad mode = AutoPad::kNotSet;
  int64_t group = 1;
  int64_t kernel[kMaxRank] = {}, stride[kMaxRank] = {}, dil[kMaxRank] = {};
  int64_t pads[2 * kMaxRank] = {};
  const graph::Node* node = nullptr;  // for errors

  // Output extent of spatial dim i for input extent `in`; sets the padding before it.
  int64_t out_extent(int i, int64_t in, int64_t* pad_begin) const {
    // Hostile attributes (dilations, pads near 2^63) must not overflow.
    int64_t span, padded;
    if (__builtin_mul_overflow(dil[i], kernel[i] - 1, &span) ||
        __builtin_add_overflow(span, 1, &span) || __builtin_add_overflow(in, pads[i], &padded) ||
        __builtin_add_overflow(padded, pads[i + nsp], &padded))
      fail(node->op_type, " '", node->name, "': extent of spatial axis ", i, " overflows");
    int64_t out, pb = 0;
    switch (mode) {
      case AutoPad::kNotSet:
        pb = pads[i];
        out = padded < span ? 0 : (padded - span) / stride[i] + 1;
        break;
      case AutoPad::kValid:
        out = in < span ? 0 : (in - span) / stride[i] + 1;
        break;
      default: {
        out = in / stride[i] + (in % stride[i] != 0);
        int64_t total;
        if (__builtin_add_overflow((out - 1) * stride[i], span - in, &total))
          fail(node->op_type, " '", node->name, "': extent of spatial axis ", i, " overflows");
        total = std::max<int64_t>(0, total);
        pb = mode == AutoPad::kSameUpper ? total / 2 : total - total / 2;
      }
    }
    if (pad_begin) *pad_begin = pb;
    return out;
  }
  // True when the output extent equals the input extent for every input extent.
  bool preserves_extent(int i) const {
    if (stride[i] != 1 || kernel[i] < 0) return false;
    if (mode == AutoPad::kSameUpper || mode == AutoPad::kSameLower) return true;
    const int64_t pad = mode == AutoPad::kValid ? 0 : pads[i] + pads[i + nsp];
    return pad == dil[i] * (kernel[i] - 1);
  }
};

template <class... A>
[[noreturn]] void conv_fail(const graph::Node& n, const A&... a) {
  fail(n.op_type, " '", n.name, "': ", a...);
}

// Reads an ints attribute of nsp entries (or 2*nsp for pads) with a default.
void read_ints(const graph::Node& n, std::string_view key, int count, int64_t def, int64_t* out) {
  const std::vector<int64_t>* v = n.attr_ints(key);
  if (v && static_cast<int>(v->size()) != count)
    conv_fail(n, key, " has ", v->size(), " entries, expected ", count);
  for (int i = 0; i < count; ++i) out[i] = v ? (*v)[i] : def;
}

// w_kernel: the weights' spatial extents (-1 where unknown).
ConvAttrs parse_attrs(const graph::Node& n, int nsp, const int64_t* w_kernel) {
  ConvAttrs a;
  a.nsp = nsp;
  a.node = &n;
  const std::string_view ap = n.attr_s("auto_pad", "NOTSET");
  if (ap == "NOTSET")
    a.mode = AutoPad::kNotSet;
  else if (ap == "SAME_UPPER")
    a.mode = AutoPad::kSameUpper;
  else if (ap == "SAME_LOWER")
    a.mode = AutoPad::kSameLower;
  else if (ap == "VALID")
    a.mode = AutoPad::kValid;
  else
    conv_fail(n, "unknown auto_pad '", ap, "'");
  a.group = n.attr_i("group", 1);
  if (a.group < 1) conv_fail(n, "group must be >= 1");
  read_ints(n, "strides", nsp, 1, a.stride);
  read_ints(n, "dilations", nsp, 1, a.dil);
  read_ints(n, "pads", 2 * nsp, 0, a.pads);
  if (n.attr_ints("kernel_shape")) {
    read_ints(n, "kernel_shape", nsp, 1, a.kernel);
    for (int i = 0; i < nsp; ++i)
      if (w_kernel[i] >= 0 && w_kernel[i] != a.kernel[i])
        conv_fail(n, "kernel_shape does not match the weights");
  } else {
    for (int i = 0; i < nsp; ++i) a.kernel[i] = w_kernel[i];
  }
  for (int i = 0; i < nsp; ++i) {
    if (a.stride[i] < 1 || a.dil[i] < 1) conv_fail(n, "strides and dilations must be >= 1");
    if (a.pads[i] < 0 || a.pads[i + nsp] < 0) conv_fail(n, "pads must be >= 0");
  }
  return a;
}

void conv_infer(InferContext& c) {
  const DType dt = c.input_dtype(0);
  if (dt != DType::kF32 && dt != DType::kF64) c.fail("unsupported dtype ", dtype_name(dt));
  if (c.input_dtype(1) != dt || (c.has_input(2) && c.input_dtype(2) != dt))
    c.fail("input dtypes differ");
  const SymShape& x = c.input_shape(0);
  const SymShape& w = c.input_shape(1);
  if (!x.rank_known() && !w.rank_known()) return c.set_output(0, dt, SymShape{});
  const int rank = x.rank_known() ? x.rank : w.rank;
  if (rank < 3) c.fail("input must have rank >= 3, got ", rank);
  if (w.rank_known() && w.rank != rank) c.fail("weights rank ", w.rank, " != input rank ", rank);
  const int nsp = rank - 2;
  int64_t wk[kMaxRank] = {};
  for (int i = 0; i < nsp; ++i) wk[i] = w.rank_known() && w[i + 2].is_known() ? w[i + 2].value : -1;
  const ConvAttrs a = parse_attrs(c.node(), nsp, wk);
  if (x.rank_known() && w.rank_known() && x[1].is_known() && w[1].is_known() &&
      x[1].value != w[1].value * a.group)
    c.fail("input has ", x[1].value, " channels, weights expect ", w[1].value * a.group);
  if (w.rank_known() && w[0].is_known() && w[0].value % a.group != 0)
    c.fail("output channels ", w[0].value, " not divisible by group ", a.group);
  if (c.has_input(2)) {
    const SymShape& b = c.input_shape(2);
    if (b.rank_known() && (b.rank != 1 || (b[0].is_known() && w.rank_known() && w[0].is_known() &&
                                           b[0].value != w[0].value)))
      c.fail("bias must have shape [M]");
  }
  SymShape out;
  out.rank = rank;
  out.d[0] = x.rank_known() ? x[0] : c.unknown_dim();
  out.d[1] = w.rank_known() ? w[0] : c.unknown_dim();
  for (int i = 0; i < nsp; ++i) {
    const Dim in = x.rank_known() ? x[i + 2] : c.unknown_dim();
    if (in.is_known() && a.kernel[i] >= 0) {
      out.d[i + 2] = Dim::known(a.out_extent(i, in.value, nullptr));
    } else {
      out.d[i + 2] = a.preserves_extent(i) ? in : c.unknown_dim();
    }
  }
  c.set_output(0, dt, out);
}

// Geometry of one run with concrete shapes.
struct ConvGeom {
  ConvAttrs a;
  int64_t N, C, M, G, Cg, OCg, Kp = 1, S = 1, inS = 1, CK;
  int64_t in[kMaxRank], out[kMaxRank], pb[kMaxRank];
  bool pointwise = true;
};

ConvGeom make_geom(const graph::Node& n, const Shape& x, const Shape& w, const Shape& y) {
  ConvGeom g;
  const int nsp = x.rank - 2;
  int64_t wk[kMaxRank] = {};
  for (int i = 0; i < nsp; ++i) wk[i] = w[i + 2];
  g.a = parse_attrs(n, nsp, wk);
  g.N = x[0], g.C = x[1], g.M = w[0], g.G = g.a.group;
  g.Cg = g.C / g.G, g.OCg = g.M / g.G;
  for (int i = 0; i < nsp; ++i) {
    g.in[i] = x[i + 2];
    g.out[i] = y[i + 2];
    g.a.out_extent(i, g.in[i], &g.pb[i]);
    g.Kp *= g.a.kernel[i], g.S *= g.out[i], g.inS *= g.in[i];
    if (g.a.kernel[i] != 1 || g.a.stride[i] != 1 || g.pb[i] != 0 || g.out[i] != g.in[i])
      g.pointwise = false;
  }
  g.CK = g.Cg * g.Kp;
  return g;
}

// Row r (channel r / Kp, kernel offset r % Kp) of the im2col matrix: S entries. x may be
// misaligned; dst is scratch.
template <class T>
void im2col_row(const char* x, const ConvGeom& g, int64_t r, T* dst) {
  const int nsp = g.a.nsp, L = nsp - 1;
  int64_t kk = r % g.Kp, kidx[kMaxRank];
  for (int i = L; i >= 0; --i) kidx[i] = kk % g.a.kernel[i], kk /= g.a.kernel[i];
  const char* xc = elem_ptr<T>(x, (r / g.Kp) * g.inS);
  Shape outer;
  outer.rank = nsp;
  for (int i = 0; i < nsp; ++i) outer.d[i] = g.out[i];
  outer.d[L] = 1;
  int64_t oidx[kMaxRank] = {};
  const int64_t sL = g.a.stride[L], offL = kidx[L] * g.a.dil[L] - g.pb[L], inL = g.in[L];
  do {
    int64_t base = 0;
    bool valid = true;
    for (int i = 0; i < L && valid; ++i) {
      const int64_t ii = oidx[i] * g.a.stride[i] + kidx[i] * g.a.dil[i] - g.pb[i];
      valid = ii >= 0 && ii < g.in[i];
      base = base * g.in[i] + ii;
    }
    const char* row = elem_ptr<T>(xc, base * inL);
    for (int64_t ox = 0; ox < g.out[L]; ++ox) {
      const int64_t ix = ox * sL + offL;
      *dst++ = valid && ix >= 0 && ix < inL ? load<T>(row, ix) : T{};
    }
  } while (next_index(outer, oidx));
}

void conv_prepare(PrepareContext& c) {
  const Shape& x = c.inputs[0].shape;
  const Shape& w = c.inputs[1].shape;
  const Shape& y = c.outputs[0].shape;
  if (x.rank < 3 || w.rank != x.rank || y.rank != x.rank) return;
  const ConvGeom g = make_geom(c.node, x, w, y);
  if (!g.pointwise)
    c.scratch_bytes = static_cast<size_t>(g.CK * g.S) * dtype_size(c.inputs[0].dtype);
}

template <class T>
void conv_typed(RunContext& ctx) {
  const TensorView& X = ctx.in(0);
  const TensorView& W = ctx.in(1);
  TensorView& Y = ctx.out(0);
  const ConvGeom g = make_geom(ctx.node, X.shape, W.shape, Y.shape);
  if (Y.numel() == 0) return;
  const size_t need = static_cast<size_t>(g.CK * g.S) * sizeof(T);
  if (!g.pointwise && (!ctx.scratch || ctx.scratch_bytes < need))
    conv_fail(ctx.node, "scratch of ", ctx.scratch_bytes, " bytes < ", need, " needed");
  const void* bias = ctx.has_in(2) ? ctx.in(2).data : nullptr;
  T* col = static_cast<T*>(ctx.scratch);
  for (int64_t n = 0; n < g.N; ++n)
    for (int64_t grp = 0; grp < g.G; ++grp) {
      const char* xg = elem_ptr<T>(X.data, (n * g.C + grp * g.Cg) * g.inS);
      if (!g.pointwise) {
        auto fill = [&](size_t r) { im2col_row(xg, g, static_cast<int64_t>(r), col + r * g.S); };
        parallel_for(ctx.pool, static_cast<size_t>(g.CK), fill);
      }
      const MatRef<T> w{elem_ptr<T>(W.data, grp * g.OCg * g.CK), g.CK, 1};
      const MatRef<T> b{g.pointwise ? static_cast<const void*>(xg) : col, g.S, 1};
      T* yg = Y.as<T>() + (n * g.M + grp * g.OCg) * g.S;
      auto task = [&](size_t t) {
        const int64_t m0 = static_cast<int64_t>(t) * kRowBlock;
        const int64_t m1 = std::min(g.OCg, m0 + kRowBlock);
        for (int64_t m = m0; m < m1; ++m)
          std::fill(yg + m * g.S, yg + (m + 1) * g.S, bias ? load<T>(bias, grp * g.OCg + m) : T{});
        gemm_rows<T>(m0, m1, g.S, g.CK, w, b, yg, g.S);
      };
      parallel_for(ctx.pool, static_cast<size_t>((g.OCg + kRowBlock - 1) / kRowBlock), task);
    }
}

void conv_run(RunContext& c) {
  if (c.in(0).dtype == DType::kF32)
    conv_typed<float>(c);
  else
    conv_typed<double>(c);
}

const KernelImpl kConv[] = {{"reference", nullptr, conv_prepare, conv_run, kNone}};

const OpSchema kSchemas[] = {
    // Versions 1 and 11 differ only in documentation and types: one semantic range.
    {"Conv", "", 1, kLatestOpset, conv_infer, kConv, "float32/float64"},
};

}  // namespace

std::span<const OpSchema> conv_schemas() { return kSchemas; }

}  // namespace wrun::ops
