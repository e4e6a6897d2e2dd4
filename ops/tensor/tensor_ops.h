// Inference and reference kernels of the tensor (shape and data movement) ops; the table in
// table.cc binds them to opset ranges. Ops whose attributes became inputs read ctx.opset() to
// pick the form.
#pragma once
#include <string>

#include "ops/kernel.h"

namespace wrun::ops::tensor {

#define WRUN_TENSOR_OP(name)            \
  void infer_##name(InferContext& ctx); \
  void run_##name(RunContext& ctx);

WRUN_TENSOR_OP(transpose)
WRUN_TENSOR_OP(reshape)
WRUN_TENSOR_OP(flatten)
WRUN_TENSOR_OP(squeeze)
WRUN_TENSOR_OP(unsqueeze)
WRUN_TENSOR_OP(identity)
WRUN_TENSOR_OP(dropout)
WRUN_TENSOR_OP(concat)
WRUN_TENSOR_OP(split)
WRUN_TENSOR_OP(slice)
WRUN_TENSOR_OP(gather)
WRUN_TENSOR_OP(expand)
WRUN_TENSOR_OP(shape)
WRUN_TENSOR_OP(size)
WRUN_TENSOR_OP(constant)
WRUN_TENSOR_OP(constant_of_shape)
WRUN_TENSOR_OP(range)
WRUN_TENSOR_OP(trilu)
WRUN_TENSOR_OP(pad)
WRUN_TENSOR_OP(tile)
WRUN_TENSOR_OP(gather_elements)
WRUN_TENSOR_OP(gather_nd)
WRUN_TENSOR_OP(scatter_elements)
WRUN_TENSOR_OP(scatter_nd)
WRUN_TENSOR_OP(nonzero)
WRUN_TENSOR_OP(compress)
WRUN_TENSOR_OP(cumsum)
WRUN_TENSOR_OP(depth_to_space)
WRUN_TENSOR_OP(space_to_depth)
WRUN_TENSOR_OP(eye_like)
WRUN_TENSOR_OP(one_hot)

// Dropout's stated gap: training mode with a non-zero ratio (random output).
std::string supports_dropout(const SupportQuery& q);
// ScatterElements/ScatterND's stated gap: a reduction on a non-numeric dtype (bool).
std::string supports_scatter(const SupportQuery& q);

#undef WRUN_TENSOR_OP

}  // namespace wrun::ops::tensor
