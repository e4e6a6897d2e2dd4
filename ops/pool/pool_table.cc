// The pool family's schemas. Ops whose versions differ only in types or documentation share one
// row; attributes added later (ceil_mode, dilations, storage_order, count_include_pad) are read
// when present, and each infer() applies the version-specific type rules.
#include "ops/pool/pool.h"
#include "ops/registry.h"

namespace wrun::ops {
namespace {

using namespace pool;

constexpr KernelImpl kMaxPool[] = {{"reference", nullptr, nullptr, max_pool_run, kNone}};
constexpr KernelImpl kAveragePool[] = {{"reference", nullptr, nullptr, average_pool_run, kNone}};
constexpr KernelImpl kLpPool[] = {{"reference", nullptr, nullptr, lp_pool_run, kNone}};
constexpr KernelImpl kGlobalAverage[] = {
    {"reference", nullptr, nullptr, global_average_pool_run, kNone}};
constexpr KernelImpl kGlobalMax[] = {{"reference", nullptr, nullptr, global_max_pool_run, kNone}};
constexpr KernelImpl kGlobalLp[] = {{"reference", nullptr, nullptr, global_lp_pool_run, kNone}};
constexpr KernelImpl kConvTranspose[] = {
    {"reference", nullptr, nullptr, conv_transpose_run, kNone}};
constexpr KernelImpl kBatchNorm[] = {
    {"reference", batch_norm_supports, nullptr, batch_norm_run, kNone}};
constexpr KernelImpl kInstanceNorm[] = {{"reference", nullptr, nullptr, instance_norm_run, kNone}};
constexpr KernelImpl kLrn[] = {{"reference", nullptr, nullptr, lrn_run, kNone}};

constexpr std::string_view kFloats = "float16/bfloat16/float32/float64";

const OpSchema kSchemas[] = {
    // 8 adds Indices and storage_order, 10 ceil_mode and dilations, 12 int8/uint8.
    {"MaxPool", "", 1, kLatestOpset, max_pool_infer, kMaxPool,
     "float16/bfloat16/float32/float64, int8/uint8 from opset 12"},
    // 7 adds count_include_pad, 10 ceil_mode, 19 dilations.
    {"AveragePool", "", 1, kLatestOpset, average_pool_infer, kAveragePool, kFloats},
    // p is a float in opset 1 and an int from 2; 18 adds ceil_mode and dilations.
    {"LpPool", "", 1, kLatestOpset, lp_pool_infer, kLpPool, kFloats},
    {"GlobalAveragePool", "", 1, kLatestOpset, global_pool_infer, kGlobalAverage, kFloats},
    {"GlobalMaxPool", "", 1, kLatestOpset, global_pool_infer, kGlobalMax, kFloats},
    {"GlobalLpPool", "", 1, kLatestOpset, global_pool_infer, kGlobalLp, kFloats},
    {"ConvTranspose", "", 1, kLatestOpset, conv_transpose_infer, kConvTranspose, kFloats},
    // 6: is_test; 7: no is_test; 9: no spatial; 14: training_mode; 15: separate parameter types.
    {"BatchNormalization", "", 6, kLatestOpset, batch_norm_infer, kBatchNorm,
     "inference only (training statistics refused)"},
    {"InstanceNormalization", "", 1, kLatestOpset, instance_norm_infer, kInstanceNorm, kFloats},
    {"LRN", "", 1, kLatestOpset, lrn_infer, kLrn, kFloats},
};

}  // namespace

std::span<const OpSchema> pool_schemas() { return kSchemas; }

}  // namespace wrun::ops
