// Hardmax: 1 at the first maximum along the axis, 0 elsewhere. Before opset 13 the input is
// coerced to 2-D at `axis` (default 1), so the maximum is over all dims from axis on; from 13 the
// op works along one axis (default -1).
#include <cstring>

#include "ops/common.h"
#include "ops/linalg/parallel.h"
#include "ops/selection/selection.h"

namespace wrun::ops::selection {

using elementwise::FloatTypes;

namespace {
int64_t default_axis(int64_t opset) { return opset < 13 ? 1 : -1; }
}  // namespace

void hardmax_infer(InferContext& c) {
  const DType dt = c.input_dtype(0);
  if (!elementwise::in_mask(elementwise::mask_of(FloatTypes{}), dt))
    c.fail("unsupported dtype ", dtype_name(dt));
  const SymShape& x = c.input_shape(0);
  if (x.rank_known())
    normalize_axis(c.node().attr_i("axis", default_axis(c.opset())), x.rank, c.node());
  c.set_output(0, dt, x);
}

void hardmax_run(RunContext& c) {
  const TensorView& X = c.in(0);
  TensorView& Y = c.out(0);
  const bool legacy = c.opset < 13;
  const int axis =
      normalize_axis(c.node.attr_i("axis", default_axis(c.opset)), X.shape.rank, c.node);
  const Rows r = rows_of(X.shape, axis, legacy);
  if (r.outer * r.n * r.inner == 0) return;
  std::memset(Y.data, 0, Y.bytes());
  elementwise::dispatch(FloatTypes{}, X.dtype, [&](auto tag) {
    using T = decltype(tag);
    constexpr int64_t es = sizeof(T);
    const char* x = X.as<const char>();
    char* y = Y.as<char>();
    auto task = [&](size_t t) {
      const int64_t o = static_cast<int64_t>(t) / r.inner, in = static_cast<int64_t>(t) % r.inner;
      const int64_t base = o * r.n * r.inner + in;
      const int64_t k = best_index<T, true>(x + base * es, r.n, r.inner, false);
      Elem<T>::store(y + (base + k * r.inner) * es, 1.0f);
    };
    parallel_for(c.pool, static_cast<size_t>(r.outer * r.inner), task);
  });
}

}  // namespace wrun::ops::selection
