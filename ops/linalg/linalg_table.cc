#include "ops/linalg/linalg.h"
#include "ops/registry.h"

namespace wrun::ops {
namespace {

using namespace linalg;

const KernelImpl kMatMul[] = {{"reference", nullptr, matmul_prepare, matmul_run, kStridedInputs}};
const KernelImpl kGemm[] = {{"reference", nullptr, gemm_prepare, gemm_run, kNone}};

// Gemm: 1-6 has the `broadcast` attribute, 7-10 requires C, 11+ makes C optional.
const OpSchema kSchemas[] = {
    {"MatMul", "", 1, kLatestOpset, matmul_infer, kMatMul, "float32/float64/int32/int64"},
    {"Gemm", "", 1, 6, gemm_infer, kGemm, "float32/float64/int32/int64"},
    {"Gemm", "", 7, 10, gemm_infer, kGemm, "float32/float64/int32/int64"},
    {"Gemm", "", 11, kLatestOpset, gemm_infer, kGemm, "float32/float64/int32/int64"},
};

}  // namespace

std::span<const OpSchema> linalg_schemas() { return kSchemas; }

}  // namespace wrun::ops
