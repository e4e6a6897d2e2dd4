// LayerNormalization (opset 17): normalises over the dims from `axis` on; statistics in double.
#include <cmath>

#include "ops/common.h"
#include "ops/linalg/load.h"
#include "ops/linalg/parallel.h"
#include "ops/normalization/normalization.h"

namespace wrun::ops::normalization {

void layer_norm_infer(InferContext& c) {
  const DType dt = c.input_dtype(0);
  if (dt != DType::kF32 && dt != DType::kF64) c.fail("unsupported dtype ", dtype_name(dt));
  if (c.input_dtype(1) != dt || (c.has_input(2) && c.input_dtype(2) != dt))
    c.fail("Scale and B must have the dtype of X");
  const int64_t stash = c.node().attr_i("stash_type", 1);
  if (stash != 1) c.fail("stash_type ", stash, " is not supported (only 1, float32)");
  const SymShape& x = c.input_shape(0);
  c.set_output(0, dt, x);
  SymShape stat = x;
  if (x.rank_known()) {
    const int axis = normalize_axis(c.node().attr_i("axis", -1), x.rank, c.node());
    for (int i = axis; i < x.rank; ++i) stat.d[i] = Dim::known(1);
    for (int k = 1; k <= 2 && c.has_input(k); ++k) {
      const SymShape& p = c.input_shape(k);
      if (!p.rank_known()) continue;
      if (p.rank > x.rank - axis) c.fail("input ", k, " has rank ", p.rank, " > normalised rank");
      for (int i = 0; i < p.rank; ++i) {
        const Dim d = p[i], o = x[x.rank - p.rank + i];
        if (d.is_known() && d.value != 1 && o.is_known() && o.value != d.value)
          c.fail("input ", k, " does not broadcast to the normalised shape");
      }
    }
  }
  c.set_output(1, DType::kF32, stat);
  c.set_output(2, DType::kF32, stat);
}

namespace {

// Offset of element j (row-major over the normalised dims `inner`) in a parameter broadcast to it.
inline int64_t param_offset(int64_t j, const Shape& inner, const int64_t* strides) {
  int64_t off = 0;
  for (int i = inner.rank - 1; i >= 0; --i) {
    off += (j % inner.d[i]) * strides[i];
    j /= inner.d[i];
  }
  return off;
}

template <class T>
void layer_norm_typed(RunContext& ctx) {
  const TensorView& X = ctx.in(0);
  const int axis = normalize_axis(ctx.node.attr_i("axis", -1), X.shape.rank, ctx.node);
  const double eps = ctx.node.attr_f("epsilon", 1e-5f);
  Shape inner;
  int64_t outer = 1;
  for (int i = 0; i < X.shape.rank; ++i) {
    if (i < axis)
      outer *= X.shape[i];
    else
      inner.push(X.shape[i]);
  }
  const int64_t n = inner.numel();
  const TensorView& S = ctx.in(1);
  const bool has_b = ctx.has_in(2);
  int64_t s_str[kMaxRank] = {}, b_str[kMaxRank] = {};
  broadcast_strides(S, inner, s_str);
  if (has_b) broadcast_strides(ctx.in(2), inner, b_str);
  const bool s_flat = S.numel() == n, b_flat = !has_b || ctx.in(2).numel() == n;
  // X, Scale and B may be misaligned (mapped weights): read them with load<T>.
  const void* x = X.data;
  const void* sc = S.data;
  const void* bi = has_b ? ctx.in(2).data : nullptr;
  T* y = ctx.out(0).as<T>();
  float* mean_out = ctx.has_out(1) ? ctx.out(1).as<float>() : nullptr;
  float* inv_out = ctx.has_out(2) ? ctx.out(2).as<float>() : nullptr;
  auto row = [&](size_t t) {
    const int64_t o = static_cast<int64_t>(t);
    const char* xr = elem_ptr<T>(x, o * n);
    T* yr = y + o * n;
    double mean = 0, var = 0;
    for (int64_t j = 0; j < n; ++j) mean += load<T>(xr, j);
    mean /= static_cast<double>(n);
    for (int64_t j = 0; j < n; ++j) {
      const double d = load<T>(xr, j) - mean;
      var += d * d;
    }
    var /= static_cast<double>(n);
    const double inv = 1.0 / std::sqrt(var + eps);
    for (int64_t j = 0; j < n; ++j) {
      const double s = load<T>(sc, s_flat ? j : param_offset(j, inner, s_str));
      const double b = bi ? load<T>(bi, b_flat ? j : param_offset(j, inner, b_str)) : 0.0;
      yr[j] = static_cast<T>((load<T>(xr, j) - mean) * inv * s + b);
    }
    if (mean_out) mean_out[o] = static_cast<float>(mean);
    if (inv_out) inv_out[o] = static_cast<float>(inv);
  };
  parallel_for(ctx.pool, static_cast<size_t>(outer), row);
}

}  // namespace

void layer_norm_run(RunContext& c) {
  if (c.in(0).dtype == DType::kF32)
    layer_norm_typed<float>(c);
  else
    layer_norm_typed<double>(c);
}

}  // namespace wrun::ops::normalization
