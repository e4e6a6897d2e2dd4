// Softmax and LogSoftmax, numerically stable (the row maximum is subtracted), sums in double.
#include <cmath>

#include "ops/common.h"
#include "ops/linalg/load.h"
#include "ops/linalg/parallel.h"
#include "ops/normalization/normalization.h"

namespace wrun::ops::normalization {

void softmax_infer(InferContext& c) {
  const DType dt = c.input_dtype(0);
  if (dt != DType::kF32 && dt != DType::kF64) c.fail("unsupported dtype ", dtype_name(dt));
  const SymShape& x = c.input_shape(0);
  if (x.rank_known())
    normalize_axis(c.node().attr_i("axis", c.opset() < 13 ? 1 : -1), x.rank, c.node());
  c.set_output(0, dt, x);
}

namespace {

// The op works on `outer` x `n` x `inner` elements, reducing over n (stride inner).
template <class T, bool kLog>
void softmax_typed(RunContext& ctx) {
  const TensorView& X = ctx.in(0);
  const Shape& s = X.shape;
  const bool legacy = ctx.opset < 13;
  const int axis = normalize_axis(ctx.node.attr_i("axis", legacy ? 1 : -1), s.rank, ctx.node);
  int64_t outer = 1, n = 1, inner = 1;
  for (int i = 0; i < s.rank; ++i) {
    if (i < axis)
      outer *= s[i];
    else if (i == axis || legacy)
      n *= s[i];
    else
      inner *= s[i];
  }
  if (s.rank == 0) n = 1;  // a scalar is one row of one element
  if (outer * n * inner == 0) return;
  const void* x = X.data;  // may be misaligned: read with load<T>
  T* y = ctx.out(0).as<T>();
  auto row = [&](size_t t) {
    const int64_t o = static_cast<int64_t>(t) / inner, in = static_cast<int64_t>(t) % inner;
    const char* xr = elem_ptr<T>(x, o * n * inner + in);
    T* yr = y + o * n * inner + in;
    T mx = load<T>(xr, 0);
    for (int64_t k = 1; k < n; ++k) mx = std::max(mx, load<T>(xr, k * inner));
    double sum = 0;
    for (int64_t k = 0; k < n; ++k) {
      const T e = std::exp(load<T>(xr, k * inner) - mx);
      if constexpr (!kLog) yr[k * inner] = e;
      sum += e;
    }
    if constexpr (kLog) {
      const double ls = std::log(sum);
      for (int64_t k = 0; k < n; ++k)
        yr[k * inner] = static_cast<T>(static_cast<double>(load<T>(xr, k * inner) - mx) - ls);
    } else {
      for (int64_t k = 0; k < n; ++k)
        yr[k * inner] = static_cast<T>(static_cast<double>(yr[k * inner]) / sum);
    }
  };
  parallel_for(ctx.pool, static_cast<size_t>(outer * inner), row);
}

template <bool kLog>
void run_either(RunContext& c) {
  if (c.in(0).dtype == DType::kF32)
    softmax_typed<float, kLog>(c);
  else
    softmax_typed<double, kLog>(c);
}

}  // namespace

void softmax_run(RunContext& c) { run_either<false>(c); }
void log_softmax_run(RunContext& c) { run_either<true>(c); }

}  // namespace wrun::ops::normalization
