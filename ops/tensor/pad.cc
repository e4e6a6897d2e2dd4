// Pad: each output index maps, per axis, to an input index (or to the constant). Negative pads
// crop first; the modes then pad the cropped extent, as numpy.pad would pad the cropped array.
#include <algorithm>
#include <cstdlib>

#include "ops/tensor/elem_util.h"
#include "ops/tensor/tensor_ops.h"
#include "ops/tensor/tensor_util.h"

namespace wrun::ops::tensor {
namespace {

enum class PadMode { kConstant, kReflect, kEdge, kWrap };

PadMode pad_mode(const graph::Node& node, int64_t opset) {
  const std::string_view m = node.attr_s("mode", "constant");
  if (m == "constant") return PadMode::kConstant;
  if (m == "reflect") return PadMode::kReflect;
  if (m == "edge") return PadMode::kEdge;
  if (m == "wrap" && opset >= 19) return PadMode::kWrap;
  fail("Pad '", node.name, "': unsupported mode '", m, "' at opset ", opset);
}

// Pads as attributes (`paddings` at opset 1, `pads` at 2-10) or inputs (pads, constant_value,
// and from opset 18 axes).
struct PadArgs {
  IntList pads, axes;
  bool has_axes = false;
  bool known() const { return pads.known() && (!has_axes || axes.known()); }
};

template <class Get>
PadArgs pad_args(const graph::Node& node, int64_t opset, Get&& input) {
  PadArgs a;
  if (opset < 11) {
    a.pads = IntList::of_attr(node, opset < 2 ? "paddings" : "pads");
    if (!a.pads.known())
      fail("Pad '", node.name, "': missing attribute '", opset < 2 ? "paddings" : "pads", "'");
    return a;
  }
  bool present = false;
  a.pads = IntList::of_view(input(1, &present));
  if (!present) fail("Pad '", node.name, "': input 1 (pads) is required");
  if (opset >= 18) {
    a.axes = IntList::of_view(input(3, &present));
    a.has_axes = present;
  }
  return a;
}

// Per-axis begin/end amounts from known args; fails on bad lengths or repeated axes.
void pad_amounts(const PadArgs& a, int rank, const graph::Node& node, int64_t* begin,
                 int64_t* end) {
  std::fill(begin, begin + rank, 0);
  std::fill(end, end + rank, 0);
  const int64_t n = a.has_axes ? a.axes.size() : rank;
  if (a.pads.size() != 2 * n)
    fail("Pad '", node.name, "': pads has ", a.pads.size(), " entries, expected ", 2 * n);
  bool seen[kMaxRank] = {};
  for (int64_t i = 0; i < n; ++i) {
    const int ax = a.has_axes ? normalize_axis(a.axes[i], rank, node) : static_cast<int>(i);
    if (seen[ax]) fail("Pad '", node.name, "': axis ", a.axes[i], " given twice");
    seen[ax] = true;
    begin[ax] = a.pads[i];
    end[ax] = a.pads[i + n];
    // Bounded so that the extent arithmetic below cannot overflow.
    constexpr int64_t kLimit = int64_t{1} << 60;
    if (std::abs(begin[ax]) > kLimit || std::abs(end[ax]) > kLimit)
      fail("Pad '", node.name, "': pads ", begin[ax], ", ", end[ax], " out of range");
  }
}

// One axis: `crop` input elements dropped at the start, `m` kept, `lo` padded before them.
struct AxisPad {
  int64_t crop = 0, m = 0, lo = 0;
};

AxisPad axis_pad(int64_t n, int64_t b, int64_t e) {
  return {std::max<int64_t>(-b, 0), n + std::min<int64_t>(b, 0) + std::min<int64_t>(e, 0),
          std::max<int64_t>(b, 0)};
}

// Input index that output index o reads along an axis, or -1 for the constant.
int64_t pad_source(int64_t o, const AxisPad& a, PadMode mode) {
  int64_t j = o - a.lo;
  if (j >= 0 && j < a.m) return a.crop + j;
  switch (mode) {
    case PadMode::kConstant:
      return -1;
    case PadMode::kEdge:
      j = j < 0 ? 0 : a.m - 1;
      break;
    case PadMode::kReflect:
      if (a.m == 1) {
        j = 0;
      } else {
        const int64_t p = 2 * (a.m - 1);  // reflection is periodic, as numpy's repeated one
        j %= p;
        if (j < 0) j += p;
        if (j >= a.m) j = p - j;
      }
      break;
    case PadMode::kWrap:
      j %= a.m;
      if (j < 0) j += a.m;
      break;
  }
  return a.crop + j;
}

}  // namespace

void infer_pad(InferContext& ctx) {
  movable_size(ctx, 0);
  const graph::Node& node = ctx.node();
  const DType dt = ctx.input_dtype(0);
  const PadMode mode = pad_mode(node, ctx.opset());
  if (ctx.opset() >= 11) {
    if (ctx.has_input(1)) check_int_input(ctx, 1);
    if (ctx.has_input(2) && ctx.input_dtype(2) != dt)
      ctx.fail("constant_value has dtype ", dtype_name(ctx.input_dtype(2)), " but data has ",
               dtype_name(dt));
    if (ctx.opset() >= 18 && ctx.has_input(3)) check_int_input(ctx, 3);
  }
  const PadArgs a = pad_args(node, ctx.opset(), [&](int i, bool* present) {
    *present = ctx.has_input(i);
    return known_input(ctx, i);
  });
  const SymShape& in = ctx.input_shape(0);
  if (!in.rank_known()) {
    ctx.set_output(0, dt, SymShape{});
    return;
  }
  if (!a.known()) {
    ctx.set_output(0, dt, unknown_shape(ctx, in.rank));
    return;
  }
  int64_t b[kMaxRank], e[kMaxRank];
  pad_amounts(a, in.rank, node, b, e);
  SymShape out = in;
  for (int i = 0; i < in.rank; ++i) {
    if (!in.d[i].is_known()) {
      if (b[i] != 0 || e[i] != 0) out.d[i] = ctx.unknown_dim();
      continue;
    }
    const AxisPad p = axis_pad(in.d[i].value, b[i], e[i]);
    if (p.m < 0)
      ctx.fail("pads ", b[i], ", ", e[i], " remove more than the extent ", in.d[i].value,
               " of axis ", i);
    const int64_t o = checked_add(checked_add(p.m, p.lo), std::max<int64_t>(e[i], 0));
    if (mode != PadMode::kConstant && p.m == 0 && o > 0)
      ctx.fail("cannot pad the empty axis ", i, " in mode '", node.attr_s("mode", ""), "'");
    out.d[i] = Dim::known(o);
  }
  ctx.set_output(0, dt, out);
}

void run_pad(RunContext& ctx) {
  const TensorView& in = ctx.in(0);
  TensorView& out = ctx.out(0);
  const PadMode mode = pad_mode(ctx.node, ctx.opset);
  const PadArgs a = pad_args(ctx.node, ctx.opset, [&](int i, bool* present) {
    *present = ctx.has_in(i);
    return run_input(ctx, i);
  });
  const int r = in.shape.rank;
  const size_t es = dtype_size(in.dtype);
  const int64_t ies = static_cast<int64_t>(es);
  int64_t b[kMaxRank], e[kMaxRank];
  pad_amounts(a, r, ctx.node, b, e);
  AxisPad ax[kMaxRank];
  for (int i = 0; i < r; ++i) {
    ax[i] = axis_pad(in.shape.d[i], b[i], e[i]);
    if (ax[i].m < 0 || out.shape.d[i] != ax[i].m + ax[i].lo + std::max<int64_t>(e[i], 0))
      run_fail(ctx, "output shape ", out.shape.str(), " does not match the pads");
  }
  alignas(8) char value[16] = {};
  if (ctx.opset < 11) {
    store_double(in.dtype, ctx.node.attr_f("value", 0.0f), value);
  } else if (ctx.has_in(2) && ctx.in(2).numel() > 0) {
    std::memcpy(value, ctx.in(2).data, es);
  }
  if (out.numel() == 0) return;
  const char* src = in.as<const char>();
  char* dst = out.as<char>();
  if (r == 0) {
    std::memcpy(dst, src, es);
    return;
  }
  for (int i = 0; i < r; ++i)
    if (ax[i].m == 0 && mode != PadMode::kConstant)
      run_fail(ctx, "cannot pad the empty axis ", i, " in mode '", ctx.node.attr_s("mode", ""),
               "'");
  // Rows along the last axis: a row whose outer index falls in a pad is all constant; otherwise
  // its middle is one run of the input row and its two ends follow the mode.
  const AxisPad& last = ax[r - 1];
  const int64_t width = out.shape.d[r - 1], ls = in.strides[r - 1];
  Shape outer = out.shape;
  outer.d[r - 1] = 1;
  int64_t idx[kMaxRank] = {};
  do {
    int64_t off = 0;
    bool inside = true;
    for (int k = 0; k < r - 1 && inside; ++k) {
      const int64_t j = pad_source(idx[k], ax[k], mode);
      inside = j >= 0;
      off += j * in.strides[k];
    }
    if (!inside) {
      fill_elements(dst, width, value, es);
    } else {
      const char* row = src + off * ies;
      auto edge = [&](int64_t o) {
        const int64_t j = pad_source(o, last, mode);
        std::memcpy(dst + o * ies, j < 0 ? value : row + j * ls * ies, es);
      };
      for (int64_t o = 0; o < last.lo; ++o) edge(o);
      if (ls == 1) {
        std::memcpy(dst + last.lo * ies, row + last.crop * ies, static_cast<size_t>(last.m) * es);
      } else {
        for (int64_t j = 0; j < last.m; ++j)
          std::memcpy(dst + (last.lo + j) * ies, row + (last.crop + j) * ls * ies, es);
      }
      for (int64_t o = last.lo + last.m; o < width; ++o) edge(o);
    }
    dst += width * ies;
  } while (next_index(outer, idx));
}

}  // namespace wrun::ops::tensor
