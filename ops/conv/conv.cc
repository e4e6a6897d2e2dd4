// Conv (N-D, groups, dilations, strides, pads, auto_pad, optional bias) as im2col + the shared
// reference GEMM. Pointwise convolutions read the input directly.
#include <cstring>
#include <string_view>

#include "ops/common.h"
#include "ops/conv/conv_attrs.h"
#include "ops/conv/im2col.h"
#include "ops/linalg/gemm_core.h"
#include "ops/linalg/load.h"
#include "ops/linalg/parallel.h"
#include "ops/registry.h"

namespace wrun::ops {
namespace {

using linalg::gemm_rows;
using linalg::kRowBlock;
using linalg::MatRef;

void conv_infer(InferContext& c) {
  const DType dt = c.input_dtype(0);
  if (dt != DType::kF32 && dt != DType::kF64) c.fail("unsupported dtype ", dtype_name(dt));
  if (c.input_dtype(1) != dt || (c.has_input(2) && c.input_dtype(2) != dt))
    c.fail("input dtypes differ");
  const SymShape& x = c.input_shape(0);
  const SymShape& w = c.input_shape(1);
  if (!x.rank_known() && !w.rank_known()) return c.set_output(0, dt, SymShape{});
  const int rank = x.rank_known() ? x.rank : w.rank;
  if (rank < 3) c.fail("input must have rank >= 3, got ", rank);
  if (w.rank_known() && w.rank != rank) c.fail("weights rank ", w.rank, " != input rank ", rank);
  const int nsp = rank - 2;
  int64_t wk[kMaxRank] = {};
  for (int i = 0; i < nsp; ++i) wk[i] = w.rank_known() && w[i + 2].is_known() ? w[i + 2].value : -1;
  const ConvAttrs a = parse_conv_attrs(c.node(), nsp, wk);
  if (x.rank_known() && w.rank_known() && x[1].is_known() && w[1].is_known() &&
      x[1].value != w[1].value * a.group)
    c.fail("input has ", x[1].value, " channels, weights expect ", w[1].value * a.group);
  if (w.rank_known() && w[0].is_known() && w[0].value % a.group != 0)
    c.fail("output channels ", w[0].value, " not divisible by group ", a.group);
  if (c.has_input(2)) {
    const SymShape& b = c.input_shape(2);
    if (b.rank_known() && (b.rank != 1 || (b[0].is_known() && w.rank_known() && w[0].is_known() &&
                                           b[0].value != w[0].value)))
      c.fail("bias must have shape [M]");
  }
  SymShape out;
  out.rank = rank;
  out.d[0] = x.rank_known() ? x[0] : c.unknown_dim();
  out.d[1] = w.rank_known() ? w[0] : c.unknown_dim();
  for (int i = 0; i < nsp; ++i) {
    const Dim in = x.rank_known() ? x[i + 2] : c.unknown_dim();
    if (in.is_known() && a.kernel[i] >= 0) {
      out.d[i + 2] = Dim::known(a.out_extent(i, in.value, nullptr));
    } else {
      out.d[i + 2] = a.preserves_extent(i) ? in : c.unknown_dim();
    }
  }
  c.set_output(0, dt, out);
}

void conv_prepare(PrepareContext& c) {
  const Shape& x = c.inputs[0].shape;
  const Shape& w = c.inputs[1].shape;
  const Shape& y = c.outputs[0].shape;
  if (x.rank < 3 || w.rank != x.rank || y.rank != x.rank) return;
  const ConvGeom g = make_conv_geom(c.node, x, w, y);
  if (!g.pointwise)
    c.scratch_bytes = static_cast<size_t>(g.CK * g.S) * dtype_size(c.inputs[0].dtype);
}

template <class T>
void conv_typed(RunContext& ctx) {
  const TensorView& X = ctx.in(0);
  const TensorView& W = ctx.in(1);
  TensorView& Y = ctx.out(0);
  const ConvGeom g = make_conv_geom(ctx.node, X.shape, W.shape, Y.shape);
  if (Y.numel() == 0) return;
  const size_t need = static_cast<size_t>(g.CK * g.S) * sizeof(T);
  if (!g.pointwise && (!ctx.scratch || ctx.scratch_bytes < need))
    conv_fail(ctx.node, "scratch of ", ctx.scratch_bytes, " bytes < ", need, " needed");
  const void* bias = ctx.has_in(2) ? ctx.in(2).data : nullptr;
  T* col = static_cast<T*>(ctx.scratch);
  for (int64_t n = 0; n < g.N; ++n)
    for (int64_t grp = 0; grp < g.G; ++grp) {
      const char* xg = elem_ptr<T>(X.data, (n * g.C + grp * g.Cg) * g.inS);
      if (!g.pointwise) {
        auto fill = [&](size_t r) {
          im2col_row<T>(
              xg, g, static_cast<int64_t>(r), col + r * g.S, [](T v) { return v; }, T{});
        };
        parallel_for(ctx.pool, static_cast<size_t>(g.CK), fill);
      }
      const MatRef<T> w{elem_ptr<T>(W.data, grp * g.OCg * g.CK), g.CK, 1};
      const MatRef<T> b{g.pointwise ? static_cast<const void*>(xg) : col, g.S, 1};
      T* yg = Y.as<T>() + (n * g.M + grp * g.OCg) * g.S;
      auto task = [&](size_t t) {
        const int64_t m0 = static_cast<int64_t>(t) * kRowBlock;
        const int64_t m1 = std::min(g.OCg, m0 + kRowBlock);
        for (int64_t m = m0; m < m1; ++m)
          std::fill(yg + m * g.S, yg + (m + 1) * g.S, bias ? load<T>(bias, grp * g.OCg + m) : T{});
        gemm_rows<T>(m0, m1, g.S, g.CK, w, b, yg, g.S);
      };
      parallel_for(ctx.pool, static_cast<size_t>((g.OCg + kRowBlock - 1) / kRowBlock), task);
    }
}

void conv_run(RunContext& c) {
  if (c.in(0).dtype == DType::kF32)
    conv_typed<float>(c);
  else
    conv_typed<double>(c);
}

const KernelImpl kConv[] = {{"reference", nullptr, conv_prepare, conv_run, kNone}};

const OpSchema kSchemas[] = {
    // Versions 1 and 11 differ only in documentation and types: one semantic range.
    {"Conv", "", 1, kLatestOpset, conv_infer, kConv, "float32/float64"},
};

}  // namespace

std::span<const OpSchema> conv_schemas() { return kSchemas; }

}  // namespace wrun::ops
