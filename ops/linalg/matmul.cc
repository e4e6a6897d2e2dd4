// MatMul with numpy semantics: batched, broadcast batch dims, 1-D operands promoted and removed.
#include <cstring>

#include "ops/common.h"
#include "ops/linalg/gemm_core.h"
#include "ops/linalg/linalg.h"
#include "ops/linalg/parallel.h"

namespace wrun::ops::linalg {

void matmul_infer(InferContext& c) {
  const DType dt = c.input_dtype(0);
  if (c.input_dtype(1) != dt)
    c.fail("input dtypes differ (", dtype_name(dt), " vs ", dtype_name(c.input_dtype(1)), ")");
  if (!linalg_dtype(dt)) c.fail("unsupported dtype ", dtype_name(dt));
  const SymShape& a = c.input_shape(0);
  const SymShape& b = c.input_shape(1);
  if (!a.rank_known() || !b.rank_known()) return c.set_output(0, dt, SymShape{});
  if (a.rank == 0 || b.rank == 0) c.fail("operands must have rank >= 1");
  const Dim ka = a[a.rank - 1], kb = b[b.rank >= 2 ? b.rank - 2 : 0];
  if (ka.is_known() && kb.is_known() && ka.value != kb.value)
    c.fail("inner dimensions differ (", ka.value, " vs ", kb.value, ")");
  SymShape ba = SymShape::scalar(), bb = SymShape::scalar(), out;
  for (int i = 0; i + 2 < a.rank; ++i) ba.push(a[i]);
  for (int i = 0; i + 2 < b.rank; ++i) bb.push(b[i]);
  if (!broadcast_shapes(ba, bb, &out)) c.fail("batch dimensions do not broadcast");
  if (a.rank >= 2) out.push(a[a.rank - 2]);
  if (b.rank >= 2) out.push(b[b.rank - 1]);
  c.set_output(0, dt, out);
}

void matmul_prepare(PrepareContext& c) {
  // A strided (e.g. transposed) B is packed row-major; constants are always contiguous.
  const TensorView& b = c.inputs[1];
  if (!b.data && b.shape.rank >= 2) c.scratch_bytes = b.bytes();
}

namespace {

// Operand geometry: 2-D matrices plus broadcast batch strides (in elements).
struct MatMulGeom {
  int64_t M, N, K;
  int nb = 0;  // batch rank of the output
  int64_t batch_dims[kMaxRank] = {};
  int64_t a_bstride[kMaxRank] = {}, b_bstride[kMaxRank] = {};
  int64_t batches = 1;

  void offsets(int64_t bi, int64_t* oa, int64_t* ob) const {
    *oa = *ob = 0;
    for (int d = nb - 1; d >= 0; --d) {
      const int64_t i = bi % batch_dims[d];
      bi /= batch_dims[d];
      *oa += i * a_bstride[d];
      *ob += i * b_bstride[d];
    }
  }
};

// Batch strides of `t` (whose last `mat` dims are matrix dims) broadcast to nb batch dims.
void batch_strides(const TensorView& t, int mat, int nb, int64_t* out) {
  const int tb = t.shape.rank - mat;
  for (int d = 0; d < nb; ++d) {
    const int j = d - (nb - tb);
    out[d] = (j < 0 || t.shape.d[j] == 1) ? 0 : t.strides[j];
  }
}

template <class T>
void matmul_typed(RunContext& ctx) {
  const TensorView& A = ctx.in(0);
  TensorView B = ctx.in(1);
  TensorView& Y = ctx.out(0);
  const int ra = A.shape.rank, rb = B.shape.rank;
  const int ma = ra >= 2 ? 2 : 1, mb = rb >= 2 ? 2 : 1;
  MatMulGeom g;
  g.M = ra >= 2 ? A.shape[ra - 2] : 1;
  g.K = A.shape[ra - 1];
  g.N = rb >= 2 ? B.shape[rb - 1] : 1;
  g.nb = Y.shape.rank - (ra >= 2) - (rb >= 2);
  for (int d = 0; d < g.nb; ++d) g.batches *= (g.batch_dims[d] = Y.shape[d]);
  if (Y.numel() == 0) return;

  // Pack a B whose rows are not contiguous (a transposed view) when scratch allows.
  if (rb >= 2 && B.strides[rb - 1] != 1 && g.N > 1 && ctx.scratch_bytes >= B.bytes() &&
      ctx.scratch) {
    T* dst = static_cast<T*>(ctx.scratch);
    Shape outer = B.shape;
    outer.d[rb - 1] = outer.d[rb - 2] = 1;
    int64_t idx[kMaxRank] = {};
    T* p = dst;
    if (B.numel() > 0) do {
        const MatRef<T> src{elem_ptr<T>(B.data, offset_of(B, idx)), B.strides[rb - 2],
                            B.strides[rb - 1]};
        pack_rows(src, g.K, g.N, p);
        p += g.K * g.N;
      } while (next_index(outer, idx));
    B.data = dst;
    B.set_contiguous_strides();
  }
  batch_strides(A, ma, g.nb, g.a_bstride);
  batch_strides(B, mb, g.nb, g.b_bstride);
  const int64_t a_rs = ra >= 2 ? A.strides[ra - 2] : 0, a_cs = A.strides[ra - 1];
  const int64_t b_rs = B.strides[rb >= 2 ? rb - 2 : 0], b_cs = rb >= 2 ? B.strides[rb - 1] : 1;
  const void* pa = A.data;
  const void* pb = B.data;
  T* py = Y.as<T>();
  const int64_t mblocks = (g.M + kRowBlock - 1) / kRowBlock;
  auto task = [&](size_t t) {
    const int64_t bi = static_cast<int64_t>(t) / mblocks;
    const int64_t m0 = static_cast<int64_t>(t) % mblocks * kRowBlock;
    const int64_t m1 = std::min(g.M, m0 + kRowBlock);
    int64_t oa, ob;
    g.offsets(bi, &oa, &ob);
    T* c = py + bi * g.M * g.N;
    std::memset(static_cast<void*>(c + m0 * g.N), 0, sizeof(T) * (m1 - m0) * g.N);
    gemm_rows<T>(m0, m1, g.N, g.K, {elem_ptr<T>(pa, oa), a_rs, a_cs},
                 {elem_ptr<T>(pb, ob), b_rs, b_cs}, c, g.N);
  };
  parallel_for(ctx.pool, static_cast<size_t>(g.batches * mblocks), task);
}

}  // namespace

void matmul_run(RunContext& c) {
  dispatch_linalg(c.in(0).dtype, [&](auto z) { matmul_typed<decltype(z)>(c); });
}

}  // namespace wrun::ops::linalg
