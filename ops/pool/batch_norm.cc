// BatchNormalization in inference form: y = (x - mean) / sqrt(var + epsilon) * scale + B per
// channel (per channel and position when opset < 9 sets spatial=0). Training (opset 6 is_test=0,
// the opset 7-13 statistics outputs, opset 14+ training_mode=1) is refused in supports().
#include <cmath>

#include "ops/common.h"
#include "ops/linalg/parallel.h"
#include "ops/pool/elem.h"
#include "ops/pool/pool.h"

namespace wrun::ops::pool {
namespace {

bool has_output(const graph::Node& n, int i) {
  return i < static_cast<int>(n.outputs.size()) && n.outputs[i] >= 0;
}

// Opsets before 9 may normalise per activation (spatial=0): parameters of shape [C, D1, ...].
bool per_activation(const graph::Node& n, int64_t opset) {
  return opset < 9 && n.attr_i("spatial", 1) == 0;
}

template <class E>
void batch_norm_typed(RunContext& ctx) {
  const TensorView& X = ctx.in(0);
  const int64_t N = X.shape[0], C = X.shape[1];
  const int64_t inner = C == 0 || N == 0 ? 0 : X.numel() / (N * C);
  const double eps = ctx.node.attr_f("epsilon", 1e-5f);
  const bool per_act = per_activation(ctx.node, ctx.opset);
  const void* x = X.data;
  void* y = ctx.out(0).data;
  // Parameters may have their own dtypes (opset 15): read them generically, once per channel.
  auto coeffs = [&](int64_t i, double* a, double* b) {
    const double mean = read_scalar(ctx.in(3), i), var = read_scalar(ctx.in(4), i);
    *a = read_scalar(ctx.in(1), i) / std::sqrt(var + eps);
    *b = read_scalar(ctx.in(2), i) - mean * *a;
  };
  auto plane = [&](size_t t) {
    const int64_t p = static_cast<int64_t>(t), c = p % C, base = p * inner;
    double a = 0, b = 0;
    if (!per_act) coeffs(c, &a, &b);
    for (int64_t s = 0; s < inner; ++s) {
      if (per_act) coeffs(c * inner + s, &a, &b);
      E::put(y, base + s, E::get(x, base + s) * a + b);
    }
  };
  parallel_for(ctx.pool, static_cast<size_t>(N * C), plane);
}

}  // namespace

void batch_norm_infer(InferContext& c) {
  const DType dt = c.input_dtype(0);
  if (!is_float_dtype(dt)) c.fail("unsupported dtype ", dtype_name(dt));
  if (c.num_inputs() < 5) c.fail("expects 5 inputs, got ", c.num_inputs());
  for (int i = 1; i < 5; ++i) {
    if (!c.has_input(i)) c.fail("input ", i, " is required");
    if (!is_float_dtype(c.input_dtype(i)))
      c.fail("input ", i, " has unsupported dtype ", dtype_name(c.input_dtype(i)));
  }
  // Opset 15 lets scale/B (T1) and mean/var (T2) differ from X; before, all are X's dtype.
  if (c.opset() < 15) {
    for (int i = 1; i < 5; ++i)
      if (c.input_dtype(i) != dt) c.fail("input ", i, " dtype differs from X");
  } else if (c.input_dtype(2) != c.input_dtype(1) || c.input_dtype(4) != c.input_dtype(3)) {
    c.fail("scale and B, and mean and var, must share a dtype");
  }
  const SymShape& x = c.input_shape(0);
  const bool per_act = per_activation(c.node(), c.opset());
  SymShape stat;
  if (x.rank_known()) {
    if (x.rank < 2) c.fail("input must have rank >= 2, got ", x.rank);
    stat.rank = 1;
    stat.d[0] = x[1];
    for (int i = 1; i < 5; ++i) {
      const SymShape& p = c.input_shape(i);
      if (!p.rank_known()) continue;
      if (per_act) {
        if (p.rank != x.rank - 1) c.fail("input ", i, " must have shape [C, D1, ...]");
        for (int d = 0; d < p.rank; ++d)
          if (p[d].is_known() && x[d + 1].is_known() && p[d].value != x[d + 1].value)
            c.fail("input ", i, " must have shape [C, D1, ...]");
      } else if (p.rank != 1 || (p[0].is_known() && x[1].is_known() && p[0].value != x[1].value)) {
        c.fail("input ", i, " must have shape [C]");
      }
    }
  }
  c.set_output(0, dt, x);
  // Training outputs (refused by supports()) still get shapes so that planning can name why.
  for (int i = 1; i < c.num_outputs(); ++i) c.set_output(i, c.input_dtype(3), stat);
}

std::string batch_norm_supports(const SupportQuery& q) {
  const graph::Node& n = q.node;
  if (q.opset < 7 && n.attr_i("is_test", 0) == 0) return "is_test=0 (training statistics)";
  if (q.opset >= 14 && n.attr_i("training_mode", 0) != 0)
    return "training_mode=1 (training statistics)";
  for (int i = 1; i < static_cast<int>(n.outputs.size()); ++i)
    if (has_output(n, i)) return "the training outputs (running or saved statistics)";
  return {};
}

void batch_norm_run(RunContext& c) {
  dispatch_elem(c.in(0).dtype, false, [&](auto e) { batch_norm_typed<decltype(e)>(c); });
}

}  // namespace wrun::ops::pool
