// Quantization ops (QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, MatMulInteger,
// QLinearMatMul, ConvInteger, QLinearConv): entry points listed in quant_table.cc and the small
// helpers they share.
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>

#include "graph/error.h"
#include "ops/common.h"
#include "ops/kernel.h"
#include "ops/linalg/load.h"

namespace wrun::ops {
// The family's table. Also to be declared in ops/registry.h, which does not list it yet.
std::span<const OpSchema> quant_schemas();
}  // namespace wrun::ops

namespace wrun::ops::quant {

void quantize_infer(InferContext& c);
void quantize_run(RunContext& c);
void dequantize_infer(InferContext& c);
void dequantize_run(RunContext& c);
void dynamic_quantize_infer(InferContext& c);
void dynamic_quantize_run(RunContext& c);

void matmul_integer_infer(InferContext& c);
void matmul_integer_prepare(PrepareContext& c);
void matmul_integer_run(RunContext& c);
void qlinear_matmul_infer(InferContext& c);
void qlinear_matmul_prepare(PrepareContext& c);
void qlinear_matmul_run(RunContext& c);

void conv_integer_infer(InferContext& c);
void conv_integer_prepare(PrepareContext& c);
void conv_integer_run(RunContext& c);
void qlinear_conv_infer(InferContext& c);
void qlinear_conv_prepare(PrepareContext& c);
void qlinear_conv_run(RunContext& c);

inline bool is_q8(DType t) { return t == DType::kU8 || t == DType::kI8; }

// Calls f(T{}) with T uint8_t or int8_t.
template <class F>
auto dispatch_q8(DType dt, F&& f) {
  switch (dt) {
    case DType::kU8:
      return f(uint8_t{});
    case DType::kI8:
      return f(int8_t{});
    default:
      fail("expected uint8 or int8, got ", dtype_name(dt));
  }
}

// Clamps an already rounded value to Q's range. NaN maps to the low end.
template <class Q, class F>
inline Q saturate(F v) {
  constexpr F lo = static_cast<F>(std::numeric_limits<Q>::min());
  constexpr F hi = static_cast<F>(std::numeric_limits<Q>::max());
  return static_cast<Q>(v > hi ? hi : (v >= lo ? v : lo));
}

// saturate(round_half_even(v) + zp): the quantization formula shared by every op of the family.
// std::nearbyint rounds ties to even in the default FP environment, which wrun never changes.
template <class Q, class F>
inline Q quantize_value(F v, int32_t zp) {
  return saturate<Q>(std::nearbyint(v) + static_cast<F>(zp));
}

// Element i of a uint8/int8/int32 tensor (contiguous) as int32.
inline int32_t read_i32(const TensorView& t, int64_t i) {
  switch (t.dtype) {
    case DType::kU8:
      return load<uint8_t>(t.data, i);
    case DType::kI8:
      return load<int8_t>(t.data, i);
    case DType::kI32:
      return load<int32_t>(t.data, i);
    default:
      fail("expected an 8- or 32-bit integer tensor, got ", dtype_name(t.dtype));
  }
}

// Checks that a scale or zero point is a scalar or a 1-element tensor (per-tensor quantization).
inline void require_scalar(const InferContext& c, int i, const char* what) {
  if (!c.has_input(i)) return;
  const SymShape& s = c.input_shape(i);
  if (!s.rank_known()) return;
  for (int d = 0; d < s.rank; ++d)
    if (s[d].is_known() && s[d].value != 1)
      c.fail(what, " must be a scalar (per-tensor), got rank ", s.rank);
}

}  // namespace wrun::ops::quant
