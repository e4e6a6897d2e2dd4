// The integer matrix core of MatMulInteger, QLinearMatMul, ConvInteger and QLinearConv: 8-bit
// operands are widened to int32 with their zero points subtracted, then multiplied by the shared
// reference GEMM in int32. Its integer accumulation wraps modulo 2^32, which is exactly what the
// spec allows ("the accumulation may overflow if and only if in 32 bits"), so results are
// bit-exact for any tiling or thread count.
#pragma once
#include <pthreadpool.h>

#include <cstddef>
#include <cstdint>

#include "graph/shape.h"
#include "graph/tensor.h"
#include "ops/linalg/load.h"

namespace wrun::ops::quant {

// Where a per-tensor, per-row or per-column parameter (zero point or scale) of a matrix operand
// X = [batch..., R, C] lives: the parameter broadcasts to X's shape with the reduced extent set
// to 1 (C for A's per-row parameters, R for B's per-column ones).
struct ParamIndex {
  int nb = 0;                       // batch rank of X
  int64_t bdims[kMaxRank] = {};     // X's batch extents
  int64_t bstrides[kMaxRank] = {};  // parameter strides per batch dim (0 when broadcast)
  int64_t vstride = 0;              // parameter stride along X's rows (per_row) or columns

  // Offset of the parameter for X's batch `batch` (flat over X's own batch dims), row/column 0.
  int64_t base(int64_t batch) const {
    int64_t off = 0;
    for (int d = nb - 1; d >= 0; --d) {
      off += (batch % bdims[d]) * bstrides[d];
      batch /= bdims[d];
    }
    return off;
  }
};

// Builds the index of parameter shape `p` for operand shape `x`; per_row selects A's rows (a 1-D
// parameter of R entries is then read as [R, 1]), else B's columns. False if `p` fits neither
// the per-tensor nor the per-row/column layout.
bool make_param_index(const Shape& x, const Shape& p, bool per_row, ParamIndex* out);

// Writes X - zp as int32 for X = [batches, R, C] (contiguous, any alignment) into dst. zp may be
// nullptr (zero). Elements are read as T (uint8_t or int8_t), and so is the zero point.
template <class T>
void widen(const void* x, const void* zp, const ParamIndex& pi, bool per_row, int64_t batches,
           int64_t R, int64_t C, int32_t* dst) {
  for (int64_t b = 0; b < batches; ++b) {
    const int64_t zb = zp ? pi.base(b) : 0;
    for (int64_t r = 0; r < R; ++r) {
      const int64_t row = (b * R + r) * C;
      const char* xr = elem_ptr<T>(x, row);
      int32_t* d = dst + row;
      if (!zp || per_row || pi.vstride == 0) {
        const int32_t z = zp ? load<T>(zp, zb + (per_row ? r * pi.vstride : 0)) : 0;
        for (int64_t c = 0; c < C; ++c) d[c] = static_cast<int32_t>(load<T>(xr, c)) - z;
      } else {
        for (int64_t c = 0; c < C; ++c)
          d[c] = static_cast<int32_t>(load<T>(xr, c)) - load<T>(zp, zb + c * pi.vstride);
      }
    }
  }
}

// MatMul geometry (numpy semantics) of A and B: 1-D operands promoted, batch dims broadcast.
struct IntMatMul {
  int64_t M = 1, N = 1, K = 1;
  int64_t a_batches = 1, b_batches = 1, batches = 1;  // A's, B's and the output's batch counts
  int nb = 0;
  int64_t bdims[kMaxRank] = {};
  int64_t a_bs[kMaxRank] = {}, b_bs[kMaxRank] = {};  // strides in units of A's/B's batches

  // A's and B's batch indices for output batch bi.
  void batch_of(int64_t bi, int64_t* ia, int64_t* ib) const {
    *ia = *ib = 0;
    for (int d = nb - 1; d >= 0; --d) {
      const int64_t i = bi % bdims[d];
      bi /= bdims[d];
      *ia += i * a_bs[d];
      *ib += i * b_bs[d];
    }
  }
};

IntMatMul int_matmul_geom(const Shape& a, const Shape& b);

// Y[bi] = A'[ia] * B'[ib] (int32, row-major) for every output batch, parallel over fixed row
// blocks. a and b hold the widened operands [a_batches, M, K] and [b_batches, K, N].
void int_matmul(const IntMatMul& g, const int32_t* a, const int32_t* b, int32_t* y,
                pthreadpool_t pool);

// Below this many rows of A per batch, B is read in its 8-bit form (widening it would cost as
// much as the product: decoder steps have M = 1).
constexpr int64_t kDirectRows = 8;
constexpr int64_t kDirectCols = 512;  // columns per parallel task of the direct path

// Columns [n0, n1) of every row of C[M, N] = A'[M, K] * (B - zp) with B [K, N] read as T. The
// zero point is applied afterwards as zp[n] * sum_k A'[m, k]; unsigned arithmetic wraps modulo
// 2^32 exactly like the GEMM, so both paths give identical bits.
template <class T>
void direct_cols(int64_t M, int64_t K, int64_t N, int64_t n0, int64_t n1, const int32_t* a,
                 const void* b, const void* zp, int64_t zbase, int64_t zstride, int32_t* c) {
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = n0; n < n1; ++n) c[m * N + n] = 0;
  for (int64_t k = 0; k < K; ++k) {
    const char* bk = elem_ptr<T>(b, k * N);
    for (int64_t m = 0; m < M; ++m) {
      const uint32_t av = static_cast<uint32_t>(a[m * K + k]);
      uint32_t* cr = reinterpret_cast<uint32_t*>(c + m * N);
      for (int64_t n = n0; n < n1; ++n)
        cr[n] += av * static_cast<uint32_t>(static_cast<int32_t>(load<T>(bk, n)));
    }
  }
  if (!zp) return;
  for (int64_t m = 0; m < M; ++m) {
    uint32_t rowsum = 0;
    for (int64_t k = 0; k < K; ++k) rowsum += static_cast<uint32_t>(a[m * K + k]);
    uint32_t* cr = reinterpret_cast<uint32_t*>(c + m * N);
    for (int64_t n = n0; n < n1; ++n)
      cr[n] -=
          rowsum * static_cast<uint32_t>(static_cast<int32_t>(load<T>(zp, zbase + n * zstride)));
  }
}

// Rows [m0, m1) of C[M, N] = W[M, K] * X[K, N] (int32, row-major), C overwritten.
void int_gemm_rows(int64_t m0, int64_t m1, int64_t N, int64_t K, const int32_t* w, const int32_t* x,
                   int32_t* c);

// Bytes of scratch sections, each rounded up so the next one stays 64-byte aligned.
inline size_t section_bytes(int64_t n_int32) {
  return (static_cast<size_t>(n_int32) * sizeof(int32_t) + 63) / 64 * 64;
}

}  // namespace wrun::ops::quant
