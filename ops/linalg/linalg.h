// MatMul and Gemm entry points, listed in linalg_table.cc.
#pragma once
#include "graph/error.h"
#include "ops/kernel.h"

namespace wrun::ops::linalg {

void matmul_infer(InferContext& c);
void matmul_prepare(PrepareContext& c);
void matmul_run(RunContext& c);

void gemm_infer(InferContext& c);
void gemm_prepare(PrepareContext& c);
void gemm_run(RunContext& c);

inline bool linalg_dtype(DType dt) {
  return dt == DType::kF32 || dt == DType::kF64 || dt == DType::kI32 || dt == DType::kI64;
}

// Calls f(T{}) for the element types the reference kernels handle.
template <class F>
void dispatch_linalg(DType dt, F&& f) {
  switch (dt) {
    case DType::kF32:
      return f(float{});
    case DType::kF64:
      return f(double{});
    case DType::kI32:
      return f(int32_t{});
    case DType::kI64:
      return f(int64_t{});
    default:
      fail("unsupported dtype ", dtype_name(dt));
  }
}

}  // namespace wrun::ops::linalg
