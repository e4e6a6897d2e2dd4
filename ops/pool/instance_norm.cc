// InstanceNormalization: y = scale[c] * (x - mean) / sqrt(var + epsilon) + B[c], with the mean and
// (population) variance of each (N, C) plane taken in double.
#include <cmath>

#include "ops/common.h"
#include "ops/linalg/parallel.h"
#include "ops/pool/elem.h"
#include "ops/pool/pool.h"

namespace wrun::ops::pool {
namespace {

template <class E>
void instance_norm_typed(RunContext& ctx) {
  const TensorView& X = ctx.in(0);
  const int64_t N = X.shape[0], C = X.shape[1];
  const int64_t n = C == 0 || N == 0 ? 0 : X.numel() / (N * C);
  const double eps = ctx.node.attr_f("epsilon", 1e-5f);
  const void* x = X.data;
  const void* sc = ctx.in(1).data;
  const void* bi = ctx.in(2).data;
  void* y = ctx.out(0).data;
  auto plane = [&](size_t t) {
    const int64_t p = static_cast<int64_t>(t), c = p % C, base = p * n;
    double mean = 0, var = 0;
    for (int64_t i = 0; i < n; ++i) mean += E::get(x, base + i);
    mean /= static_cast<double>(n);
    for (int64_t i = 0; i < n; ++i) {
      const double d = E::get(x, base + i) - mean;
      var += d * d;
    }
    var /= static_cast<double>(n);
    const double a = E::get(sc, c) / std::sqrt(var + eps), b = E::get(bi, c);
    for (int64_t i = 0; i < n; ++i) E::put(y, base + i, (E::get(x, base + i) - mean) * a + b);
  };
  parallel_for(ctx.pool, static_cast<size_t>(N * C), plane);
}

}  // namespace

void instance_norm_infer(InferContext& c) {
  const DType dt = c.input_dtype(0);
  if (!is_float_dtype(dt)) c.fail("unsupported dtype ", dtype_name(dt));
  if (c.num_inputs() < 3 || !c.has_input(1) || !c.has_input(2)) c.fail("expects 3 inputs");
  if (c.input_dtype(1) != dt || c.input_dtype(2) != dt) c.fail("input dtypes differ");
  const SymShape& x = c.input_shape(0);
  if (x.rank_known()) {
    if (x.rank < 3) c.fail("input must have rank >= 3, got ", x.rank);
    for (int i = 1; i <= 2; ++i) {
      const SymShape& p = c.input_shape(i);
      if (p.rank_known() &&
          (p.rank != 1 || (p[0].is_known() && x[1].is_known() && p[0].value != x[1].value)))
        c.fail("input ", i, " must have shape [C]");
    }
  }
  c.set_output(0, dt, x);
}

void instance_norm_run(RunContext& c) {
  dispatch_elem(c.in(0).dtype, false, [&](auto e) { instance_norm_typed<decltype(e)>(c); });
}

}  // namespace wrun::ops::pool
