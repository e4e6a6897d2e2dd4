// Activation functions with attributes: LeakyRelu, PRelu, HardSigmoid, HardSwish, Elu, Selu,
// Celu, Softplus, Softsign, ThresholdedRelu, Shrink. Math runs in the compute type (float for
// the 16-bit floats), as numpy does for the ONNX reference outputs.
#include <cmath>
#include <type_traits>

#include "ops/elementwise/map_ops.h"
#include "ops/elementwise/scalar_math.h"

namespace wrun::ops::elementwise {
namespace {

struct LeakyReluOp {
  float alpha;
  static LeakyReluOp make(const graph::Node& n, int64_t) { return {n.attr_f("alpha", 0.01f)}; }
  template <class T>
  T operator()(T x) const {
    return x < T(0) ? T(alpha) * x : x;
  }
};

// Integer PRelu multiplies with wrap-around, like the integer arithmetic ops.
struct PReluOp {
  template <class T>
  T operator()(T x, T slope) const {
    if constexpr (std::is_integral_v<T>)
      return x < T(0) ? static_cast<T>(WrapType<T>(slope) * WrapType<T>(x)) : x;
    else
      return x < T(0) ? slope * x : x;
  }
};

struct HardSigmoidOp {
  float alpha, beta;
  static HardSigmoidOp make(const graph::Node& n, int64_t) {
    return {n.attr_f("alpha", 0.2f), n.attr_f("beta", 0.5f)};
  }
  template <class T>
  T operator()(T x) const {
    return std::fmax(T(0), std::fmin(T(1), T(alpha) * x + T(beta)));
  }
};

// HardSigmoid with alpha = 1/6, beta = 0.5, times x.
struct HardSwishOp {
  template <class T>
  T operator()(T x) const {
    return x * std::fmax(T(0), std::fmin(T(1), x / T(6) + T(0.5)));
  }
};

struct EluOp {
  float alpha;
  static EluOp make(const graph::Node& n, int64_t) { return {n.attr_f("alpha", 1.0f)}; }
  template <class T>
  T operator()(T x) const {
    return x < T(0) ? T(alpha) * std::expm1(x) : x;
  }
};

// Opset 1's defaults were rounded to 4 decimals; opset 6 gave the exact constants.
struct SeluOp {
  float alpha, gamma;
  static SeluOp make(const graph::Node& n, int64_t opset) {
    const bool v1 = opset < 6;
    return {n.attr_f("alpha", v1 ? 1.6732f : 1.67326319217681884765625f),
            n.attr_f("gamma", v1 ? 1.0507f : 1.05070102214813232421875f)};
  }
  template <class T>
  T operator()(T x) const {
    return x <= T(0) ? T(gamma) * T(alpha) * std::expm1(x) : T(gamma) * x;
  }
};

struct CeluOp {
  float alpha;
  static CeluOp make(const graph::Node& n, int64_t) {
    const float a = n.attr_f("alpha", 1.0f);
    if (a == 0) fail("Celu '", n.name, "': alpha must not be 0");
    return {a};
  }
  template <class T>
  T operator()(T x) const {
    return x > T(0) ? x : T(alpha) * std::expm1(x / T(alpha));
  }
};

// log(1 + exp(x)) without overflow for large x or loss for very negative x.
struct SoftplusOp {
  template <class T>
  T operator()(T x) const {
    return x > T(0) ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
  }
};

struct SoftsignOp {
  template <class T>
  T operator()(T x) const {
    return x / (T(1) + std::fabs(x));
  }
};

struct ThresholdedReluOp {
  float alpha;
  static ThresholdedReluOp make(const graph::Node& n, int64_t) { return {n.attr_f("alpha", 1.0f)}; }
  template <class T>
  T operator()(T x) const {
    return x > T(alpha) ? x : T(0);
  }
};

// Integer inputs compare and subtract in double, then convert back (truncating).
struct ShrinkOp {
  float bias, lambd;
  static ShrinkOp make(const graph::Node& n, int64_t) {
    return {n.attr_f("bias", 0.0f), n.attr_f("lambd", 0.5f)};
  }
  template <class T>
  T operator()(T x) const {
    using W = std::conditional_t<std::is_integral_v<T>, double, T>;
    const W v = static_cast<W>(x), l = static_cast<W>(lambd), b = static_cast<W>(bias);
    const W r = v < -l ? v + b : v > l ? v - b : W(0);
    return convert<T>(r);
  }
};

using PReluTypes = decltype(FloatTypes{} + Types<int32_t, int64_t, uint32_t, uint64_t>{});

// Unidirectional broadcast: slope broadcasts to X, and the output has X's shape.
void infer_prelu(InferContext& c) {
  check_same_inputs<PReluTypes>(c, 2);
  const SymShape& x = c.input_shape(0);
  const SymShape& s = c.input_shape(1);
  if (x.rank_known() && s.rank_known()) {
    bool ok = s.rank <= x.rank;
    for (int j = 0; ok && j < s.rank; ++j) {
      const Dim sd = s.d[j], xd = x.d[j + x.rank - s.rank];
      ok = !sd.is_known() || sd.value == 1 || !xd.is_known() || sd == xd;
    }
    if (!ok)
      c.fail("slope of shape ", sym_str(s), " does not broadcast to X of shape ", sym_str(x));
  }
  c.set_output(0, c.input_dtype(0), x);
}

const OpSchema kSchemas[] = {
    map_row<LeakyReluOp, FloatTypes>("LeakyRelu", 1),
    {"PRelu", "", 1, kOpsetMax, &infer_prelu, kReference<&run_map<PReluOp, PReluTypes, 2, false>>,
     "opset < 7 slopes use the opset 7 unidirectional broadcast"},
    map_row<HardSigmoidOp, FloatTypes>("HardSigmoid", 1),
    map_row<HardSwishOp, FloatTypes>("HardSwish", 14),
    map_row<EluOp, FloatTypes>("Elu", 1),
    map_row<SeluOp, FloatTypes>("Selu", 1),
    map_row<CeluOp, FloatTypes>("Celu", 12),
    map_row<SoftplusOp, FloatTypes>("Softplus", 1),
    map_row<SoftsignOp, FloatTypes>("Softsign", 1),
    map_row<ThresholdedReluOp, FloatTypes>("ThresholdedRelu", 10),
    map_row<ShrinkOp, NumericTypes>("Shrink", 9),
};

}  // namespace

std::span<const OpSchema> activation_schemas() { return kSchemas; }

}  // namespace wrun::ops::elementwise
