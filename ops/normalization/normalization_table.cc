#include "ops/normalization/normalization.h"
#include "ops/registry.h"

namespace wrun::ops {
namespace {

using namespace normalization;

const KernelImpl kSoftmax[] = {{"reference", nullptr, nullptr, softmax_run, kNone}};
const KernelImpl kLogSoftmax[] = {{"reference", nullptr, nullptr, log_softmax_run, kNone}};
const KernelImpl kLayerNorm[] = {{"reference", nullptr, nullptr, layer_norm_run, kNone}};

// Softmax/LogSoftmax: before 13 the input is coerced to 2-D at `axis` (default 1); from 13 the
// op works along one axis (default -1).
const OpSchema kSchemas[] = {
    {"Softmax", "", 1, 12, softmax_infer, kSoftmax, "float32/float64"},
    {"Softmax", "", 13, kLatestOpset, softmax_infer, kSoftmax, "float32/float64"},
    {"LogSoftmax", "", 1, 12, softmax_infer, kLogSoftmax, "float32/float64"},
    {"LogSoftmax", "", 13, kLatestOpset, softmax_infer, kLogSoftmax, "float32/float64"},
    {"LayerNormalization", "", 17, kLatestOpset, layer_norm_infer, kLayerNorm,
     "float32/float64; Mean and InvStdDev are float32"},
};

}  // namespace

std::span<const OpSchema> normalization_schemas() { return kSchemas; }

}  // namespace wrun::ops
