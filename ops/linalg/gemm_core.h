// The reference GEMM shared by MatMul, Gemm and Conv: C (+)= A * B over strided operands.
//
// Operands are read with memcpy loads (they may be misaligned model weights); C is the kernel's own
// output. Every element of C is accumulated in ascending k order in the element type (float for
// float), starting from its initial value, whatever the tiling or the rows a task covers. Rows are
// split into fixed blocks of kRowBlock, so results are identical for any thread count.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "ops/linalg/load.h"

namespace wrun::ops::linalg {

// Integer products wrap like numpy's fixed-width arithmetic instead of overflowing (UB).
template <class T, bool = std::is_integral_v<T>>
struct AccType {
  using type = T;
};
template <class T>
struct AccType<T, true> {
  using type = std::make_unsigned_t<T>;
};
template <class T>
using AccOf = typename AccType<T>::type;

// A strided matrix operand of T elements at any alignment: element (r, c) is element
// r * rs + c * cs of the array at p.
template <class T>
struct MatRef {
  const char* p;
  int64_t rs, cs;
  MatRef(const void* base, int64_t row_stride, int64_t col_stride)
      : p(static_cast<const char*>(base)), rs(row_stride), cs(col_stride) {}
  T at(int64_t r, int64_t c) const { return load<T>(p, r * rs + c * cs); }
  MatRef sub(int64_t r, int64_t c) const { return {elem_ptr<T>(p, r * rs + c * cs), rs, cs}; }
};

constexpr int64_t kRowBlock = 16;  // rows per parallel task (a multiple of the micro tile)
constexpr int64_t kKBlock = 256;   // k extent of a B panel kept in L2
constexpr int64_t kNBlock = 512;   // column extent of a B panel

constexpr int kTileRows = 4;
constexpr int kTileVecs = 2;  // 16-byte vectors per tile row
template <class T>
constexpr int kTileCols = kTileVecs* static_cast<int>(16 / sizeof(T));

// An MR x kTileCols<T> tile of C kept in registers across the k loop. GCC vector extensions keep
// this portable (SSE2/NEON/AVX alike) while making the register tile explicit.
template <class T, int MR, bool kUnitB>
inline void micro_tile(int64_t K, MatRef<T> a, MatRef<T> b, T* __restrict c, int64_t ldc) {
  using Acc = AccOf<T>;
  typedef Acc V __attribute__((vector_size(16)));
  constexpr int W = 16 / sizeof(T), NV = kTileVecs;
  V acc[MR][NV];
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < NV; ++v) std::memcpy(&acc[r][v], c + r * ldc + v * W, 16);
  for (int64_t k = 0; k < K; ++k) {
    const char* __restrict bk = elem_ptr<T>(b.p, k * b.rs);
    V bv[NV];
    for (int v = 0; v < NV; ++v) {
      if constexpr (kUnitB) {
        std::memcpy(&bv[v], elem_ptr<T>(bk, v * W), 16);
      } else {
        Acc lanes[W];
        for (int l = 0; l < W; ++l) lanes[l] = static_cast<Acc>(load<T>(bk, (v * W + l) * b.cs));
        std::memcpy(&bv[v], lanes, 16);
      }
    }
    for (int r = 0; r < MR; ++r) {
      const V av = V{} + static_cast<Acc>(a.at(r, k));
      for (int v = 0; v < NV; ++v) acc[r][v] += av * bv[v];
    }
  }
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < NV; ++v) std::memcpy(c + r * ldc + v * W, &acc[r][v], 16);
}

// Ragged tiles at the right edge of C.
template <class T>
inline void edge_tile(int64_t mr, int64_t nr, int64_t K, MatRef<T> a, MatRef<T> b, T* c,
                      int64_t ldc) {
  using Acc = AccOf<T>;
  for (int64_t r = 0; r < mr; ++r)
    for (int64_t j = 0; j < nr; ++j) {
      Acc s = static_cast<Acc>(c[r * ldc + j]);
      for (int64_t k = 0; k < K; ++k)
        s += static_cast<Acc>(a.at(r, k)) * static_cast<Acc>(b.at(k, j));
      c[r * ldc + j] = static_cast<T>(s);
    }
}

// C[m0:m1, 0:N] += A[m0:m1, 0:K] * B[0:K, 0:N]; C is row-major with row stride ldc. Callers
// initialise C (zero or bias). B with unit column stride takes the vectorisable path.
template <class T>
void gemm_rows(int64_t m0, int64_t m1, int64_t N, int64_t K, MatRef<T> a, MatRef<T> b, T* c,
               int64_t ldc) {
  constexpr int MR = kTileRows, NR = kTileCols<T>;
  const bool unit = b.cs == 1;
  for (int64_t jc = 0; jc < N; jc += kNBlock) {
    const int64_t jend = std::min(N, jc + kNBlock);
    for (int64_t kc = 0; kc < K; kc += kKBlock) {
      const int64_t kb = std::min(K - kc, kKBlock);
      for (int64_t i = m0; i < m1;) {
        const int64_t mr = m1 - i >= MR ? MR : 1;
        const MatRef<T> at = a.sub(i, kc);
        for (int64_t j = jc; j < jend; j += NR) {
          const MatRef<T> bt = b.sub(kc, j);
          T* ct = c + i * ldc + j;
          if (jend - j < NR) {
            edge_tile(mr, jend - j, kb, at, bt, ct, ldc);
          } else if (mr == MR) {
            unit ? micro_tile<T, MR, true>(kb, at, bt, ct, ldc)
                 : micro_tile<T, MR, false>(kb, at, bt, ct, ldc);
          } else {
            unit ? micro_tile<T, 1, true>(kb, at, bt, ct, ldc)
                 : micro_tile<T, 1, false>(kb, at, bt, ct, ldc);
          }
        }
        i += mr;
      }
    }
  }
}

// Copies B[0:K, 0:N] into dst row-major, so the GEMM reads it with unit column stride.
template <class T>
void pack_rows(MatRef<T> b, int64_t K, int64_t N, T* dst) {
  for (int64_t k = 0; k < K; ++k)
    for (int64_t j = 0; j < N; ++j) dst[k * N + j] = b.at(k, j);
}

}  // namespace wrun::ops::linalg
