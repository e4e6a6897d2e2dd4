// One-input math ops. float32 math runs in float, except where double is needed for the
// spec's accuracy (Erf, Gelu).
#include <cmath>

#include "ops/elementwise/broadcast_map.h"
#include "ops/elementwise/elementwise.h"
#include "ops/elementwise/scalar_math.h"

namespace wrun::ops::elementwise {
namespace {

struct SqrtOp {
  template <class T>
  T operator()(T x) const {
    return std::sqrt(x);
  }
};
struct ExpOp {
  template <class T>
  T operator()(T x) const {
    return std::exp(x);
  }
};
struct LogOp {
  template <class T>
  T operator()(T x) const {
    return std::log(x);
  }
};
struct TanhOp {
  template <class T>
  T operator()(T x) const {
    return std::tanh(x);
  }
};
// Split at 0 so exp never overflows into inf/inf.
struct SigmoidOp {
  template <class T>
  T operator()(T x) const {
    if (x >= 0) return T(1) / (T(1) + std::exp(-x));
    const T e = std::exp(x);
    return e / (T(1) + e);
  }
};
struct FloorOp {
  template <class T>
  T operator()(T x) const {
    return std::floor(x);
  }
};
struct CeilOp {
  template <class T>
  T operator()(T x) const {
    return std::ceil(x);
  }
};
struct ReciprocalOp {
  template <class T>
  T operator()(T x) const {
    return T(1) / x;
  }
};
struct ErfOp {
  template <class T>
  T operator()(T x) const {
    const double r = std::erf(static_cast<double>(x));
    if constexpr (std::is_integral_v<T>)
      return float_to_int<T>(r);
    else
      return static_cast<T>(r);
  }
};
// NaN stays NaN (x < 0 is false), as numpy's maximum(x, 0) does.
struct ReluOp {
  template <class T>
  T operator()(T x) const {
    return x < T(0) ? T(0) : x;
  }
};
struct NegOp {
  template <class T>
  T operator()(T x) const {
    if constexpr (std::is_integral_v<T>)
      return static_cast<T>(WrapType<T>(0) - WrapType<T>(x));
    else
      return -x;
  }
};
struct AbsOp {
  template <class T>
  T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>)
      return std::fabs(x);
    else if constexpr (std::is_signed_v<T>)
      return x < 0 ? static_cast<T>(WrapType<T>(0) - WrapType<T>(x)) : x;
    else
      return x;
  }
};
struct NotOp {
  bool operator()(bool x) const { return !x; }
};
struct GeluOp {
  template <class T>
  T operator()(T x) const {
    const double v = x;
    return static_cast<T>(0.5 * v * (1.0 + std::erf(v * 0.70710678118654752440)));
  }
};
struct GeluTanhOp {
  template <class T>
  T operator()(T x) const {
    const double v = x, k = 0.79788456080286535588;  // sqrt(2 / pi)
    return static_cast<T>(0.5 * v * (1.0 + std::tanh(k * (v + 0.044715 * v * v * v))));
  }
};

template <class TL>
void infer_unary(InferContext& c) {
  if (c.num_inputs() != 1) c.fail("expects 1 input, got ", c.num_inputs());
  check_input(c, 0, mask_of(TL{}));
  c.set_output(0, c.input_dtype(0), c.input_shape(0));
}

template <class Op, class TL>
void run_unary(RunContext& ctx) {
  const TensorView* ins[1] = {&ctx.in(0)};
  dispatch(TL{}, ctx.in(0).dtype, [&](auto z) {
    using T = decltype(z);
    map<T, T>(ctx.node, ins, ctx.out(0), Op{});
  });
}

bool gelu_tanh(const graph::Node& node) {
  const std::string_view a = node.attr_s("approximate", "none");
  if (a == "none") return false;
  if (a == "tanh") return true;
  fail(node.op_type, " '", node.name, "': approximate must be \"none\" or \"tanh\", got \"", a,
       "\"");
}

void infer_gelu(InferContext& c) {
  gelu_tanh(c.node());
  infer_unary<FloatTypes>(c);
}

void run_gelu(RunContext& ctx) {
  if (gelu_tanh(ctx.node))
    run_unary<GeluTanhOp, FloatTypes>(ctx);
  else
    run_unary<GeluOp, FloatTypes>(ctx);
}

template <class Op, class TL>
constexpr OpSchema row(std::string_view op, int opset_min) {
  return {op, "", opset_min, kOpsetMax, &infer_unary<TL>, kReference<&run_unary<Op, TL>>};
}

using Signed = decltype(FloatTypes{} + SignedTypes{});

const OpSchema kSchemas[] = {
    row<SqrtOp, FloatTypes>("Sqrt", 1),
    row<ExpOp, FloatTypes>("Exp", 1),
    row<LogOp, FloatTypes>("Log", 1),
    row<ErfOp, NumericTypes>("Erf", 9),
    row<TanhOp, FloatTypes>("Tanh", 1),
    row<SigmoidOp, FloatTypes>("Sigmoid", 1),
    row<ReluOp, Signed>("Relu", 1),
    row<NegOp, Signed>("Neg", 1),
    row<AbsOp, NumericTypes>("Abs", 1),
    row<ReciprocalOp, FloatTypes>("Reciprocal", 1),
    row<FloorOp, FloatTypes>("Floor", 1),
    row<CeilOp, FloatTypes>("Ceil", 1),
    row<NotOp, Types<bool>>("Not", 1),
    // ai.onnx Gelu is opset 20, but exporters emit it at lower opsets too.
    {"Gelu", "", 1, kOpsetMax, &infer_gelu, kReference<&run_gelu>},
    // com.microsoft Gelu: the exact erf form (no approximate attribute).
    {"Gelu", "com.microsoft", 1, 1, &infer_gelu, kReference<&run_gelu>},
};

}  // namespace

std::span<const OpSchema> unary_schemas() { return kSchemas; }

}  // namespace wrun::ops::elementwise
