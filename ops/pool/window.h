// Sliding-window attributes shared by MaxPool, AveragePool and LpPool (and the attribute readers
// ConvTranspose uses): kernel_shape, strides, dilations, pads, auto_pad, ceil_mode.
#pragma once
#include <cstdint>
#include <string_view>

#include "graph/ir.h"
#include "graph/shape.h"
#include "ops/kernel.h"

namespace wrun::ops::pool {

enum class AutoPad { kNotSet, kSameUpper, kSameLower, kValid };

AutoPad parse_auto_pad(const graph::Node& n);
// Reads an ints attribute that must have `count` entries, else fills `def`.
void read_ints(const graph::Node& n, std::string_view key, int count, int64_t def, int64_t* out);
// dil * (k - 1) + 1, failing on overflow.
int64_t kernel_span(const graph::Node& n, int64_t k, int64_t dil);

template <class... A>
[[noreturn]] void node_fail(const graph::Node& n, const A&... a) {
  fail(n.op_type, " '", n.name, "': ", a...);
}

struct Window {
  int nsp = 0;  // spatial rank
  AutoPad mode = AutoPad::kNotSet;
  bool ceil = false;
  int64_t kernel[kMaxRank] = {}, stride[kMaxRank] = {}, dil[kMaxRank] = {};
  int64_t pads[2 * kMaxRank] = {};
  const graph::Node* node = nullptr;  // for errors

  // Output extent of spatial axis i for input extent `in`, with the padding before and after.
  int64_t out_extent(int i, int64_t in, int64_t* pb, int64_t* pe) const;
  // True when the output extent equals the input extent whatever the input extent.
  bool preserves_extent(int i) const;
};

// Parses the window attributes: kernel_shape (required) fixes the spatial rank.
Window parse_window(const graph::Node& n);

// Checks X's rank against the window and returns the pooled shape [N, C, out...].
SymShape window_out_shape(InferContext& c, const Window& w, const SymShape& x);

// Concrete geometry of one run.
struct WindowGeom {
  Window w;
  int64_t planes = 1, in_size = 1, out_size = 1;  // N*C, input and output plane sizes
  int64_t in[kMaxRank] = {}, out[kMaxRank] = {}, pb[kMaxRank] = {}, pe[kMaxRank] = {};
};
WindowGeom make_window_geom(const graph::Node& n, const Shape& x);

// Calls f(offset, inside, in_padded) for every tap of the window at output position o (a spatial
// multi-index): offset is the tap's row-major offset in the input plane (valid when inside).
template <class F>
inline void for_each_tap(const WindowGeom& g, const int64_t* o, F&& f) {
  const int nsp = g.w.nsp;
  int64_t k[kMaxRank] = {};
  for (;;) {
    int64_t off = 0;
    bool inside = true, padded = true;
    for (int i = 0; i < nsp; ++i) {
      const int64_t x = o[i] * g.w.stride[i] + k[i] * g.w.dil[i] - g.pb[i];
      inside = inside && x >= 0 && x < g.in[i];
      padded = padded && x >= -g.pb[i] && x < g.in[i] + g.pe[i];
      off = off * g.in[i] + x;
    }
    f(off, inside, padded);
    int i = nsp - 1;
    for (; i >= 0; --i) {
      if (++k[i] < g.w.kernel[i]) break;
      k[i] = 0;
    }
    if (i < 0) return;
  }
}

}  // namespace wrun::ops::pool
