// Ops over any number of inputs with numpy broadcasting: Min, Max, Sum, Mean. Input 0 is
// broadcast into the output, then each further input is folded into it in place.
#include <cmath>

#include "ops/elementwise/broadcast_map.h"
#include "ops/elementwise/elementwise.h"

namespace wrun::ops::elementwise {
namespace {

// NaN in either operand gives NaN, as numpy's minimum/maximum (the ONNX reference) do.
struct MinOp {
  template <class T>
  T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>)
      if (std::isnan(a) || std::isnan(b)) return a + b;
    return b < a ? b : a;
  }
};
struct MaxOp {
  template <class T>
  T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>)
      if (std::isnan(a) || std::isnan(b)) return a + b;
    return a < b ? b : a;
  }
};
struct SumOp {
  template <class T>
  T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>)
      return static_cast<T>(WrapType<T>(a) + WrapType<T>(b));
    else
      return a + b;
  }
};
struct Identity {
  template <class T>
  T operator()(T a) const {
    return a;
  }
};
struct Scale {
  float k;
  template <class T>
  T operator()(T a) const {
    return a * static_cast<T>(k);
  }
};

template <class TL>
void infer_variadic(InferContext& c) {
  if (c.num_inputs() < 1) c.fail("expects at least 1 input");
  for (int i = 0; i < c.num_inputs(); ++i) {
    check_input(c, i, mask_of(TL{}));
    if (c.input_dtype(i) != c.input_dtype(0))
      c.fail("input dtypes differ: ", dtype_name(c.input_dtype(0)), " and ",
             dtype_name(c.input_dtype(i)), " (input ", i, ")");
  }
  c.set_output(0, c.input_dtype(0), broadcast_inputs(c, 0, c.num_inputs()));
}

template <class Op, class TL, bool kMean>
void run_variadic(RunContext& ctx) {
  TensorView& out = ctx.out(0);
  const int n = static_cast<int>(ctx.inputs.size());
  dispatch(TL{}, out.dtype, [&](auto z) {
    using T = decltype(z);
    const TensorView* first[1] = {&ctx.in(0)};
    map<T, T>(ctx.node, first, out, Identity{});
    const TensorView acc = make_view(out.data, out.dtype, out.shape);
    for (int k = 1; k < n; ++k) {
      const TensorView* ins[2] = {&acc, &ctx.in(k)};
      map<T, T, T>(ctx.node, ins, out, Op{});
    }
    if constexpr (kMean) {
      // Divide (not multiply by 1/n) so that the result is the correctly rounded mean of the sum.
      const TensorView* ins[1] = {&acc};
      map<T, T>(ctx.node, ins, out, [n](auto a) { return a / static_cast<decltype(a)>(n); });
    }
  });
}

template <class Op, class TL, bool kMean = false>
constexpr OpSchema row(std::string_view op) {
  return {op, "", 1, kOpsetMax, &infer_variadic<TL>, kReference<&run_variadic<Op, TL, kMean>>};
}

const OpSchema kSchemas[] = {
    row<MinOp, NumericTypes>("Min"),
    row<MaxOp, NumericTypes>("Max"),
    row<SumOp, FloatTypes>("Sum"),
    row<SumOp, FloatTypes, true>("Mean"),
};

}  // namespace

std::span<const OpSchema> variadic_schemas() { return kSchemas; }

}  // namespace wrun::ops::elementwise
