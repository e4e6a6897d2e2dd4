#include "ops/tensor/strided_copy.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace wrun::ops::tensor {
namespace {

// A copy box after simplification; strides in bytes.
struct Box {
  int rank = 0;
  int64_t n[kMaxRank] = {};
  int64_t ss[kMaxRank] = {};
  int64_t ds[kMaxRank] = {};
};

// Drops unit dims and merges neighbours that are contiguous in both source and destination, so
// that runs are as long as possible. Returns false when there is nothing to copy.
bool simplify(const Shape& shape, const int64_t* ss, const int64_t* ds, int64_t es, Box* b) {
  for (int i = 0; i < shape.rank; ++i)
    if (shape.d[i] == 0) return false;
  for (int i = 0; i < shape.rank; ++i) {
    const int64_t n = shape.d[i];
    if (n == 1) continue;
    const int64_t s = ss[i] * es, d = ds[i] * es;
    if (b->rank > 0) {
      const int j = b->rank - 1;
      if (b->ss[j] == s * n && b->ds[j] == d * n) {
        b->n[j] *= n;
        b->ss[j] = s;
        b->ds[j] = d;
        continue;
      }
    }
    b->n[b->rank] = n;
    b->ss[b->rank] = s;
    b->ds[b->rank] = d;
    ++b->rank;
  }
  return true;
}

// Calls f(src_offset, dst_offset) for every index of the first `nouter` dims of the box.
template <class F>
void for_each_outer(const Box& b, int nouter, F&& f) {
  int64_t idx[kMaxRank] = {};
  int64_t so = 0, dof = 0;
  for (;;) {
    f(so, dof);
    int i = nouter - 1;
    for (; i >= 0; --i) {
      so += b.ss[i];
      dof += b.ds[i];
      if (++idx[i] < b.n[i]) break;
      so -= b.ss[i] * b.n[i];
      dof -= b.ds[i] * b.n[i];
      idx[i] = 0;
    }
    if (i < 0) return;
  }
}

// ES is the element size; memcpy with a constant size compiles to one move and is safe for
// unaligned model data.
template <size_t ES>
void copy_box(const char* src, char* dst, Box b, size_t es_runtime) {
  const size_t es = ES ? ES : es_runtime;
  auto one = [&](char* d, const char* s) {
    if constexpr (ES)
      std::memcpy(d, s, ES);
    else
      std::memcpy(d, s, es);
  };
  const int r = b.rank;
  if (r == 0) return one(dst, src);
  const int last = r - 1;
  const int64_t n = b.n[last];
  if (b.ss[last] == static_cast<int64_t>(es) && b.ds[last] == static_cast<int64_t>(es)) {
    const size_t run = static_cast<size_t>(n) * es;
    for_each_outer(b, last,
                   [&](int64_t so, int64_t dof) { std::memcpy(dst + dof, src + so, run); });
    return;
  }
  // A transpose: some outer dim is contiguous in the source. Make it the second innermost and
  // copy in tiles so that both sides stay in cache.
  int k = -1;
  for (int i = 0; i < last; ++i)
    if (b.ss[i] == static_cast<int64_t>(es) && b.n[i] >= 8 && n >= 8) k = i;
  if (k >= 0) {
    std::swap(b.n[k], b.n[last - 1]);
    std::swap(b.ss[k], b.ss[last - 1]);
    std::swap(b.ds[k], b.ds[last - 1]);
    const int64_t n0 = b.n[last - 1], s0 = b.ss[last - 1], d0 = b.ds[last - 1];
    const int64_t s1 = b.ss[last], d1 = b.ds[last];
    constexpr int64_t kTile = 32;
    for_each_outer(b, last - 1, [&](int64_t so, int64_t dof) {
      for (int64_t i0 = 0; i0 < n0; i0 += kTile) {
        const int64_t e0 = std::min(n0, i0 + kTile);
        for (int64_t i1 = 0; i1 < n; i1 += kTile) {
          const int64_t e1 = std::min(n, i1 + kTile);
          for (int64_t a = i0; a < e0; ++a)
            for (int64_t c = i1; c < e1; ++c)
              one(dst + dof + a * d0 + c * d1, src + so + a * s0 + c * s1);
        }
      }
    });
    return;
  }
  const int64_t s1 = b.ss[last], d1 = b.ds[last];
  for_each_outer(b, last, [&](int64_t so, int64_t dof) {
    for (int64_t c = 0; c < n; ++c) one(dst + dof + c * d1, src + so + c * s1);
  });
}

}  // namespace

void strided_copy(const void* src, const int64_t* src_strides, void* dst,
                  const int64_t* dst_strides, const Shape& shape, size_t elem_size) {
  Box b;
  if (!simplify(shape, src_strides, dst_strides, static_cast<int64_t>(elem_size), &b)) return;
  const char* s = static_cast<const char*>(src);
  char* d = static_cast<char*>(dst);
  switch (elem_size) {
    case 1:
      return copy_box<1>(s, d, b, 1);
    case 2:
      return copy_box<2>(s, d, b, 2);
    case 4:
      return copy_box<4>(s, d, b, 4);
    case 8:
      return copy_box<8>(s, d, b, 8);
    default:
      return copy_box<0>(s, d, b, elem_size);
  }
}

}  // namespace wrun::ops::tensor
