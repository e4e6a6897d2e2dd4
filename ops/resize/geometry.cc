#include "ops/resize/geometry.h"

#include <cmath>

#include "ops/common.h"

namespace wrun::ops::resize {

namespace {

template <class... A>
[[noreturn]] void node_fail(const graph::Node& n, const A&... a) {
  ::wrun::fail(n.op_type, " '", n.name, "': ", a...);
}

int64_t list_size(const Args& a) {
  return a.scales ? a.scales->numel() : static_cast<int64_t>(a.scales_attr->size());
}
double scale_at(const Args& a, int64_t i) {
  return a.scales ? read_scalar(*a.scales, i) : (*a.scales_attr)[i];
}

}  // namespace

void resolve(const graph::Node& n, const Params& p, const SymShape& x, const Args& a, Geometry* g) {
  g->out = x;
  for (int i = 0; i < x.rank; ++i) {
    g->out_known[i] = true;
    g->scale[i] = 1, g->start[i] = 0, g->end[i] = 1;
    g->length[i] = x.d[i].is_known() ? static_cast<double>(x.d[i].value) : 0;
  }
  const bool has_scales = a.scales || (a.scales_attr && !a.scales_attr->empty());
  if (has_scales == (a.sizes != nullptr))
    node_fail(n, "exactly one of scales and sizes must be given");
  if (has_scales) {
    if (list_size(a) != p.naxes)
      node_fail(n, "scales has ", list_size(a), " elements, expected ", p.naxes);
    for (int j = 0; j < p.naxes; ++j) {
      const int ax = p.axes[j];
      const double s = scale_at(a, j);
      if (!(s > 0)) node_fail(n, "scale ", s, " must be positive");
      g->scale[ax] = s;
      if (s == 1) continue;  // keeps a symbolic extent
      if (x.d[ax].is_known()) {
        g->length[ax] = static_cast<double>(x.d[ax].value) * s;
        g->out.d[ax] = Dim::known(static_cast<int64_t>(std::floor(g->length[ax])));
      } else {
        g->out_known[ax] = false;
      }
    }
  } else {
    if (a.sizes->numel() != p.naxes)
      node_fail(n, "sizes has ", a.sizes->numel(), " elements, expected ", p.naxes);
    bool all_known = true;
    for (int j = 0; j < p.naxes; ++j) {
      const int ax = p.axes[j];
      const int64_t s = read_int(*a.sizes, j);
      if (s < 0) node_fail(n, "size ", s, " must not be negative");
      g->out.d[ax] = Dim::known(s);
      g->length[ax] = static_cast<double>(s);
      if (!x.d[ax].is_known()) {
        all_known = false;
        continue;
      }
      const int64_t in = x.d[ax].value;
      if (in == 0 && s != 0) node_fail(n, "cannot resize axis ", ax, " of extent 0 to ", s);
      g->scale[ax] = in == 0 ? 1.0 : static_cast<double>(s) / static_cast<double>(in);
    }
    if (p.aspect != Aspect::kStretch) {
      // One scale for every resized axis; extents follow it, rounded half up.
      double common = g->scale[p.axes[0]];
      for (int j = 1; j < p.naxes; ++j) {
        const double s = g->scale[p.axes[j]];
        common = p.aspect == Aspect::kNotLarger ? std::min(common, s) : std::max(common, s);
      }
      for (int j = 0; j < p.naxes; ++j) {
        const int ax = p.axes[j];
        g->scale[ax] = common;
        g->out_known[ax] = all_known;
        if (!all_known) continue;
        g->length[ax] = common * static_cast<double>(x.d[ax].value);
        g->out.d[ax] = Dim::known(static_cast<int64_t>(std::floor(g->length[ax] + 0.5)));
      }
    }
  }
  if (p.coord == Coord::kTfCropAndResize && a.roi) {
    if (a.roi->numel() != 2 * p.naxes)
      node_fail(n, "roi has ", a.roi->numel(), " elements, expected ", 2 * p.naxes);
    for (int j = 0; j < p.naxes; ++j) {
      g->start[p.axes[j]] = read_scalar(*a.roi, j);
      g->end[p.axes[j]] = read_scalar(*a.roi, p.naxes + j);
    }
  }
}

}  // namespace wrun::ops::resize
