// Gather: for each index, one strided copy of the input with the axis fixed at that index.
#include "ops/tensor/strided_copy.h"
#include "ops/tensor/tensor_ops.h"
#include "ops/tensor/tensor_util.h"

namespace wrun::ops::tensor {
namespace {

// Index element at a multi-index of a strided int32/int64 tensor.
int64_t index_at(const TensorView& t, const int64_t* idx) {
  const char* p =
      t.as<const char>() + offset_of(t, idx) * static_cast<int64_t>(dtype_size(t.dtype));
  if (t.dtype == DType::kI64) {
    int64_t v;
    std::memcpy(&v, p, 8);
    return v;
  }
  int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

}  // namespace

void infer_gather(InferContext& ctx) {
  movable_size(ctx, 0);
  const DType dt = ctx.input_dtype(0);
  const DType it = ctx.input_dtype(1);
  if (it != DType::kI64 && it != DType::kI32)
    ctx.fail("indices must be int32 or int64, got ", dtype_name(it));
  const SymShape& data = ctx.input_shape(0);
  const SymShape& ind = ctx.input_shape(1);
  if (!data.rank_known() || !ind.rank_known()) {
    ctx.set_output(0, dt, SymShape{});
    return;
  }
  if (data.rank == 0) ctx.fail("data must have rank >= 1");
  const int axis = normalize_axis(ctx.node().attr_i("axis", 0), data.rank, ctx.node());
  if (data.rank - 1 + ind.rank > kMaxRank)
    ctx.fail("output rank ", data.rank - 1 + ind.rank, " exceeds ", kMaxRank);
  SymShape out;
  out.rank = 0;
  for (int i = 0; i < axis; ++i) out.push(data.d[i]);
  for (int i = 0; i < ind.rank; ++i) out.push(ind.d[i]);
  for (int i = axis + 1; i < data.rank; ++i) out.push(data.d[i]);
  // Known indices are checked here so that constant folding reports bad models early.
  const TensorView* iv = known_input(ctx, 1);
  if (iv && data.d[axis].is_known()) {
    const int64_t n = data.d[axis].value;
    int64_t idx[kMaxRank] = {};
    if (iv->numel() > 0) do {
        const int64_t j = index_at(*iv, idx);
        if (j < -n || j >= n)
          ctx.fail("index ", j, " out of range for axis ", axis, " of extent ", n);
      } while (next_index(iv->shape, idx));
  }
  ctx.set_output(0, dt, out);
}

void run_gather(RunContext& ctx) {
  const TensorView& data = ctx.in(0);
  const TensorView& ind = ctx.in(1);
  TensorView& out = ctx.out(0);
  const int axis = normalize_axis(ctx.node.attr_i("axis", 0), data.shape.rank, ctx.node);
  const size_t es = dtype_size(data.dtype);
  const int64_t n = data.shape.d[axis];
  int64_t os[kMaxRank];
  contiguous_strides(out.shape, os);
  // One copy per index covers data's dims except the axis: the dims before it land at the output
  // strides of the leading dims, those after it at the trailing ones.
  Shape box;
  int64_t ss[kMaxRank], ds[kMaxRank];
  int64_t inner = 1;
  for (int i = 0; i < data.shape.rank; ++i) {
    if (i == axis) continue;
    const int o = i < axis ? i : i - 1 + ind.shape.rank;
    ss[box.rank] = data.strides[i];
    ds[box.rank] = os[o];
    box.d[box.rank++] = data.shape.d[i];
    if (i > axis) inner *= data.shape.d[i];
  }
  if (out.numel() == 0) return;
  int64_t idx[kMaxRank] = {};
  int64_t p = 0;
  do {
    int64_t j = index_at(ind, idx);
    if (j < -n || j >= n)
      run_fail(ctx, "index ", j, " out of range for axis ", axis, " of extent ", n);
    if (j < 0) j += n;
    strided_copy(data.as<const char>() + j * data.strides[axis] * static_cast<int64_t>(es), ss,
                 out.as<char>() + p * inner * static_cast<int64_t>(es), ds, box, es);
    ++p;
  } while (next_index(ind.shape, idx));
}

}  // namespace wrun::ops::tensor
