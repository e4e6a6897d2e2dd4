// Geometry of one convolution with concrete shapes, and the im2col rows read by Conv and by the
// integer convolutions (ConvInteger, QLinearConv).
#pragma once
#include <cstdint>

#include "ops/common.h"
#include "ops/conv/conv_attrs.h"
#include "ops/linalg/load.h"

namespace wrun::ops {

struct ConvGeom {
  ConvAttrs a;
  int64_t N, C, M, G, Cg, OCg, Kp = 1, S = 1, inS = 1, CK;
  int64_t in[kMaxRank], out[kMaxRank], pb[kMaxRank];
  bool pointwise = true;  // 1x1 kernel, stride 1, no padding: the input is its own im2col matrix
};

inline ConvGeom make_conv_geom(const graph::Node& n, const Shape& x, const Shape& w,
                               const Shape& y) {
  ConvGeom g;
  const int nsp = x.rank - 2;
  int64_t wk[kMaxRank] = {};
  for (int i = 0; i < nsp; ++i) wk[i] = w[i + 2];
  g.a = parse_conv_attrs(n, nsp, wk);
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

// Row r (channel r / Kp, kernel offset r % Kp) of the im2col matrix: S entries, map(x) where the
// window reads the input and `pad` where it reads padding. x may be misaligned.
template <class T, class Out, class Map>
void im2col_row(const char* x, const ConvGeom& g, int64_t r, Out* dst, Map map, Out pad) {
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
      *dst++ = valid && ix >= 0 && ix < inL ? map(load<T>(row, ix)) : pad;
    }
  } while (next_index(outer, oidx));
}

}  // namespace wrun::ops
