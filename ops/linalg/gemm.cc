// Gemm: Y = alpha * op(A) * op(B) + beta * C, C broadcast unidirectionally to [M, N].
#include <cstring>

#include "ops/common.h"
#include "ops/linalg/gemm_core.h"
#include "ops/linalg/linalg.h"
#include "ops/linalg/parallel.h"

namespace wrun::ops::linalg {

void gemm_infer(InferContext& c) {
  const DType dt = c.input_dtype(0);
  if (c.input_dtype(1) != dt) c.fail("A and B dtypes differ");
  if (!linalg_dtype(dt)) c.fail("unsupported dtype ", dtype_name(dt));
  const bool has_c = c.has_input(2);
  if (c.opset() < 11 && !has_c) c.fail("input C is required before opset 11");
  if (has_c && c.input_dtype(2) != dt) c.fail("C dtype differs from A");
  const SymShape& a = c.input_shape(0);
  const SymShape& b = c.input_shape(1);
  if ((a.rank_known() && a.rank != 2) || (b.rank_known() && b.rank != 2))
    c.fail("A and B must be 2-D");
  const bool ta = c.node().attr_i("transA", 0) != 0, tb = c.node().attr_i("transB", 0) != 0;
  SymShape out;
  out.rank = 2;
  out.d[0] = a.rank_known() ? a[ta ? 1 : 0] : c.unknown_dim();
  out.d[1] = b.rank_known() ? b[tb ? 0 : 1] : c.unknown_dim();
  if (a.rank_known() && b.rank_known()) {
    const Dim ka = a[ta ? 0 : 1], kb = b[tb ? 1 : 0];
    if (ka.is_known() && kb.is_known() && ka.value != kb.value)
      c.fail("inner dimensions differ (", ka.value, " vs ", kb.value, ")");
  }
  if (has_c) {
    const SymShape& cs = c.input_shape(2);
    if (cs.rank_known()) {
      if (cs.rank > 2) c.fail("C has rank ", cs.rank, " > 2");
      for (int i = 0; i < cs.rank; ++i) {
        const Dim d = cs[i], o = out[2 - cs.rank + i];
        if (d.is_known() && d.value != 1 && o.is_known() && d.value != o.value)
          c.fail("C does not broadcast to the output");
      }
    }
  }
  c.set_output(0, dt, out);
}

void gemm_prepare(PrepareContext& c) {
  // op(B) with transB has a non-unit column stride: pack it.
  if (c.node.attr_i("transB", 0) != 0) c.scratch_bytes = c.inputs[1].bytes();
}

namespace {

template <class T>
void gemm_typed(RunContext& ctx) {
  const TensorView& A = ctx.in(0);
  const TensorView& B = ctx.in(1);
  TensorView& Y = ctx.out(0);
  const bool ta = ctx.node.attr_i("transA", 0) != 0, tb = ctx.node.attr_i("transB", 0) != 0;
  const double alpha = ctx.node.attr_f("alpha", 1.0f), beta = ctx.node.attr_f("beta", 1.0f);
  const int64_t M = Y.shape[0], N = Y.shape[1], K = A.shape[ta ? 0 : 1];
  if (M * N == 0) return;
  const MatRef<T> a{A.data, ta ? 1 : K, ta ? M : 1};
  MatRef<T> b{B.data, tb ? 1 : N, tb ? K : 1};
  if (tb && N > 1 && ctx.scratch && ctx.scratch_bytes >= B.bytes()) {
    pack_rows(b, K, N, static_cast<T*>(ctx.scratch));
    b = {ctx.scratch, N, 1};
  }
  int64_t c_strides[2] = {0, 0};
  const bool has_c = ctx.has_in(2);
  if (has_c) broadcast_strides(ctx.in(2), Y.shape, c_strides);
  const void* pc = has_c ? ctx.in(2).data : nullptr;
  T* py = Y.as<T>();
  auto task = [&](size_t t) {
    const int64_t m0 = static_cast<int64_t>(t) * kRowBlock, m1 = std::min(M, m0 + kRowBlock);
    std::memset(static_cast<void*>(py + m0 * N), 0, sizeof(T) * (m1 - m0) * N);
    gemm_rows<T>(m0, m1, N, K, a, b, py, N);
    for (int64_t i = m0; i < m1; ++i)
      for (int64_t j = 0; j < N; ++j) {
        T& y = py[i * N + j];
        const T cv = has_c ? load<T>(pc, i * c_strides[0] + j * c_strides[1]) : T{};
        if constexpr (std::is_floating_point_v<T>)
          y = static_cast<T>(alpha) * y + (has_c ? static_cast<T>(beta) * cv : T{});
        else
          y = static_cast<T>(alpha * static_cast<double>(y) + beta * static_cast<double>(cv));
      }
  };
  parallel_for(ctx.pool, static_cast<size_t>((M + kRowBlock - 1) / kRowBlock), task);
}

}  // namespace

void gemm_run(RunContext& c) {
  dispatch_linalg(c.in(0).dtype, [&](auto z) { gemm_typed<decltype(z)>(c); });
}

}  // namespace wrun::ops::linalg
