// Scalar conversions and integer math with defined results where C++ leaves them undefined.
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "ops/elementwise/elem_types.h"

namespace wrun::ops::elementwise {

// Float to integer truncates toward zero like a C cast. Out of range is undefined in ONNX (and in
// C++): here NaN gives 0 and other values saturate to int64 then wrap to I, as x86 and numpy do
// for the narrow types.
template <class I>
I float_to_int(double v) {
  if (std::isnan(v)) return 0;
  if constexpr (std::is_same_v<I, uint64_t>) {
    if (v >= 0)
      return v >= 18446744073709551616.0 ? std::numeric_limits<uint64_t>::max()
                                         : static_cast<uint64_t>(v);
  }
  if (v >= 9223372036854775808.0) return static_cast<I>(std::numeric_limits<int64_t>::max());
  if (v <= -9223372036854775808.0) return static_cast<I>(std::numeric_limits<int64_t>::min());
  return static_cast<I>(static_cast<int64_t>(v));
}

// Integer power by squaring, wrapping on overflow. A negative exponent gives the truncated
// reciprocal (0 unless |a| == 1; 0 for a == 0 where numpy would raise).
template <class A, class B>
A int_pow(A a, B b) {
  if constexpr (std::is_signed_v<B>) {
    if (b < 0) {
      if (a == 1) return 1;
      if constexpr (std::is_signed_v<A>)
        if (a == -1) return (b & 1) ? -1 : 1;
      return 0;
    }
  }
  WrapType<A> r = 1, x = static_cast<WrapType<A>>(a);
  for (uint64_t e = static_cast<uint64_t>(b); e; e >>= 1) {
    if (e & 1) r *= x;
    x *= x;
  }
  return static_cast<A>(r);
}

// Value conversion for Cast between compute types (float for the 16-bit floats).
template <class To, class From>
To convert(From v) {
  if constexpr (std::is_same_v<To, bool>)
    return v != From(0);
  else if constexpr (std::is_integral_v<To> && std::is_floating_point_v<From>)
    return float_to_int<To>(static_cast<double>(v));
  else
    return static_cast<To>(v);
}

}  // namespace wrun::ops::elementwise
