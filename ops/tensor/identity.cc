// Identity and Dropout (inference only: output 0 is the input, the optional mask is all true).
#include "ops/tensor/tensor_ops.h"
#include "ops/tensor/tensor_util.h"

namespace wrun::ops::tensor {
namespace {

// Writes n ones of dtype dt (the mask is T before opset 10, bool after).
void fill_ones(DType dt, void* p, int64_t n) {
  if (n == 0) return;
  if (dtype_size(dt) == 1) {
    std::memset(p, 1, static_cast<size_t>(n));  // bool, int8, uint8
    return;
  }
  auto fill = [&](auto one) {
    for (int64_t i = 0; i < n; ++i)
      std::memcpy(static_cast<char*>(p) + i * sizeof(one), &one, sizeof(one));
  };
  if (dt == DType::kF16) return fill(f32_to_f16(1.0f));
  if (dt == DType::kBF16) return fill(f32_to_bf16(1.0f));
  dispatch_numeric(dt, [&](auto z) { fill(static_cast<decltype(z)>(1)); });
}

}  // namespace

void infer_identity(InferContext& ctx) {
  movable_size(ctx, 0);
  ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
}

void run_identity(RunContext& ctx) { copy_if_distinct(ctx); }

void infer_dropout(InferContext& ctx) {
  movable_size(ctx, 0);
  const DType dt = ctx.input_dtype(0);
  if (ctx.opset() >= 12) {
    // Training mode with a non-zero ratio is random: refuse rather than compute something else.
    const TensorView* train = known_input(ctx, 2);
    if (train && read_scalar(*train, 0) != 0) {
      const TensorView* ratio = known_input(ctx, 1);
      if (!ratio || read_scalar(*ratio, 0) != 0)
        ctx.fail("training_mode with a non-zero ratio is not supported (inference only)");
    }
  }
  ctx.set_output(0, dt, ctx.input_shape(0));
  ctx.set_output(1, ctx.opset() >= 10 ? DType::kBool : dt, ctx.input_shape(0));
}

std::string supports_dropout(const SupportQuery& q) {
  if (q.opset < 12 || q.in_values.size() < 3 || !q.in_values[2]) return {};
  if (read_scalar(*q.in_values[2], 0) == 0) return {};
  if (q.in_values.size() > 1 && q.in_values[1] && read_scalar(*q.in_values[1], 0) == 0) return {};
  return "training_mode with a non-zero ratio (random; inference only)";
}

void run_dropout(RunContext& ctx) {
  copy_if_distinct(ctx);
  if (ctx.has_out(1)) fill_ones(ctx.out(1).dtype, ctx.out(1).data, ctx.out(1).numel());
}

}  // namespace wrun::ops::tensor
