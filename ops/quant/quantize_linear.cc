// QuantizeLinear and DequantizeLinear (per-tensor, and per-axis from opset 13), and
// DynamicQuantizeLinear (uint8, range widened to include 0, as the ONNX reference computes it).
#include <algorithm>
#include <type_traits>

#include "ops/quant/quant.h"

namespace wrun::ops::quant {
namespace {

// x viewed as [outer, channels, inner] around the quantization axis; channels == 1 per-tensor.
struct AxisLayout {
  int64_t outer = 1, channels = 1, inner = 1;
};

// Validates the scale and zero point shapes against x (input 0) as far as they are known.
void check_axis(const InferContext& c, int scale_in, int zp_in) {
  const SymShape& x = c.input_shape(0);
  const SymShape& s = c.input_shape(scale_in);
  if (c.has_input(zp_in)) {
    const SymShape& z = c.input_shape(zp_in);
    if (z.rank_known() && s.rank_known()) {
      bool same = z.rank == s.rank;
      for (int d = 0; same && d < s.rank; ++d)
        same = !(z[d].is_known() && s[d].is_known()) || z[d].value == s[d].value;
      if (!same) c.fail("scale and zero point shapes differ");
    }
  }
  if (c.opset() < 13) {
    require_scalar(c, scale_in, "scale");
    return;
  }
  if (!s.rank_known()) return;
  if (s.rank > 1) c.fail("scale must be a scalar or 1-D, got rank ", s.rank);
  if (s.rank == 0 || (s[0].is_known() && s[0].value == 1)) return;  // per-tensor
  if (!x.rank_known()) return;
  const int axis = normalize_axis(c.node().attr_i("axis", 1), x.rank, c.node());
  if (s[0].is_known() && x[axis].is_known() && s[0].value != x[axis].value)
    c.fail("scale has ", s[0].value, " entries but axis ", axis, " has extent ", x[axis].value);
}

// The run-time layout: per-axis when the scale has more than one element.
AxisLayout layout_of(const RunContext& c, const TensorView& scale) {
  AxisLayout L;
  const Shape& x = c.in(0).shape;
  L.inner = x.numel();
  if (scale.numel() == 1) return L;
  const int axis = normalize_axis(c.node.attr_i("axis", 1), x.rank, c.node);
  L.outer = L.inner = 1;
  for (int d = 0; d < axis; ++d) L.outer *= x[d];
  L.channels = x[axis];
  for (int d = axis + 1; d < x.rank; ++d) L.inner *= x[d];
  WRUN_CHECK(scale.numel() == L.channels, c.node.op_type, " '", c.node.name, "': scale has ",
             scale.numel(), " entries, axis extent is ", L.channels);
  return L;
}

template <class X, class Q>
void quantize_typed(RunContext& c) {
  // float32 x divides in float (as the spec's float arithmetic does); int32 x in double, exactly.
  using F = std::conditional_t<std::is_same_v<X, float>, float, double>;
  const TensorView& x = c.in(0);
  const TensorView& s = c.in(1);
  const bool has_zp = c.has_in(2);
  const AxisLayout L = layout_of(c, s);
  Q* y = c.out(0).as<Q>();
  for (int64_t o = 0; o < L.outer; ++o)
    for (int64_t ch = 0; ch < L.channels; ++ch) {
      const F scale = static_cast<F>(load<float>(s.data, ch));
      const int32_t zp = has_zp ? read_i32(c.in(2), ch) : 0;
      const int64_t base = (o * L.channels + ch) * L.inner;
      for (int64_t i = base; i < base + L.inner; ++i)
        y[i] = quantize_value<Q>(static_cast<F>(load<X>(x.data, i)) / scale, zp);
    }
}

template <class X>
void dequantize_typed(RunContext& c) {
  const TensorView& x = c.in(0);
  const TensorView& s = c.in(1);
  const bool has_zp = c.has_in(2);
  const AxisLayout L = layout_of(c, s);
  float* y = c.out(0).as<float>();
  for (int64_t o = 0; o < L.outer; ++o)
    for (int64_t ch = 0; ch < L.channels; ++ch) {
      const float scale = load<float>(s.data, ch);
      const int64_t zp = has_zp ? read_i32(c.in(2), ch) : 0;
      const int64_t base = (o * L.channels + ch) * L.inner;
      for (int64_t i = base; i < base + L.inner; ++i)
        y[i] = static_cast<float>(static_cast<int64_t>(load<X>(x.data, i)) - zp) * scale;
    }
}

}  // namespace

void quantize_infer(InferContext& c) {
  const DType xt = c.input_dtype(0);
  if (xt != DType::kF32 && xt != DType::kI32)
    c.fail("x must be float32 or int32, got ", dtype_name(xt));
  if (c.input_dtype(1) != DType::kF32) c.fail("y_scale must be float32");
  DType yt = DType::kU8;
  if (c.has_input(2)) {
    yt = c.input_dtype(2);
    if (!is_q8(yt)) c.fail("y_zero_point must be uint8 or int8, got ", dtype_name(yt));
  }
  check_axis(c, 1, 2);
  c.set_output(0, yt, c.input_shape(0));
}

void quantize_run(RunContext& c) {
  const DType yt = c.out(0).dtype;
  dispatch_q8(yt, [&](auto q) {
    if (c.in(0).dtype == DType::kF32)
      quantize_typed<float, decltype(q)>(c);
    else
      quantize_typed<int32_t, decltype(q)>(c);
  });
}

void dequantize_infer(InferContext& c) {
  const DType xt = c.input_dtype(0);
  if (!is_q8(xt) && xt != DType::kI32)
    c.fail("x must be uint8, int8 or int32, got ", dtype_name(xt));
  if (c.input_dtype(1) != DType::kF32) c.fail("x_scale must be float32");
  if (c.has_input(2) && c.input_dtype(2) != xt) c.fail("x_zero_point dtype differs from x");
  check_axis(c, 1, 2);
  c.set_output(0, DType::kF32, c.input_shape(0));
}

void dequantize_run(RunContext& c) {
  switch (c.in(0).dtype) {
    case DType::kU8:
      return dequantize_typed<uint8_t>(c);
    case DType::kI8:
      return dequantize_typed<int8_t>(c);
    default:
      return dequantize_typed<int32_t>(c);
  }
}

void dynamic_quantize_infer(InferContext& c) {
  if (c.input_dtype(0) != DType::kF32) c.fail("x must be float32");
  c.set_output(0, DType::kU8, c.input_shape(0));
  c.set_output(1, DType::kF32, SymShape::scalar());
  c.set_output(2, DType::kU8, SymShape::scalar());
}

void dynamic_quantize_run(RunContext& c) {
  const TensorView& x = c.in(0);
  const int64_t n = x.numel();
  // The range always includes 0, so 0 is exactly representable.
  float lo = 0, hi = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float v = load<float>(x.data, i);
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  // Float32 steps in the order of the ONNX reference; an all-zero range uses 1 (as it does).
  constexpr float qmin = 0, qmax = 255;
  const float scale = (hi == lo ? 1.0f : hi - lo) / (qmax - qmin);
  const float zp_f = std::nearbyint(std::clamp(qmin - lo / scale, qmin, qmax));
  const int32_t zp = static_cast<int32_t>(zp_f);
  uint8_t* y = c.out(0).as<uint8_t>();
  for (int64_t i = 0; i < n; ++i)
    y[i] = quantize_value<uint8_t>(load<float>(x.data, i) / scale, zp);
  if (c.has_out(1)) *c.out(1).as<float>() = scale;
  if (c.has_out(2)) *c.out(2).as<uint8_t>() = static_cast<uint8_t>(zp);
}

}  // namespace wrun::ops::quant
