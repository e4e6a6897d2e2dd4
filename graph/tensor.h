// A non-owning view of tensor memory as kernels see it. Strides are in elements; a view may be
// strided (e.g. a KV cache that is longer than its current length) and may have spare capacity.
#pragma once
#include <cstddef>
#include <cstdint>

#include "graph/dtype.h"
#include "graph/shape.h"

namespace wrun {

struct TensorView {
  void* data = nullptr;
  DType dtype = DType::kUndefined;
  Shape shape;
  int64_t strides[kMaxRank] = {};  // elements
  size_t capacity = 0;             // bytes available at data

  bool present() const { return dtype != DType::kUndefined; }  // optional inputs may be absent
  int64_t numel() const { return shape.numel(); }
  size_t bytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype); }
  void set_contiguous_strides() {
    int64_t s = 1;
    for (int i = shape.rank - 1; i >= 0; --i) {
      strides[i] = s;
      s *= shape.d[i];
    }
  }
  bool is_contiguous() const {
    int64_t s = 1;
    for (int i = shape.rank - 1; i >= 0; --i) {
      if (shape.d[i] != 1 && strides[i] != s) return false;
      s *= shape.d[i];
    }
    return true;
  }
  template <class T>
  T* as() const {
    return static_cast<T*>(data);
  }
};

inline TensorView make_view(void* data, DType dt, const Shape& s, size_t capacity = 0) {
  TensorView v;
  v.data = data;
  v.dtype = dt;
  v.shape = s;
  v.set_contiguous_strides();
  v.capacity = capacity ? capacity : static_cast<size_t>(s.numel()) * dtype_size(dt);
  return v;
}

}  // namespace wrun
