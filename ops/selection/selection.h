// Internals shared by the selection family (ArgMax/ArgMin, TopK, Hardmax): the row geometry
// around one axis, the NaN-aware ordering, and each op's entry points for selection_table.cc.
#pragma once
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "ops/elementwise/elem_types.h"
#include "ops/kernel.h"

namespace wrun::ops::selection {

using elementwise::Compute;
using elementwise::Elem;

// A tensor seen as outer x n x inner elements with the op working along n (stride inner).
struct Rows {
  int64_t outer = 1, n = 1, inner = 1;
};

// `flatten` (the opset < 13 Hardmax rule) folds every dim from `axis` on into n.
inline Rows rows_of(const Shape& s, int axis, bool flatten = false) {
  Rows r;
  for (int i = 0; i < s.rank; ++i) {
    if (i < axis)
      r.outer *= s[i];
    else if (i == axis || flatten)
      r.n *= s[i];
    else
      r.inner *= s[i];
  }
  return r;
}

// Total order used by every op here: NaN ranks above every number (as numpy's argmax and
// torch.topk treat it) and equals another NaN.
template <class C>
bool greater(C a, C b) {
  if constexpr (std::is_floating_point_v<C>) {
    if (std::isnan(a)) return !std::isnan(b);
    if (std::isnan(b)) return false;
  }
  return a > b;
}

// Index of the largest (kMax) or smallest element of a row of n elements at stride `stride`;
// ties go to the first occurrence unless `last`. A NaN counts as the extreme either way, so the
// first (or last) NaN wins, as in numpy.
template <class T, bool kMax>
int64_t best_index(const char* row, int64_t n, int64_t stride, bool last) {
  using C = Compute<T>;
  auto better = [](C x, C best) {
    if constexpr (std::is_floating_point_v<C>)
      if (std::isnan(x) || std::isnan(best)) return std::isnan(x) && !std::isnan(best);
    return kMax ? x > best : x < best;
  };
  auto same = [](C x, C best) {
    if constexpr (std::is_floating_point_v<C>)
      if (std::isnan(x) || std::isnan(best)) return std::isnan(x) && std::isnan(best);
    return x == best;
  };
  int64_t bi = 0;
  C best = Elem<T>::load(row);
  for (int64_t k = 1; k < n; ++k) {
    const C x = Elem<T>::load(row + k * stride * static_cast<int64_t>(sizeof(T)));
    if (better(x, best) || (last && same(x, best))) best = x, bi = k;
  }
  return bi;
}

void arg_infer(InferContext& c);
void argmax_run(RunContext& c);
void argmin_run(RunContext& c);

void top_k_infer(InferContext& c);
void top_k_prepare(PrepareContext& c);
void top_k_run(RunContext& c);

void hardmax_infer(InferContext& c);
void hardmax_run(RunContext& c);

}  // namespace wrun::ops::selection
