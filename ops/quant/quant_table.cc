#include "ops/quant/quant.h"
#include "ops/registry.h"

namespace wrun::ops {
namespace {

using namespace quant;

const KernelImpl kQuantize[] = {{"reference", nullptr, nullptr, quantize_run, kNone}};
const KernelImpl kDequantize[] = {{"reference", nullptr, nullptr, dequantize_run, kNone}};
const KernelImpl kDynamicQuantize[] = {
    {"reference", nullptr, nullptr, dynamic_quantize_run, kNone}};
const KernelImpl kMatMulInteger[] = {
    {"reference", nullptr, matmul_integer_prepare, matmul_integer_run, kNone}};
const KernelImpl kQLinearMatMul[] = {
    {"reference", nullptr, qlinear_matmul_prepare, qlinear_matmul_run, kNone}};
const KernelImpl kConvInteger[] = {
    {"reference", nullptr, conv_integer_prepare, conv_integer_run, kNone}};
const KernelImpl kQLinearConv[] = {
    {"reference", nullptr, qlinear_conv_prepare, qlinear_conv_run, kNone}};

// QuantizeLinear/DequantizeLinear: 10 is per-tensor, 13 adds `axis`; 19 adds float8 types and
// `saturate`, which ONNX 1.12 (the checked spec) does not document, so rows stop at 18.
// QLinearMatMul changed at 21 (float8 types); the others are unchanged since their first version.
const OpSchema kSchemas[] = {
    {"QuantizeLinear", "", 10, 12, quantize_infer, kQuantize, "float32/int32 -> uint8/int8"},
    {"QuantizeLinear", "", 13, 18, quantize_infer, kQuantize, "float32/int32 -> uint8/int8"},
    {"DequantizeLinear", "", 10, 12, dequantize_infer, kDequantize, "uint8/int8/int32"},
    {"DequantizeLinear", "", 13, 18, dequantize_infer, kDequantize, "uint8/int8/int32"},
    {"DynamicQuantizeLinear", "", 11, kLatestOpset, dynamic_quantize_infer, kDynamicQuantize,
     "float32 -> uint8"},
    {"MatMulInteger", "", 10, kLatestOpset, matmul_integer_infer, kMatMulInteger,
     "uint8/int8 -> int32"},
    {"QLinearMatMul", "", 10, 20, qlinear_matmul_infer, kQLinearMatMul, "uint8/int8"},
    {"ConvInteger", "", 10, kLatestOpset, conv_integer_infer, kConvInteger, "uint8/int8 -> int32"},
    {"QLinearConv", "", 10, kLatestOpset, qlinear_conv_infer, kQLinearConv, "uint8/int8"},
};

}  // namespace

std::span<const OpSchema> quant_schemas() { return kSchemas; }

}  // namespace wrun::ops
