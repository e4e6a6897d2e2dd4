// Element storage types for the elementwise family: how each dtype is loaded into the type its
// math runs in (float for float16/bfloat16), and dispatch over a list of element types.
#pragma once
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "graph/dtype.h"
#include "graph/error.h"

namespace wrun::ops::elementwise {

// Distinct tags for the 16-bit float formats (both stored as uint16_t bits).
struct Half {
  uint16_t bits;
};
struct BHalf {
  uint16_t bits;
};

// Loads and stores go through memcpy: tensor data (e.g. a mapped model file) may be unaligned.
template <class T>
struct Elem {
  using C = T;  // the type the math is done in
  static C load(const char* p) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    return v;
  }
  static void store(char* p, C v) { std::memcpy(p, &v, sizeof(T)); }
};
template <>
struct Elem<bool> {
  using C = bool;
  static C load(const char* p) { return *reinterpret_cast<const uint8_t*>(p) != 0; }
  static void store(char* p, C v) { *reinterpret_cast<uint8_t*>(p) = v ? 1 : 0; }
};
template <>
struct Elem<Half> {
  using C = float;
  static C load(const char* p) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return f16_to_f32(h);
  }
  static void store(char* p, C v) {
    uint16_t h = f32_to_f16(v);
    std::memcpy(p, &h, 2);
  }
};
template <>
struct Elem<BHalf> {
  using C = float;
  static C load(const char* p) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return bf16_to_f32(h);
  }
  static void store(char* p, C v) {
    uint16_t h = f32_to_bf16(v);
    std::memcpy(p, &h, 2);
  }
};

template <class T>
using Compute = typename Elem<T>::C;

template <class T>
constexpr DType dtype_of() {
  if constexpr (std::is_same_v<T, Half>)
    return DType::kF16;
  else if constexpr (std::is_same_v<T, BHalf>)
    return DType::kBF16;
  else
    return DTypeOf<T>::value;
}

template <class... Ts>
struct Types {};

// Calls f(T{}) for the T in the list whose dtype is dt; fails otherwise.
template <class... Ts, class F>
void dispatch(Types<Ts...>, DType dt, F&& f) {
  const bool done = ((dtype_of<Ts>() == dt ? (f(Ts{}), true) : false) || ...);
  if (!done) fail("unsupported dtype ", dtype_name(dt));
}

template <class... A, class... B>
constexpr Types<A..., B...> operator+(Types<A...>, Types<B...>) {
  return {};
}

using FloatTypes = Types<float, double, Half, BHalf>;
using SignedTypes = Types<int8_t, int16_t, int32_t, int64_t>;
using UnsignedTypes = Types<uint8_t, uint16_t, uint32_t, uint64_t>;
using NumericTypes = decltype(FloatTypes{} + SignedTypes{} + UnsignedTypes{});
using AllTypes = decltype(NumericTypes{} + Types<bool>{});

// Bit masks of dtypes (bit = ONNX code), for inference checks.
template <class... Ts>
constexpr uint32_t mask_of(Types<Ts...>) {
  return ((1u << static_cast<int>(dtype_of<Ts>())) | ... | 0u);
}
constexpr bool in_mask(uint32_t mask, DType dt) { return (mask >> static_cast<int>(dt)) & 1u; }

// Integer arithmetic in an unsigned type of at least int width: wraps instead of overflowing
// (signed overflow, and uint16*uint16 promoted to int, would be undefined behaviour).
template <class T>
using WrapType =
    std::conditional_t<(sizeof(T) < sizeof(unsigned)), unsigned, std::make_unsigned_t<T>>;

}  // namespace wrun::ops::elementwise
