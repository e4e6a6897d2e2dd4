// Element access for the pool family. Values are read and written as double, so one loop serves
// float16, bfloat16, float32, float64 and the 8-bit integers MaxPool accepts; double holds every
// one of them exactly, and sums of float32 accumulate without loss.
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "graph/dtype.h"
#include "graph/error.h"
#include "ops/linalg/load.h"

namespace wrun::ops::pool {

struct F16 {};   // tag: float16 storage
struct BF16 {};  // tag: bfloat16 storage

// Inputs may be misaligned (weights mapped from the model file); outputs are arena buffers.
template <class T>
struct Elem {
  static double get(const void* p, int64_t i) { return static_cast<double>(load<T>(p, i)); }
  static void put(void* p, int64_t i, double v) { static_cast<T*>(p)[i] = static_cast<T>(v); }
  // The value of an empty maximum.
  static double lowest() {
    if constexpr (std::is_floating_point_v<T>)
      return -INFINITY;
    else
      return static_cast<double>(std::numeric_limits<T>::lowest());
  }
};

template <>
struct Elem<F16> {
  static double get(const void* p, int64_t i) { return f16_to_f32(load<uint16_t>(p, i)); }
  static void put(void* p, int64_t i, double v) {
    static_cast<uint16_t*>(p)[i] = f32_to_f16(static_cast<float>(v));
  }
  static double lowest() { return -INFINITY; }
};

template <>
struct Elem<BF16> {
  static double get(const void* p, int64_t i) { return bf16_to_f32(load<uint16_t>(p, i)); }
  static void put(void* p, int64_t i, double v) {
    static_cast<uint16_t*>(p)[i] = f32_to_bf16(static_cast<float>(v));
  }
  static double lowest() { return -INFINITY; }
};

inline bool is_float_dtype(DType dt) {
  return dt == DType::kF32 || dt == DType::kF64 || dt == DType::kF16 || dt == DType::kBF16;
}

// Calls f(Elem<S>{}) for a float dtype, or also int8/uint8 when `ints` is set.
template <class F>
void dispatch_elem(DType dt, bool ints, F&& f) {
  switch (dt) {
    case DType::kF32:
      return f(Elem<float>{});
    case DType::kF64:
      return f(Elem<double>{});
    case DType::kF16:
      return f(Elem<F16>{});
    case DType::kBF16:
      return f(Elem<BF16>{});
    case DType::kI8:
      if (ints) return f(Elem<int8_t>{});
      break;
    case DType::kU8:
      if (ints) return f(Elem<uint8_t>{});
      break;
    default:
      break;
  }
  fail("unsupported dtype ", dtype_name(dt));
}

}  // namespace wrun::ops::pool
