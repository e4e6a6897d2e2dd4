// GatherND: each index tuple (the last axis of indices) selects a slice of data after the batch
// dims; the slices are copied out in order, one strided copy each.
#include "ops/tensor/elem_util.h"
#include "ops/tensor/strided_copy.h"
#include "ops/tensor/tensor_ops.h"
#include "ops/tensor/tensor_util.h"

namespace wrun::ops::tensor {

void infer_gather_nd(InferContext& ctx) {
  movable_size(ctx, 0);
  const DType dt = ctx.input_dtype(0);
  if (!is_index_dtype(ctx.input_dtype(1)))
    ctx.fail("indices must be int64, got ", dtype_name(ctx.input_dtype(1)));
  const SymShape& data = ctx.input_shape(0);
  const SymShape& ind = ctx.input_shape(1);
  const int64_t b = ctx.opset() >= 12 ? ctx.node().attr_i("batch_dims", 0) : 0;
  if (!data.rank_known() || !ind.rank_known()) {
    ctx.set_output(0, dt, SymShape{});
    return;
  }
  if (data.rank < 1 || ind.rank < 1) ctx.fail("data and indices must have rank >= 1");
  if (!ind.d[ind.rank - 1].is_known()) {
    ctx.set_output(0, dt, SymShape{});
    return;
  }
  if (b < 0 || b >= std::min(data.rank, ind.rank))
    ctx.fail("batch_dims ", b, " must be in [0, ", std::min(data.rank, ind.rank), ")");
  const int64_t k = ind.d[ind.rank - 1].value;
  if (k < 1 || k > data.rank - b)
    ctx.fail("index tuples have ", k, " entries, expected 1 to ", data.rank - b);
  for (int i = 0; i < b; ++i)
    if (data.d[i].is_known() && ind.d[i].is_known() && data.d[i].value != ind.d[i].value)
      ctx.fail("batch dim ", i, " is ", ind.d[i].value, " in indices but ", data.d[i].value,
               " in data");
  const int64_t r = ind.rank - 1 + data.rank - b - k;
  if (r > kMaxRank) ctx.fail("output rank ", r, " exceeds ", kMaxRank);
  SymShape out;
  out.rank = 0;
  for (int i = 0; i < ind.rank - 1; ++i) out.push(ind.d[i]);
  for (int64_t i = b + k; i < data.rank; ++i) out.push(data.d[i]);
  ctx.set_output(0, dt, out);
}

void run_gather_nd(RunContext& ctx) {
  const TensorView& data = ctx.in(0);
  const TensorView& ind = ctx.in(1);
  TensorView& out = ctx.out(0);
  const int b = ctx.opset >= 12 ? static_cast<int>(ctx.node.attr_i("batch_dims", 0)) : 0;
  const int q = ind.shape.rank;
  const int k = static_cast<int>(ind.shape.d[q - 1]);
  const size_t es = dtype_size(data.dtype);
  const int64_t ies = static_cast<int64_t>(es);
  if (out.numel() == 0) return;
  // The slice: data's dims after the batch dims and the indexed ones.
  Shape slice;
  int64_t ss[kMaxRank], ds[kMaxRank];
  for (int i = b + k; i < data.shape.rank; ++i) {
    ss[slice.rank] = data.strides[i];
    slice.d[slice.rank++] = data.shape.d[i];
  }
  contiguous_strides(slice, ds);
  const int64_t slice_n = slice.numel();
  Shape tuples;
  for (int i = 0; i < q - 1; ++i) tuples.push(ind.shape.d[i]);
  int64_t idx[kMaxRank] = {};
  char* dst = out.as<char>();
  do {
    int64_t off = 0, ioff = 0;
    for (int i = 0; i < q - 1; ++i) ioff += idx[i] * ind.strides[i];
    for (int i = 0; i < b; ++i) off += idx[i] * data.strides[i];
    for (int t = 0; t < k; ++t) {
      const int64_t n = data.shape.d[b + t];
      const int64_t raw = load_index(ind, ioff + t * ind.strides[q - 1]);
      const int64_t j = wrap_index(raw, n);
      if (j < 0) run_fail(ctx, "index ", raw, " out of range for axis ", b + t, " of extent ", n);
      off += j * data.strides[b + t];
    }
    strided_copy(data.as<const char>() + off * ies, ss, dst, ds, slice, es);
    dst += slice_n * ies;
  } while (next_index(tuples, idx));
}

}  // namespace wrun::ops::tensor
