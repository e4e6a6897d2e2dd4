// Sign, Round (half to even) and the float classifiers IsNaN, IsInf.
#include <cmath>
#include <type_traits>

#include "ops/elementwise/map_ops.h"

namespace wrun::ops::elementwise {
namespace {

// -1, 0 or 1; NaN stays NaN, as numpy.sign gives.
struct SignOp {
  template <class T>
  T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>)
      if (std::isnan(x)) return x;
    return x > T(0) ? T(1) : x < T(0) ? static_cast<T>(-1) : T(0);
  }
};

// nearbyint rounds in the current mode, round-to-nearest-even by default (numpy.round's rule).
struct RoundOp {
  template <class T>
  T operator()(T x) const {
    return std::nearbyint(x);
  }
};

struct IsNaNOp {
  template <class T>
  bool operator()(T x) const {
    return std::isnan(x);
  }
};

struct IsInfOp {
  bool positive, negative;
  static IsInfOp make(const graph::Node& n, int64_t) {
    return {n.attr_i("detect_positive", 1) != 0, n.attr_i("detect_negative", 1) != 0};
  }
  template <class T>
  bool operator()(T x) const {
    return std::isinf(x) && (x > 0 ? positive : negative);
  }
};

const OpSchema kSchemas[] = {
    map_row<SignOp, NumericTypes>("Sign", 9),
    map_row<RoundOp, FloatTypes>("Round", 11),
    map_row<IsNaNOp, FloatTypes, 1, true>("IsNaN", 9),
    map_row<IsInfOp, FloatTypes, 1, true>("IsInf", 10),
};

}  // namespace

std::span<const OpSchema> misc_unary_schemas() { return kSchemas; }

}  // namespace wrun::ops::elementwise
