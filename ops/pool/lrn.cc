// LRN: y = x / (bias + alpha / size * sum of x^2 over the neighbouring channels)^beta, the
// neighbourhood being [c - floor((size - 1) / 2), c + ceil((size - 1) / 2)] clipped to [0, C).
#include <algorithm>
#include <cmath>

#include "ops/common.h"
#include "ops/linalg/parallel.h"
#include "ops/pool/elem.h"
#include "ops/pool/pool.h"
#include "ops/pool/window.h"

namespace wrun::ops::pool {
namespace {

int64_t lrn_size(const graph::Node& n) {
  const graph::Attribute* a = n.attr("size");
  if (!a) node_fail(n, "size is required");
  if (a->i < 1) node_fail(n, "size must be >= 1, got ", a->i);
  return a->i;
}

template <class E>
void lrn_typed(RunContext& ctx) {
  const TensorView& X = ctx.in(0);
  const int64_t N = X.shape[0], C = X.shape[1];
  const int64_t inner = C == 0 || N == 0 ? 0 : X.numel() / (N * C);
  const int64_t size = lrn_size(ctx.node);
  const double alpha = ctx.node.attr_f("alpha", 1e-4f), beta = ctx.node.attr_f("beta", 0.75f);
  const double bias = ctx.node.attr_f("bias", 1.0f);
  const int64_t before = (size - 1) / 2, after = size - 1 - before;
  const void* x = X.data;
  void* y = ctx.out(0).data;
  auto plane = [&](size_t t) {
    const int64_t p = static_cast<int64_t>(t), n = p / C, c = p % C;
    const int64_t c0 = std::max<int64_t>(0, c - before), c1 = std::min(C - 1, c + after);
    for (int64_t s = 0; s < inner; ++s) {
      double sq = 0;
      for (int64_t k = c0; k <= c1; ++k) {
        const double v = E::get(x, (n * C + k) * inner + s);
        sq += v * v;
      }
      const double den = std::pow(bias + alpha / static_cast<double>(size) * sq, beta);
      E::put(y, p * inner + s, E::get(x, p * inner + s) / den);
    }
  };
  parallel_for(ctx.pool, static_cast<size_t>(N * C), plane);
}

}  // namespace

void lrn_infer(InferContext& c) {
  const DType dt = c.input_dtype(0);
  if (!is_float_dtype(dt)) c.fail("unsupported dtype ", dtype_name(dt));
  lrn_size(c.node());
  const SymShape& x = c.input_shape(0);
  if (x.rank_known() && x.rank < 3) c.fail("input must have rank >= 3, got ", x.rank);
  c.set_output(0, dt, x);
}

void lrn_run(RunContext& c) {
  dispatch_elem(c.in(0).dtype, false, [&](auto e) { lrn_typed<decltype(e)>(c); });
}

}  // namespace wrun::ops::pool
