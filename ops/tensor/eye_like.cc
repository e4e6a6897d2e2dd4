// EyeLike: a matrix of the input's shape with ones on diagonal k, zeros elsewhere.
#include <algorithm>

#include "ops/tensor/elem_util.h"
#include "ops/tensor/tensor_ops.h"
#include "ops/tensor/tensor_util.h"

namespace wrun::ops::tensor {

void infer_eye_like(InferContext& ctx) {
  const SymShape& in = ctx.input_shape(0);
  if (in.rank_known() && in.rank != 2) ctx.fail("input must have rank 2, got ", in.rank);
  DType dt = ctx.input_dtype(0);
  if (const graph::Attribute* a = ctx.node().attr("dtype")) {
    dt = dtype_from_onnx(static_cast<int>(a->i));
    if (dt == DType::kUndefined) ctx.fail("unsupported dtype code ", a->i);
  }
  if (dtype_size(dt) == 0) ctx.fail("unsupported dtype ", dtype_name(dt));
  ctx.set_output(0, dt, in);
}

void run_eye_like(RunContext& ctx) {
  TensorView& out = ctx.out(0);
  if (out.numel() == 0) return;
  std::memset(out.data, 0, out.bytes());
  const int64_t rows = out.shape.d[0], cols = out.shape.d[1];
  // Clamped so that cols - k cannot overflow; beyond these bounds no row has a one.
  const int64_t k = std::clamp<int64_t>(ctx.node.attr_i("k", 0), -rows, cols);
  const int64_t es = static_cast<int64_t>(dtype_size(out.dtype));
  alignas(8) char one[16] = {};
  store_double(out.dtype, 1.0, one);
  // Row i has its one at column i + k, for the rows where that column exists.
  const int64_t first = std::max<int64_t>(0, -k), last = std::min<int64_t>(rows, cols - k);
  for (int64_t i = first; i < last; ++i)
    std::memcpy(out.as<char>() + (i * cols + i + k) * es, one, static_cast<size_t>(es));
}

}  // namespace wrun::ops::tensor
