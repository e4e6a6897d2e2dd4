#include "ops/pool/window.h"

#include <algorithm>

namespace wrun::ops::pool {

AutoPad parse_auto_pad(const graph::Node& n) {
  const std::string_view ap = n.attr_s("auto_pad", "NOTSET");
  if (ap == "NOTSET") return AutoPad::kNotSet;
  if (ap == "SAME_UPPER") return AutoPad::kSameUpper;
  if (ap == "SAME_LOWER") return AutoPad::kSameLower;
  if (ap == "VALID") return AutoPad::kValid;
  node_fail(n, "unknown auto_pad '", ap, "'");
}

void read_ints(const graph::Node& n, std::string_view key, int count, int64_t def, int64_t* out) {
  const std::vector<int64_t>* v = n.attr_ints(key);
  if (v && static_cast<int>(v->size()) != count)
    node_fail(n, key, " has ", v->size(), " entries, expected ", count);
  for (int i = 0; i < count; ++i) out[i] = v ? (*v)[i] : def;
}

int64_t kernel_span(const graph::Node& n, int64_t k, int64_t dil) {
  int64_t span;
  if (__builtin_mul_overflow(dil, k - 1, &span) || __builtin_add_overflow(span, 1, &span))
    node_fail(n, "kernel extent overflows");
  return span;
}

Window parse_window(const graph::Node& n) {
  Window w;
  w.node = &n;
  const std::vector<int64_t>* ks = n.attr_ints("kernel_shape");
  if (!ks) node_fail(n, "kernel_shape is required");
  if (ks->empty() || ks->size() > kMaxRank - 2)
    node_fail(n, "kernel_shape has ", ks->size(), " entries, expected 1 to ", kMaxRank - 2);
  const int nsp = w.nsp = static_cast<int>(ks->size());
  w.mode = parse_auto_pad(n);
  w.ceil = n.attr_i("ceil_mode", 0) != 0;
  read_ints(n, "kernel_shape", nsp, 1, w.kernel);
  read_ints(n, "strides", nsp, 1, w.stride);
  read_ints(n, "dilations", nsp, 1, w.dil);
  // pads is ignored when auto_pad computes the padding (as ONNX's shape inference does).
  if (w.mode == AutoPad::kNotSet) read_ints(n, "pads", 2 * nsp, 0, w.pads);
  for (int i = 0; i < nsp; ++i) {
    if (w.kernel[i] < 1) node_fail(n, "kernel_shape entries must be >= 1");
    if (w.stride[i] < 1 || w.dil[i] < 1) node_fail(n, "strides and dilations must be >= 1");
    if (w.pads[i] < 0 || w.pads[i + nsp] < 0) node_fail(n, "pads must be >= 0");
    // A window made only of padding has no value; ONNX Runtime and PyTorch refuse it too.
    const int64_t span = kernel_span(n, w.kernel[i], w.dil[i]);
    if (w.pads[i] >= span || w.pads[i + nsp] >= span)
      node_fail(n, "pads of spatial axis ", i, " must be smaller than the kernel extent ", span);
  }
  return w;
}

int64_t Window::out_extent(int i, int64_t in, int64_t* pb, int64_t* pe) const {
  const int64_t span = kernel_span(*node, kernel[i], dil[i]), s = stride[i];
  int64_t out = 0, b = 0, e = 0;
  switch (mode) {
    case AutoPad::kNotSet: {
      b = pads[i], e = pads[i + nsp];
      int64_t padded;
      if (__builtin_add_overflow(in, b + e, &padded))
        node_fail(*node, "extent of spatial axis ", i, " overflows");
      if (padded < span) break;
      const int64_t num = padded - span;
      out = (ceil ? num / s + (num % s != 0) : num / s) + 1;
      // In ceil mode the last window must start inside the input or the leading padding.
      if (ceil && (out - 1) * s >= in + b) --out;
      break;
    }
    case AutoPad::kValid:  // ceil_mode does not apply (the spec's formula for VALID)
      out = in < span ? 0 : (in - span) / s + 1;
      break;
    default: {
      out = in / s + (in % s != 0);
      int64_t total;  // (out - 1) * s < in, so only adding the span can overflow
      if (__builtin_add_overflow((out - 1) * s - in, span, &total))
        node_fail(*node, "extent of spatial axis ", i, " overflows");
      total = std::max<int64_t>(0, total);
      b = mode == AutoPad::kSameUpper ? total / 2 : total - total / 2;
      e = total - b;
    }
  }
  if (pb) *pb = b;
  if (pe) *pe = e;
  return out;
}

bool Window::preserves_extent(int i) const {
  if (stride[i] != 1) return false;
  const int64_t span = dil[i] * (kernel[i] - 1) + 1;
  switch (mode) {
    case AutoPad::kSameUpper:
    case AutoPad::kSameLower:
      return true;
    case AutoPad::kValid:
      return span == 1;
    default:
      return pads[i] + pads[i + nsp] == span - 1;
  }
}

SymShape window_out_shape(InferContext& c, const Window& w, const SymShape& x) {
  if (x.rank_known() && x.rank != w.nsp + 2)
    c.fail("input has rank ", x.rank, " but kernel_shape has ", w.nsp, " entries");
  SymShape out;
  out.rank = w.nsp + 2;
  out.d[0] = x.rank_known() ? x[0] : c.unknown_dim();
  out.d[1] = x.rank_known() ? x[1] : c.unknown_dim();
  for (int i = 0; i < w.nsp; ++i) {
    const Dim in = x.rank_known() ? x[i + 2] : c.unknown_dim();
    if (in.is_known())
      out.d[i + 2] = Dim::known(w.out_extent(i, in.value, nullptr, nullptr));
    else
      out.d[i + 2] = w.preserves_extent(i) ? in : c.unknown_dim();
  }
  return out;
}

WindowGeom make_window_geom(const graph::Node& n, const Shape& x) {
  WindowGeom g;
  g.w = parse_window(n);
  if (x.rank != g.w.nsp + 2)
    node_fail(n, "input has rank ", x.rank, " but kernel_shape has ", g.w.nsp, " entries");
  g.planes = x[0] * x[1];
  for (int i = 0; i < g.w.nsp; ++i) {
    g.in[i] = x[i + 2];
    g.out[i] = g.w.out_extent(i, g.in[i], &g.pb[i], &g.pe[i]);
    g.in_size *= g.in[i];
    g.out_size *= g.out[i];
  }
  return g;
}

}  // namespace wrun::ops::pool
