// ArgMax and ArgMin: int64 indices of the extreme along one axis (keepdims, select_last_index).
#include "ops/common.h"
#include "ops/linalg/parallel.h"
#include "ops/selection/selection.h"

namespace wrun::ops::selection {

using elementwise::NumericTypes;

void arg_infer(InferContext& c) {
  const DType dt = c.input_dtype(0);
  if (!elementwise::in_mask(elementwise::mask_of(NumericTypes{}), dt))
    c.fail("unsupported dtype ", dtype_name(dt));
  const SymShape& x = c.input_shape(0);
  if (!x.rank_known()) return c.set_output(0, DType::kI64, SymShape{});
  if (x.rank == 0) c.fail("input must have rank >= 1");
  const int axis = normalize_axis(c.node().attr_i("axis", 0), x.rank, c.node());
  const bool keep = c.node().attr_i("keepdims", 1) != 0;
  if (x.d[axis].is_known() && x.d[axis].value == 0) c.fail("axis ", axis, " has extent 0");
  SymShape out = SymShape::scalar();
  for (int i = 0; i < x.rank; ++i) {
    if (i != axis)
      out.push(x.d[i]);
    else if (keep)
      out.push(Dim::known(1));
  }
  c.set_output(0, DType::kI64, out);
}

namespace {

template <bool kMax>
void arg_run(RunContext& c) {
  const TensorView& X = c.in(0);
  const int axis = normalize_axis(c.node.attr_i("axis", 0), X.shape.rank, c.node);
  const bool last = c.node.attr_i("select_last_index", 0) != 0;
  const Rows r = rows_of(X.shape, axis);
  int64_t* y = c.out(0).as<int64_t>();
  elementwise::dispatch(NumericTypes{}, X.dtype, [&](auto tag) {
    using T = decltype(tag);
    const char* x = X.as<const char>();
    auto task = [&](size_t t) {
      const int64_t o = static_cast<int64_t>(t) / r.inner, in = static_cast<int64_t>(t) % r.inner;
      const char* row = x + (o * r.n * r.inner + in) * static_cast<int64_t>(sizeof(T));
      y[t] = best_index<T, kMax>(row, r.n, r.inner, last);
    };
    parallel_for(c.pool, static_cast<size_t>(r.outer * r.inner), task);
  });
}

}  // namespace

void argmax_run(RunContext& c) { arg_run<true>(c); }
void argmin_run(RunContext& c) { arg_run<false>(c); }

}  // namespace wrun::ops::selection
