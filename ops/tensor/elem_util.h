// Element helpers for the tensor ops that index or compute (Gather/ScatterElements, GatherND,
// ScatterND, OneHot, EyeLike, CumSum): index loads at strided offsets, bounds checks, and typed
// element access through the elementwise family's storage types. Nothing here allocates.
#pragma once
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "graph/tensor.h"
#include "ops/common.h"
#include "ops/elementwise/elem_types.h"
#include "ops/kernel.h"

namespace wrun::ops::tensor {

using elementwise::AllTypes;
using elementwise::Elem;
using elementwise::NumericTypes;

// The type arithmetic on Compute type C runs in: FloatAcc for floating C, and for integers the
// unsigned type that wraps instead of overflowing.
template <class C, class FloatAcc, bool = std::is_floating_point_v<C>>
struct Arith {
  using type = FloatAcc;
};
template <class C, class FloatAcc>
struct Arith<C, FloatAcc, false> {
  using type = elementwise::WrapType<C>;
};

// Index element at element offset `off` of an int32/int64 tensor.
inline int64_t load_index(const TensorView& t, int64_t off) {
  const char* p = t.as<const char>();
  if (t.dtype == DType::kI64) {
    int64_t v;
    std::memcpy(&v, p + off * 8, 8);
    return v;
  }
  int32_t v;
  std::memcpy(&v, p + off * 4, 4);
  return v;
}

inline bool is_index_dtype(DType t) { return t == DType::kI64 || t == DType::kI32; }

// Maps an index in [-n, n) to [0, n); returns -1 when out of range.
inline int64_t wrap_index(int64_t j, int64_t n) {
  if (j < -n || j >= n) return -1;
  return j < 0 ? j + n : j;
}

// Stores `v` converted to dtype dt at p (p need not be aligned).
inline void store_double(DType dt, double v, void* p) {
  elementwise::dispatch(AllTypes{}, dt, [&](auto z) {
    using T = decltype(z);
    using C = elementwise::Compute<T>;
    Elem<T>::store(static_cast<char*>(p), static_cast<C>(v));
  });
}

// Fills n elements of size es at dst with the element at `value`; memset when all bytes are 0.
inline void fill_elements(void* dst, int64_t n, const void* value, size_t es) {
  if (n <= 0) return;
  const char* v = static_cast<const char*>(value);
  bool zero = true;
  for (size_t b = 0; b < es; ++b) zero &= v[b] == 0;
  char* d = static_cast<char*>(dst);
  if (zero) {
    std::memset(d, 0, static_cast<size_t>(n) * es);
    return;
  }
  for (int64_t i = 0; i < n; ++i) std::memcpy(d + i * static_cast<int64_t>(es), v, es);
}

// GatherElements and ScatterElements: data and indices have the same rank and indices are no larger
// than data off the axis. Returns the normalized axis, or -1 when the ranks are unknown.
inline int check_elements_indices(const InferContext& ctx, int indices_input) {
  if (!is_index_dtype(ctx.input_dtype(indices_input)))
    ctx.fail("indices must be int32 or int64, got ", dtype_name(ctx.input_dtype(indices_input)));
  const SymShape& data = ctx.input_shape(0);
  const SymShape& ind = ctx.input_shape(indices_input);
  if (!data.rank_known() || !ind.rank_known()) return -1;
  if (data.rank == 0) ctx.fail("data must have rank >= 1");
  if (ind.rank != data.rank)
    ctx.fail("indices have rank ", ind.rank, " but data has rank ", data.rank);
  const int axis = normalize_axis(ctx.node().attr_i("axis", 0), data.rank, ctx.node());
  for (int i = 0; i < data.rank; ++i)
    if (i != axis && data.d[i].is_known() && ind.d[i].is_known() &&
        ind.d[i].value > data.d[i].value)
      ctx.fail("indices extent ", ind.d[i].value, " on axis ", i, " exceeds data extent ",
               data.d[i].value);
  return axis;
}

}  // namespace wrun::ops::tensor
