// CastLike: Cast to the dtype of input 1 (whose values are not read).
#include "ops/elementwise/map_ops.h"

namespace wrun::ops::elementwise {
namespace {

void infer_cast_like(InferContext& c) {
  if (c.num_inputs() != 2) c.fail("expects 2 inputs, got ", c.num_inputs());
  check_input(c, 0, mask_of(AllTypes{}));
  check_input(c, 1, mask_of(AllTypes{}));
  c.set_output(0, c.input_dtype(1), c.input_shape(0));
}

// Cast's reference kernel converts to whatever dtype its output has, so CastLike runs it as is.
void run_cast_like(RunContext& ctx) {
  static const KernelImpl& cast = []() -> const KernelImpl& {
    for (const OpSchema& s : select_schemas())
      if (s.op == "Cast") return s.kernels[0];
    fail("CastLike: the Cast kernel is not registered");
  }();
  cast.run(ctx);
}

std::string supports_cast_like(const SupportQuery& q) {
  for (DType dt : q.in_dtypes)
    if (dt == DType::kString) return "casts to or from string";
  return {};
}

constexpr KernelImpl kKernels[] = {
    {"reference", supports_cast_like, nullptr, run_cast_like, kElementwiseFlags}};

const OpSchema kSchemas[] = {
    {"CastLike", "", 15, kOpsetMax, &infer_cast_like, kKernels,
     "Cast's conversions; string casts are not supported"},
};

}  // namespace

std::span<const OpSchema> cast_like_schemas() { return kSchemas; }

}  // namespace wrun::ops::elementwise
