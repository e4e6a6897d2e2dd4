// MaxPool (with optional Indices), AveragePool and LpPool: one walk over each window's taps per
// output element; N*C planes run in parallel. Sums are taken in double.
#include <cmath>

#include "ops/common.h"
#include "ops/linalg/parallel.h"
#include "ops/pool/elem.h"
#include "ops/pool/pool.h"
#include "ops/pool/window.h"

namespace wrun::ops::pool {
namespace {

// Calls f(plane, j, o) for output element j (spatial multi-index o) of every plane.
template <class F>
void for_each_output(pthreadpool_t pool, const WindowGeom& g, F&& f) {
  Shape os;
  os.rank = g.w.nsp;
  for (int i = 0; i < g.w.nsp; ++i) os.d[i] = g.out[i];
  auto plane = [&](size_t t) {
    int64_t o[kMaxRank] = {};
    for (int64_t j = 0; j < g.out_size; ++j) {
      f(static_cast<int64_t>(t), j, o);
      next_index(os, o);
    }
  };
  parallel_for(pool, static_cast<size_t>(g.planes), plane);
}

void check_float_input(InferContext& c) {
  if (!is_float_dtype(c.input_dtype(0))) c.fail("unsupported dtype ", dtype_name(c.input_dtype(0)));
}

// Column-major offset of the element at row-major offset `off` in a plane of extents `in`.
int64_t column_major(int64_t off, const int64_t* in, int nsp) {
  int64_t idx[kMaxRank];
  for (int i = nsp - 1; i >= 0; --i) idx[i] = off % in[i], off /= in[i];
  int64_t r = 0;
  for (int i = nsp - 1; i >= 0; --i) r = r * in[i] + idx[i];
  return r;
}

template <class E>
void max_pool_typed(RunContext& ctx, const WindowGeom& g) {
  const void* x = ctx.in(0).data;
  void* y = ctx.out(0).data;
  int64_t* ind = ctx.has_out(1) ? ctx.out(1).as<int64_t>() : nullptr;
  const bool col = ctx.node.attr_i("storage_order", 0) == 1;
  for_each_output(ctx.pool, g, [&](int64_t p, int64_t j, const int64_t* o) {
    const int64_t xp = p * g.in_size;
    double best = E::lowest();
    int64_t arg = -1;
    for_each_tap(g, o, [&](int64_t off, bool inside, bool) {
      if (!inside) return;
      const double v = E::get(x, xp + off);
      // The first maximum wins; NaN propagates (as numpy's max does).
      if (arg < 0 || v > best || (std::isnan(v) && !std::isnan(best))) best = v, arg = off;
    });
    E::put(y, p * g.out_size + j, best);
    if (ind)
      ind[p * g.out_size + j] = arg < 0 ? -1 : xp + (col ? column_major(arg, g.in, g.w.nsp) : arg);
  });
}

template <class E>
void average_pool_typed(RunContext& ctx, const WindowGeom& g) {
  const void* x = ctx.in(0).data;
  void* y = ctx.out(0).data;
  const bool include_pad = ctx.node.attr_i("count_include_pad", 0) != 0;
  for_each_output(ctx.pool, g, [&](int64_t p, int64_t j, const int64_t* o) {
    const int64_t xp = p * g.in_size;
    double sum = 0;
    int64_t n = 0, n_padded = 0;
    for_each_tap(g, o, [&](int64_t off, bool inside, bool padded) {
      if (inside) sum += E::get(x, xp + off), ++n;
      n_padded += padded;
    });
    // Taps past the padded extent (ceil_mode) never count; an empty window gives 0/0.
    E::put(y, p * g.out_size + j, sum / static_cast<double>(include_pad ? n_padded : n));
  });
}

template <class E>
void lp_pool_typed(RunContext& ctx, const WindowGeom& g, double p_order) {
  const void* x = ctx.in(0).data;
  void* y = ctx.out(0).data;
  for_each_output(ctx.pool, g, [&](int64_t p, int64_t j, const int64_t* o) {
    const int64_t xp = p * g.in_size;
    double sum = 0;
    for_each_tap(g, o, [&](int64_t off, bool inside, bool) {
      if (inside) sum += std::pow(std::fabs(E::get(x, xp + off)), p_order);
    });
    E::put(y, p * g.out_size + j, std::pow(sum, 1.0 / p_order));
  });
}

}  // namespace

double lp_order(const graph::Node& n) {
  const graph::Attribute* a = n.attr("p");
  const double p = !a ? 2.0 : a->kind == graph::Attribute::Kind::kFloat ? a->f : a->i;
  if (!(p > 0)) node_fail(n, "p must be positive, got ", p);
  return p;
}

void max_pool_infer(InferContext& c) {
  const DType dt = c.input_dtype(0);
  const bool ints = dt == DType::kI8 || dt == DType::kU8;
  if (!is_float_dtype(dt) && !ints) c.fail("unsupported dtype ", dtype_name(dt));
  if (ints && c.opset() < 12) c.fail(dtype_name(dt), " input needs opset 12, got ", c.opset());
  const auto& outs = c.node().outputs;
  if (c.opset() < 8 && outs.size() > 1 && outs[1] >= 0)
    c.fail("the Indices output needs opset 8, got ", c.opset());
  const int64_t order = c.node().attr_i("storage_order", 0);
  if (order != 0 && order != 1) c.fail("storage_order must be 0 or 1, got ", order);
  const SymShape s = window_out_shape(c, parse_window(c.node()), c.input_shape(0));
  c.set_output(0, dt, s);
  c.set_output(1, DType::kI64, s);
}

void average_pool_infer(InferContext& c) {
  check_float_input(c);
  c.set_output(0, c.input_dtype(0), window_out_shape(c, parse_window(c.node()), c.input_shape(0)));
}

void lp_pool_infer(InferContext& c) {
  check_float_input(c);
  lp_order(c.node());
  c.set_output(0, c.input_dtype(0), window_out_shape(c, parse_window(c.node()), c.input_shape(0)));
}

void max_pool_run(RunContext& c) {
  const WindowGeom g = make_window_geom(c.node, c.in(0).shape);
  dispatch_elem(c.in(0).dtype, true, [&](auto e) { max_pool_typed<decltype(e)>(c, g); });
}

void average_pool_run(RunContext& c) {
  const WindowGeom g = make_window_geom(c.node, c.in(0).shape);
  dispatch_elem(c.in(0).dtype, false, [&](auto e) { average_pool_typed<decltype(e)>(c, g); });
}

void lp_pool_run(RunContext& c) {
  const WindowGeom g = make_window_geom(c.node, c.in(0).shape);
  const double p = lp_order(c.node);
  dispatch_elem(c.in(0).dtype, false, [&](auto e) { lp_pool_typed<decltype(e)>(c, g, p); });
}

}  // namespace wrun::ops::pool
