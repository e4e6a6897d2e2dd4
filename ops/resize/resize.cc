// Resize (opsets 10-19+) and Upsample (7-9): separable nearest, N-linear and N-cubic
// interpolation. Per axis, each output coordinate maps to at most 4 input taps with weights;
// the tables are built once per run in scratch, and every output element sums the product of
// its axes' taps (in double).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "ops/common.h"
#include "ops/elementwise/elem_types.h"
#include "ops/linalg/parallel.h"
#include "ops/resize/geometry.h"

namespace wrun::ops::resize {

namespace {

using elementwise::AllTypes;
using elementwise::Elem;
using elementwise::FloatTypes;

// The input taps of one output coordinate along one axis.
struct Taps {
  int32_t n = 0;
  bool outside = false;  // tf_crop_and_resize sample outside the input: extrapolation_value
  int64_t idx[4] = {};
  double w[4] = {};
};

// Where output coordinate x lies in the input, per coordinate_transformation_mode. `out` is the
// integer output length, g.length[ax] the unfloored one.
double original(const Params& p, const Geometry& g, int ax, int64_t in, int64_t out, int64_t x) {
  const double s = g.scale[ax], xr = static_cast<double>(x), len = g.length[ax];
  switch (p.coord) {
    case Coord::kHalfPixel:
      return (xr + 0.5) / s - 0.5;
    case Coord::kHalfPixelSymmetric: {
      const double offset = static_cast<double>(in) / 2 * (1 - static_cast<double>(out) / len);
      return offset + (xr + 0.5) / s - 0.5;
    }
    case Coord::kPytorchHalfPixel:
      return len > 1 ? (xr + 0.5) / s - 0.5 : 0.0;
    case Coord::kAlignCorners:
      return len > 1 ? xr * static_cast<double>(in - 1) / (len - 1) : 0.0;
    case Coord::kAsymmetric:
      return xr / s;
    case Coord::kTfHalfPixelForNN:
      return (xr + 0.5) / s;
    case Coord::kTfCropAndResize: {
      const double a = g.start[ax], b = g.end[ax], span = static_cast<double>(in - 1);
      return len > 1 ? a * span + xr * (b - a) * span / (len - 1) : 0.5 * (a + b) * span;
    }
  }
  return 0;
}

int64_t nearest(const Params& p, double xo, double scale) {
  const double f = std::floor(xo), frac = xo - f;
  switch (p.rounding) {
    case Rounding::kRoundPreferFloor:
      return static_cast<int64_t>(frac <= 0.5 ? f : f + 1);
    case Rounding::kRoundPreferCeil:
      return static_cast<int64_t>(frac < 0.5 ? f : f + 1);
    case Rounding::kFloor:
      return static_cast<int64_t>(f);
    case Rounding::kCeil:
      return static_cast<int64_t>(std::ceil(xo));
    case Rounding::kSimple:
      return static_cast<int64_t>(scale < 1 ? std::ceil(xo) : std::trunc(xo));
  }
  return 0;
}

// Keys' cubic convolution weights for the taps at floor-1 .. floor+2, t = x - floor(x).
void cubic_weights(double A, double t, double* w) {
  auto near = [A](double d) { return ((A + 2) * d - (A + 3)) * d * d + 1; };       // |d| <= 1
  auto far = [A](double d) { return ((A * d - 5 * A) * d + 8 * A) * d - 4 * A; };  // 1 < |d| < 2
  w[0] = far(t + 1), w[1] = near(t), w[2] = near(1 - t), w[3] = far(2 - t);
}

Taps taps_of(const Params& p, const Geometry& g, int ax, int64_t in, int64_t out, int64_t x) {
  Taps t;
  const double xo = original(p, g, ax, in, out, x);
  if (p.coord == Coord::kTfCropAndResize && (xo < 0 || xo > static_cast<double>(in - 1))) {
    t.outside = true;
    return t;
  }
  int64_t idx[4];
  double w[4];
  int n;
  if (p.mode == Mode::kNearest) {
    n = 1, idx[0] = nearest(p, xo, g.scale[ax]), w[0] = 1;
  } else {
    const double f = std::floor(xo), frac = xo - f;
    const int64_t i0 = static_cast<int64_t>(f);
    if (p.mode == Mode::kLinear) {
      n = 2, idx[0] = i0, idx[1] = i0 + 1, w[0] = 1 - frac, w[1] = frac;
    } else {
      n = 4;
      for (int k = 0; k < 4; ++k) idx[k] = i0 - 1 + k;
      cubic_weights(p.cubic_a, frac, w);
      if (p.exclude_outside) {
        double sum = 0;
        for (int k = 0; k < 4; ++k) {
          if (idx[k] < 0 || idx[k] >= in) w[k] = 0;
          sum += w[k];
        }
        for (int k = 0; k < 4; ++k) w[k] /= sum;
      }
    }
  }
  // Samples beyond the edge repeat the edge; zero weights are dropped.
  for (int k = 0; k < n; ++k) {
    if (w[k] == 0) continue;
    t.idx[t.n] = std::clamp<int64_t>(idx[k], 0, in - 1);
    t.w[t.n++] = w[k];
  }
  if (t.n == 0) t.idx[0] = std::clamp<int64_t>(idx[0], 0, in - 1), t.w[0] = 0, t.n = 1;
  return t;
}

// Optional input i when present and non-empty.
const TensorView* arg_in(const RunContext& c, int i) {
  return i >= 0 && c.has_in(i) && c.in(i).numel() > 0 ? &c.in(i) : nullptr;
}

const std::vector<float>* scales_attr(const graph::Node& n, const Params& p) {
  const graph::Attribute* a = p.scales_in < 0 ? n.attr("scales") : nullptr;
  return a ? &a->floats : nullptr;
}

size_t table_bytes(const Shape& out) {
  int64_t n = 0;
  for (int i = 0; i < out.rank; ++i) n += out.d[i];
  return static_cast<size_t>(n) * sizeof(Taps);
}

// Visits every output element: f(out_index, taps of each axis).
template <class F>
void for_each_output(RunContext& c, const Shape& out, Taps* const* table, F& f) {
  const int r = out.rank;
  const int64_t last = out.d[r - 1];
  auto row = [&](size_t t) {
    int64_t idx[kMaxRank] = {};
    int64_t rest = static_cast<int64_t>(t);
    for (int i = r - 2; i >= 0; --i) idx[i] = rest % out.d[i], rest /= out.d[i];
    const Taps* taps[kMaxRank];
    for (int i = 0; i < r - 1; ++i) taps[i] = &table[i][idx[i]];
    for (int64_t x = 0; x < last; ++x) {
      taps[r - 1] = &table[r - 1][x];
      f(static_cast<int64_t>(t) * last + x, taps);
    }
  };
  parallel_for(c.pool, static_cast<size_t>(out.numel() / last), row);
}

}  // namespace

void resize_infer(InferContext& c) {
  const DType dt = c.input_dtype(0);
  if (dtype_size(dt) == 0) c.fail("unsupported dtype ", dtype_name(dt));
  const SymShape& x = c.input_shape(0);
  if (!x.rank_known()) return c.set_output(0, dt, SymShape{});
  if (x.rank == 0) c.fail("input must have rank >= 1");
  const Params p = parse_params(c.node(), c.opset(), x.rank);
  if (p.sizes_in >= 0 && c.has_input(p.sizes_in) && c.input_dtype(p.sizes_in) != DType::kI64)
    c.fail("sizes must be int64, got ", dtype_name(c.input_dtype(p.sizes_in)));
  bool unknown = false;
  auto take = [&](int i, bool needed) -> const TensorView* {
    if (i < 0 || !c.has_input(i)) return nullptr;
    const SymShape& s = c.input_shape(i);
    if (s.rank == 1 && s.d[0].is_known() && s.d[0].value == 0) return nullptr;
    const TensorView* v = c.input_value(i);
    if (v && v->numel() == 0) return nullptr;
    if (!v && needed) unknown = true;
    return v;
  };
  Args a;
  a.roi = take(p.roi_in, p.coord == Coord::kTfCropAndResize);
  a.scales = take(p.scales_in, true);
  a.sizes = take(p.sizes_in, true);
  a.scales_attr = scales_attr(c.node(), p);
  Geometry g;
  if (unknown) {
    g.out = x;
    for (int j = 0; j < p.naxes; ++j) g.out.d[p.axes[j]] = c.unknown_dim();
    return c.set_output(0, dt, g.out);
  }
  resolve(c.node(), p, x, a, &g);
  for (int i = 0; i < x.rank; ++i)
    if (!g.out_known[i]) g.out.d[i] = c.unknown_dim();
  c.set_output(0, dt, g.out);
}

std::string resize_supports(const SupportQuery& q) {
  const Params p = parse_params(q.node, q.opset, -1);
  if (p.mode == Mode::kNearest) return "";
  if (p.antialias) return "antialias";
  const DType dt = q.in_dtypes[0];
  if (!elementwise::in_mask(elementwise::mask_of(FloatTypes{}), dt))
    return std::string(q.node.attr_s("mode", "")) + " interpolation of " +
           std::string(dtype_name(dt));
  return "";
}

void resize_prepare(PrepareContext& c) { c.scratch_bytes = table_bytes(c.outputs[0].shape); }

void resize_run(RunContext& c) {
  const TensorView& X = c.in(0);
  TensorView& Y = c.out(0);
  const int r = X.shape.rank;
  const Params p = parse_params(c.node, c.opset, r);
  Args a;
  a.roi = arg_in(c, p.roi_in);
  a.scales = arg_in(c, p.scales_in);
  a.sizes = arg_in(c, p.sizes_in);
  a.scales_attr = scales_attr(c.node, p);
  Geometry g;
  resolve(c.node, p, SymShape::of(X.shape), a, &g);
  const Shape& out = Y.shape;
  if (!(g.out.concrete() == out))
    fail(c.node.op_type, " '", c.node.name, "': output shape ", out.str(), " differs from ",
         g.out.concrete().str());
  if (out.numel() == 0) return;
  WRUN_CHECK(table_bytes(out) <= c.scratch_bytes, c.node.op_type, " '", c.node.name,
             "': scratch too small");
  Taps* table[kMaxRank];
  Taps* next = static_cast<Taps*>(c.scratch);
  for (int i = 0; i < r; ++i) {
    table[i] = next;
    for (int64_t x = 0; x < out.d[i]; ++x) *next++ = taps_of(p, g, i, X.shape.d[i], out.d[i], x);
  }
  const size_t es = dtype_size(X.dtype);
  const char* xs = X.as<const char>();
  char* ys = Y.as<char>();
  if (p.mode == Mode::kNearest) {
    char fill[8] = {};  // extrapolation_value in the output dtype
    elementwise::dispatch(AllTypes{}, X.dtype, [&](auto tag) {
      using T = decltype(tag);
      Elem<T>::store(fill, static_cast<elementwise::Compute<T>>(p.extrapolation));
    });
    auto f = [&](int64_t o, const Taps* const* taps) {
      int64_t off = 0;
      for (int i = 0; i < r; ++i) {
        if (taps[i]->outside) return (void)std::memcpy(ys + o * es, fill, es);
        off = off * X.shape.d[i] + taps[i]->idx[0];
      }
      std::memcpy(ys + o * es, xs + off * static_cast<int64_t>(es), es);
    };
    return for_each_output(c, out, table, f);
  }
  int64_t stride[kMaxRank];
  for (int64_t i = r - 1, s = 1; i >= 0; --i) stride[i] = s, s *= X.shape.d[i];
  elementwise::dispatch(FloatTypes{}, X.dtype, [&](auto tag) {
    using T = decltype(tag);
    using C = elementwise::Compute<T>;
    auto f = [&](int64_t o, const Taps* const* taps) {
      for (int i = 0; i < r; ++i)
        if (taps[i]->outside) return Elem<T>::store(ys + o * es, static_cast<C>(p.extrapolation));
      // Odometer over the taps of every axis (axes with one tap contribute a fixed offset).
      int k[kMaxRank] = {};
      double sum = 0;
      for (;;) {
        double w = 1;
        int64_t off = 0;
        for (int i = 0; i < r; ++i) w *= taps[i]->w[k[i]], off += taps[i]->idx[k[i]] * stride[i];
        sum += w * static_cast<double>(Elem<T>::load(xs + off * static_cast<int64_t>(es)));
        int i = r - 1;
        while (i >= 0 && ++k[i] == taps[i]->n) k[i--] = 0;
        if (i < 0) break;
      }
      Elem<T>::store(ys + o * es, static_cast<C>(sum));
    };
    for_each_output(c, out, table, f);
  });
}

}  // namespace wrun::ops::resize
