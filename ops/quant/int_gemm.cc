#include "ops/quant/int_gemm.h"

#include <algorithm>
#include <cstring>

#include "ops/linalg/gemm_core.h"
#include "ops/linalg/parallel.h"

namespace wrun::ops::quant {

bool make_param_index(const Shape& x, const Shape& p, bool per_row, ParamIndex* out) {
  ParamIndex pi;
  if (x.rank >= 2) {
    pi.nb = x.rank - 2;
    for (int d = 0; d < pi.nb; ++d) pi.bdims[d] = x[d];
  }
  if (p.numel() == 1) {
    *out = pi;
    return true;
  }
  if (x.rank < 2) return false;
  // The shape the parameter must broadcast to, and the parameter's own shape right-aligned.
  Shape target = x;
  target.d[per_row ? x.rank - 1 : x.rank - 2] = 1;
  Shape ps = p;
  if (per_row && p.rank == 1) ps = Shape{p[0], 1};
  if (ps.rank > target.rank) return false;
  int64_t stride = 1, strides[kMaxRank] = {};
  for (int i = ps.rank - 1; i >= 0; --i) {
    const int t = i + target.rank - ps.rank;
    if (ps[i] != 1 && ps[i] != target[t]) return false;
    strides[t] = ps[i] == 1 ? 0 : stride;
    stride *= ps[i];
  }
  for (int d = 0; d < pi.nb; ++d) pi.bstrides[d] = strides[d];
  pi.vstride = strides[per_row ? x.rank - 2 : x.rank - 1];
  *out = pi;
  return true;
}

IntMatMul int_matmul_geom(const Shape& a, const Shape& b) {
  IntMatMul g;
  const int ra = a.rank, rb = b.rank;
  g.M = ra >= 2 ? a[ra - 2] : 1;
  g.K = a[ra - 1];
  g.N = rb >= 2 ? b[rb - 1] : 1;
  const int na = std::max(ra - 2, 0), nbb = std::max(rb - 2, 0);
  g.nb = std::max(na, nbb);
  // Strides over each operand's own batch dims, then aligned to the output's batch dims.
  int64_t sa = 1, sb = 1;
  for (int d = g.nb - 1; d >= 0; --d) {
    const int ia = d - (g.nb - na), ib = d - (g.nb - nbb);
    const int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
    g.bdims[d] = da == 1 ? db : da;
    g.a_bs[d] = da == 1 ? 0 : sa;
    g.b_bs[d] = db == 1 ? 0 : sb;
    sa *= da, sb *= db;
    g.batches *= g.bdims[d];
  }
  g.a_batches = sa, g.b_batches = sb;
  return g;
}

void int_gemm_rows(int64_t m0, int64_t m1, int64_t N, int64_t K, const int32_t* w, const int32_t* x,
                   int32_t* c) {
  std::memset(c + m0 * N, 0, sizeof(int32_t) * static_cast<size_t>((m1 - m0) * N));
  linalg::gemm_rows<int32_t>(m0, m1, N, K, {w, K, 1}, {x, N, 1}, c, N);
}

void int_matmul(const IntMatMul& g, const int32_t* a, const int32_t* b, int32_t* y,
                pthreadpool_t pool) {
  const int64_t mblocks = (g.M + linalg::kRowBlock - 1) / linalg::kRowBlock;
  auto task = [&](size_t t) {
    const int64_t bi = static_cast<int64_t>(t) / mblocks;
    const int64_t m0 = static_cast<int64_t>(t) % mblocks * linalg::kRowBlock;
    const int64_t m1 = std::min(g.M, m0 + linalg::kRowBlock);
    int64_t ia, ib;
    g.batch_of(bi, &ia, &ib);
    int_gemm_rows(m0, m1, g.N, g.K, a + ia * g.M * g.K, b + ib * g.K * g.N, y + bi * g.M * g.N);
  };
  parallel_for(pool, static_cast<size_t>(g.batches * mblocks), task);
}

}  // namespace wrun::ops::quant
