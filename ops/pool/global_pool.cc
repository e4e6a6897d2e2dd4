// GlobalAveragePool, GlobalMaxPool, GlobalLpPool: one value per (N, C) plane, all spatial
// extents reduced to 1. Sums are taken in double.
#include <cmath>

#include "ops/common.h"
#include "ops/linalg/parallel.h"
#include "ops/pool/elem.h"
#include "ops/pool/pool.h"
#include "ops/pool/window.h"

namespace wrun::ops::pool {
namespace {

// Calls y[p] = f(x, plane offset, plane size) for every plane, in parallel.
template <class E, class F>
void per_plane(RunContext& ctx, F&& f) {
  const Shape& s = ctx.in(0).shape;
  const int64_t planes = s[0] * s[1], size = s.numel() / std::max<int64_t>(planes, 1);
  const void* x = ctx.in(0).data;
  void* y = ctx.out(0).data;
  auto task = [&](size_t t) {
    const int64_t p = static_cast<int64_t>(t);
    E::put(y, p, f(x, p * size, size));
  };
  parallel_for(ctx.pool, static_cast<size_t>(planes), task);
}

template <class E>
void average_typed(RunContext& ctx) {
  per_plane<E>(ctx, [](const void* x, int64_t off, int64_t n) {
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) sum += E::get(x, off + i);
    return sum / static_cast<double>(n);
  });
}

template <class E>
void max_typed(RunContext& ctx) {
  per_plane<E>(ctx, [](const void* x, int64_t off, int64_t n) {
    double best = E::lowest();
    for (int64_t i = 0; i < n; ++i) {
      const double v = E::get(x, off + i);
      if (v > best || std::isnan(v)) best = v;
      if (std::isnan(best)) break;
    }
    return best;
  });
}

template <class E>
void lp_typed(RunContext& ctx, double p) {
  per_plane<E>(ctx, [p](const void* x, int64_t off, int64_t n) {
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) sum += std::pow(std::fabs(E::get(x, off + i)), p);
    return std::pow(sum, 1.0 / p);
  });
}

}  // namespace

void global_pool_infer(InferContext& c) {
  const DType dt = c.input_dtype(0);
  if (!is_float_dtype(dt)) c.fail("unsupported dtype ", dtype_name(dt));
  if (c.node().op_type == "GlobalLpPool") lp_order(c.node());
  SymShape s = c.input_shape(0);
  if (s.rank_known()) {
    if (s.rank < 2) c.fail("input must have rank >= 2, got ", s.rank);
    for (int i = 2; i < s.rank; ++i) s.d[i] = Dim::known(1);
  }
  c.set_output(0, dt, s);
}

void global_average_pool_run(RunContext& c) {
  dispatch_elem(c.in(0).dtype, false, [&](auto e) { average_typed<decltype(e)>(c); });
}

void global_max_pool_run(RunContext& c) {
  dispatch_elem(c.in(0).dtype, false, [&](auto e) { max_typed<decltype(e)>(c); });
}

void global_lp_pool_run(RunContext& c) {
  const double p = lp_order(c.node);
  dispatch_elem(c.in(0).dtype, false, [&](auto e) { lp_typed<decltype(e)>(c, p); });
}

}  // namespace wrun::ops::pool
