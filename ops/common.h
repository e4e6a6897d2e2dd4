// Small helpers shared by op families: axis handling, reading shape-like inputs, broadcasting,
// dtype dispatch. Nothing here allocates.
#pragma once
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "graph/dtype.h"
#include "graph/error.h"
#include "graph/tensor.h"
#include "ops/kernel.h"

namespace wrun::ops {

// Maps a possibly negative axis into [0, rank); fails naming the op if out of range.
inline int normalize_axis(int64_t axis, int rank, const graph::Node& node) {
  if (axis < -rank || axis >= (rank == 0 ? 1 : rank))
    fail(node.op_type, " '", node.name, "': axis ", axis, " out of range for rank ", rank);
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

// Reads element i of an integer (int32/int64) tensor as int64, honouring strides of rank<=1.
inline int64_t read_int(const TensorView& t, int64_t i) {
  int64_t off = t.shape.rank == 0 ? 0 : i * t.strides[t.shape.rank - 1];
  switch (t.dtype) {
    case DType::kI64: {
      int64_t v;
      std::memcpy(&v, t.as<const char>() + off * 8, 8);
      return v;
    }
    case DType::kI32: {
      int32_t v;
      std::memcpy(&v, t.as<const char>() + off * 4, 4);
      return v;
    }
    default:
      fail("expected an int32 or int64 tensor, got ", dtype_name(t.dtype));
  }
}

// Reads a float-like or integer element as double (dtype-generic, slow: for scalars).
double read_scalar(const TensorView& t, int64_t i);

// Offset (in elements) of a multi-index in a strided view.
inline int64_t offset_of(const TensorView& t, const int64_t* idx) {
  int64_t off = 0;
  for (int i = 0; i < t.shape.rank; ++i) off += idx[i] * t.strides[i];
  return off;
}

// Advances a multi-index over `shape` in row-major order; returns false after the last index.
inline bool next_index(const Shape& shape, int64_t* idx) {
  for (int i = shape.rank - 1; i >= 0; --i) {
    if (++idx[i] < shape.d[i]) return true;
    idx[i] = 0;
  }
  return false;
}

// Strides (in elements) to read `t` as if broadcast to `out` (0 for broadcast dims).
inline void broadcast_strides(const TensorView& t, const Shape& out, int64_t* strides) {
  const int off = out.rank - t.shape.rank;
  for (int i = 0; i < out.rank; ++i) {
    int j = i - off;
    strides[i] = (j < 0 || t.shape.d[j] == 1) ? 0 : t.strides[j];
  }
}

// Multidirectional (numpy) broadcast of symbolic shapes. Returns false if incompatible.
bool broadcast_shapes(const SymShape& a, const SymShape& b, SymShape* out);

// Calls f(T{}) with T the C++ type of `dt` for the listed families; fails otherwise.
template <class F>
auto dispatch_numeric(DType dt, F&& f) {
  switch (dt) {
    case DType::kF32:
      return f(float{});
    case DType::kF64:
      return f(double{});
    case DType::kI8:
      return f(int8_t{});
    case DType::kU8:
      return f(uint8_t{});
    case DType::kI16:
      return f(int16_t{});
    case DType::kU16:
      return f(uint16_t{});
    case DType::kI32:
      return f(int32_t{});
    case DType::kU32:
      return f(uint32_t{});
    case DType::kI64:
      return f(int64_t{});
    case DType::kU64:
      return f(uint64_t{});
    case DType::kBool:
      return f(bool{});
    default:
      fail("unsupported dtype ", dtype_name(dt));
  }
}

// Copies a strided view into contiguous memory at dst (same dtype), element size-generic.
void copy_to_contiguous(const TensorView& src, void* dst);

}  // namespace wrun::ops
