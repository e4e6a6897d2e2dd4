// The resize family's rows: Resize by its semantic versions, and Upsample.
#include "ops/registry.h"
#include "ops/resize/resize.h"

namespace wrun::ops {
namespace {

using namespace resize;  // NOLINT(build/namespaces): the table names every function

constexpr KernelImpl kResize[] = {
    {"reference", resize_supports, resize_prepare, resize_run, kNone}};

constexpr int kLast = kLatestOpset;

// 10: scales only, asymmetric; 11: roi/sizes, coordinate modes, cubic; 13: roi optional,
// tf_half_pixel_for_nn gone; 18: axes, keep_aspect_ratio_policy, antialias; 19:
// half_pixel_symmetric. Upsample 7 takes scales as an attribute, 9 as an input.
const OpSchema kSchemas[] = {
    {"Resize", "", 10, 10, resize_infer, kResize, "nearest (as onnxruntime), linear"},
    {"Resize", "", 11, 12, resize_infer, kResize, "linear/cubic on float dtypes only"},
    {"Resize", "", 13, 17, resize_infer, kResize, "linear/cubic on float dtypes only"},
    {"Resize", "", 18, 18, resize_infer, kResize, "no antialias; linear/cubic on floats"},
    {"Resize", "", 19, kLast, resize_infer, kResize, "no antialias; linear/cubic on floats"},
    {"Upsample", "", 7, 8, resize_infer, kResize, "scales attribute; nearest, linear"},
    {"Upsample", "", 9, 9, resize_infer, kResize, "scales input; nearest, linear"},
};

}  // namespace

std::span<const OpSchema> resize_schemas() { return kSchemas; }

}  // namespace wrun::ops
