// Byte movement shared by the tensor ops: an n-d strided copy that every data-movement kernel
// (Transpose, Slice, Concat, Split, Gather, Expand) reduces to.
#pragma once
#include <cstddef>
#include <cstdint>

#include "graph/tensor.h"

namespace wrun::ops::tensor {

// Row-major element strides for `s`.
inline void contiguous_strides(const Shape& s, int64_t* strides) {
  int64_t st = 1;
  for (int i = s.rank - 1; i >= 0; --i) {
    strides[i] = st;
    st *= s.d[i];
  }
}

// dst[idx] = src[idx] for every multi-index of `shape`; strides are in elements and may be zero
// or negative on the source side. Merges dims contiguous in both, copies contiguous runs with
// memcpy and tiles transposes for cache locality. Does not allocate.
void strided_copy(const void* src, const int64_t* src_strides, void* dst,
                  const int64_t* dst_strides, const Shape& shape, size_t elem_size);

// Copies view `src` into contiguous memory at dst.
inline void copy_view(const TensorView& src, void* dst) {
  int64_t ds[kMaxRank];
  contiguous_strides(src.shape, ds);
  strided_copy(src.data, src.strides, dst, ds, src.shape, dtype_size(src.dtype));
}

}  // namespace wrun::ops::tensor
