// ScatterElements (and the old Scatter) and ScatterND: the output starts as a copy of data, then
// the updates are written, or combined with a reduction, in index order.
#include <algorithm>

#include "ops/tensor/elem_util.h"
#include "ops/tensor/strided_copy.h"
#include "ops/tensor/tensor_ops.h"
#include "ops/tensor/tensor_util.h"

namespace wrun::ops::tensor {
namespace {

enum class Reduction { kNone, kAdd, kMul, kMax, kMin };

// The attribute exists from opset 16 (add, mul) and gained max and min at 18.
Reduction reduction_of(const graph::Node& node, int64_t opset) {
  if (opset < 16) return Reduction::kNone;
  const std::string_view r = node.attr_s("reduction", "none");
  if (r == "none") return Reduction::kNone;
  if (r == "add") return Reduction::kAdd;
  if (r == "mul") return Reduction::kMul;
  if (r == "max" && opset >= 18) return Reduction::kMax;
  if (r == "min" && opset >= 18) return Reduction::kMin;
  fail(node.op_type, " '", node.name, "': unsupported reduction '", r, "' at opset ", opset);
}

// d = d (op) s for one element of type T; integers wrap instead of overflowing.
template <class T>
void combine(Reduction r, char* d, const char* s) {
  using C = elementwise::Compute<T>;
  using A = typename Arith<C, C>::type;
  const C a = Elem<T>::load(d), b = Elem<T>::load(s);
  C v = a;
  switch (r) {
    case Reduction::kAdd:
      v = static_cast<C>(static_cast<A>(a) + static_cast<A>(b));
      break;
    case Reduction::kMul:
      v = static_cast<C>(static_cast<A>(a) * static_cast<A>(b));
      break;
    case Reduction::kMax:
      v = std::max(a, b);
      break;
    case Reduction::kMin:
      v = std::min(a, b);
      break;
    case Reduction::kNone:
      v = b;
      break;
  }
  Elem<T>::store(d, v);
}

// Calls f(apply) where apply(dst, src) writes or combines one element.
template <class F>
void with_combiner(Reduction r, DType dt, F&& f) {
  if (r == Reduction::kNone) {
    const size_t es = dtype_size(dt);
    return f([es](char* d, const char* s) { std::memcpy(d, s, es); });
  }
  elementwise::dispatch(NumericTypes{}, dt, [&](auto z) {
    using T = decltype(z);
    f([r](char* d, const char* s) { combine<T>(r, d, s); });
  });
}

std::string supports_reduction(const SupportQuery& q) {
  const Reduction r = reduction_of(q.node, q.opset);
  if (r != Reduction::kNone && !q.in_dtypes.empty() &&
      !elementwise::in_mask(elementwise::mask_of(NumericTypes{}), q.in_dtypes[0]))
    return "reduction '" + std::string(q.node.attr_s("reduction", "")) + "' on " +
           std::string(dtype_name(q.in_dtypes[0]));
  return "";
}

void copy_data(const TensorView& data, TensorView& out) {
  if (out.numel() > 0) copy_view(data, out.data);
}

}  // namespace

std::string supports_scatter(const SupportQuery& q) { return supports_reduction(q); }

void infer_scatter_elements(InferContext& ctx) {
  movable_size(ctx, 0);
  reduction_of(ctx.node(), ctx.opset());
  check_elements_indices(ctx, 1);
  if (ctx.input_dtype(2) != ctx.input_dtype(0))
    ctx.fail("updates have dtype ", dtype_name(ctx.input_dtype(2)), " but data has ",
             dtype_name(ctx.input_dtype(0)));
  const SymShape& ind = ctx.input_shape(1);
  const SymShape& upd = ctx.input_shape(2);
  if (ind.rank_known() && upd.rank_known()) {
    bool same = ind.rank == upd.rank;
    for (int i = 0; same && i < ind.rank; ++i)
      same = !(ind.d[i].is_known() && upd.d[i].is_known()) || ind.d[i] == upd.d[i];
    if (!same) ctx.fail("updates must have the shape of indices");
  }
  ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
}

void run_scatter_elements(RunContext& ctx) {
  const TensorView& data = ctx.in(0);
  const TensorView& ind = ctx.in(1);
  const TensorView& upd = ctx.in(2);
  TensorView& out = ctx.out(0);
  const int axis = normalize_axis(ctx.node.attr_i("axis", 0), data.shape.rank, ctx.node);
  const int64_t n = data.shape.d[axis];
  const int64_t es = static_cast<int64_t>(dtype_size(data.dtype));
  copy_data(data, out);
  if (ind.numel() == 0) return;
  int64_t os[kMaxRank];
  contiguous_strides(out.shape, os);
  char* dst = out.as<char>();
  const char* src = upd.as<const char>();
  with_combiner(reduction_of(ctx.node, ctx.opset), data.dtype, [&](auto apply) {
    int64_t idx[kMaxRank] = {};
    do {
      const int64_t raw = load_index(ind, offset_of(ind, idx));
      const int64_t j = wrap_index(raw, n);
      if (j < 0) run_fail(ctx, "index ", raw, " out of range for axis ", axis, " of extent ", n);
      int64_t off = (j - idx[axis]) * os[axis];
      for (int i = 0; i < out.shape.rank; ++i) off += idx[i] * os[i];
      apply(dst + off * es, src + offset_of(upd, idx) * es);
    } while (next_index(ind.shape, idx));
  });
}

void infer_scatter_nd(InferContext& ctx) {
  movable_size(ctx, 0);
  reduction_of(ctx.node(), ctx.opset());
  const DType dt = ctx.input_dtype(0);
  if (!is_index_dtype(ctx.input_dtype(1)))
    ctx.fail("indices must be int64, got ", dtype_name(ctx.input_dtype(1)));
  if (ctx.input_dtype(2) != dt)
    ctx.fail("updates have dtype ", dtype_name(ctx.input_dtype(2)), " but data has ",
             dtype_name(dt));
  const SymShape& data = ctx.input_shape(0);
  const SymShape& ind = ctx.input_shape(1);
  const SymShape& upd = ctx.input_shape(2);
  if (data.rank_known() && ind.rank_known() && upd.rank_known()) {
    if (data.rank < 1 || ind.rank < 1) ctx.fail("data and indices must have rank >= 1");
    const Dim kd = ind.d[ind.rank - 1];
    if (kd.is_known()) {
      const int64_t k = kd.value;
      if (k < 1 || k > data.rank)
        ctx.fail("index tuples have ", k, " entries, expected 1 to ", data.rank);
      // updates = indices.shape[:-1] + data.shape[k:]
      const int64_t r = ind.rank - 1 + data.rank - k;
      bool ok = upd.rank == r;
      for (int i = 0; ok && i < r; ++i) {
        const Dim want = i < ind.rank - 1 ? ind.d[i] : data.d[k + i - (ind.rank - 1)];
        ok = !(want.is_known() && upd.d[i].is_known()) || want == upd.d[i];
      }
      if (!ok) ctx.fail("updates must have shape indices.shape[:-1] + data.shape[", k, ":]");
    }
  }
  ctx.set_output(0, dt, data);
}

void run_scatter_nd(RunContext& ctx) {
  const TensorView& data = ctx.in(0);
  const TensorView& ind = ctx.in(1);
  const TensorView& upd = ctx.in(2);
  TensorView& out = ctx.out(0);
  const int q = ind.shape.rank;
  const int k = static_cast<int>(ind.shape.d[q - 1]);
  const int64_t es = static_cast<int64_t>(dtype_size(data.dtype));
  copy_data(data, out);
  int64_t os[kMaxRank];
  contiguous_strides(out.shape, os);
  // The slice each tuple updates: out's dims from k on, read from updates' trailing dims.
  Shape slice;
  int64_t ds[kMaxRank], us[kMaxRank];
  for (int i = k; i < out.shape.rank; ++i) {
    ds[slice.rank] = os[i];
    us[slice.rank] = upd.strides[q - 1 + i - k];
    slice.d[slice.rank++] = out.shape.d[i];
  }
  Shape tuples;
  for (int i = 0; i < q - 1; ++i) tuples.push(ind.shape.d[i]);
  if (tuples.numel() == 0 || slice.numel() == 0) return;
  char* dst = out.as<char>();
  const char* src = upd.as<const char>();
  const Reduction red = reduction_of(ctx.node, ctx.opset);
  with_combiner(red, data.dtype, [&](auto apply) {
    int64_t idx[kMaxRank] = {};
    do {
      int64_t off = 0, ioff = 0, uoff = 0;
      for (int i = 0; i < q - 1; ++i) {
        ioff += idx[i] * ind.strides[i];
        uoff += idx[i] * upd.strides[i];
      }
      for (int t = 0; t < k; ++t) {
        const int64_t n = out.shape.d[t];
        const int64_t raw = load_index(ind, ioff + t * ind.strides[q - 1]);
        const int64_t j = wrap_index(raw, n);
        if (j < 0) run_fail(ctx, "index ", raw, " out of range for axis ", t, " of extent ", n);
        off += j * os[t];
      }
      if (red == Reduction::kNone) {
        strided_copy(src + uoff * es, us, dst + off * es, ds, slice, static_cast<size_t>(es));
      } else {
        int64_t sidx[kMaxRank] = {};
        do {
          int64_t so = uoff, d = off;
          for (int i = 0; i < slice.rank; ++i) {
            so += sidx[i] * us[i];
            d += sidx[i] * ds[i];
          }
          apply(dst + d * es, src + so * es);
        } while (next_index(slice, sidx));
      }
    } while (next_index(tuples, idx));
  });
}

}  // namespace wrun::ops::tensor
