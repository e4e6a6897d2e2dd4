// The selection family's rows: ArgMax, ArgMin, TopK, Hardmax.
#include "ops/registry.h"
#include "ops/selection/selection.h"

namespace wrun::ops {
namespace {

using namespace selection;  // NOLINT(build/namespaces): the table names every function

constexpr KernelImpl kArgMax[] = {{"reference", nullptr, nullptr, argmax_run, kNone}};
constexpr KernelImpl kArgMin[] = {{"reference", nullptr, nullptr, argmin_run, kNone}};
constexpr KernelImpl kTopK[] = {{"reference", nullptr, top_k_prepare, top_k_run, kNone}};
constexpr KernelImpl kHardmax[] = {{"reference", nullptr, nullptr, hardmax_run, kNone}};

constexpr int kLast = kLatestOpset;

// ArgMax/ArgMin gained negative axes (11) and select_last_index (12) without changing older
// behaviour, so one row covers them.
const OpSchema kSchemas[] = {
    {"ArgMax", "", 1, kLast, arg_infer, kArgMax, "numeric dtypes; NaN wins"},
    {"ArgMin", "", 1, kLast, arg_infer, kArgMin, "numeric dtypes; NaN wins"},
    {"TopK", "", 1, 9, top_k_infer, kTopK, "k attribute; always sorted"},
    {"TopK", "", 10, kLast, top_k_infer, kTopK, "K input; always sorted; NaN ranks largest"},
    {"Hardmax", "", 1, 12, hardmax_infer, kHardmax, "2-D coercion at axis (default 1)"},
    {"Hardmax", "", 13, kLast, hardmax_infer, kHardmax, "along axis (default -1)"},
};

}  // namespace

std::span<const OpSchema> selection_schemas() { return kSchemas; }

}  // namespace wrun::ops
