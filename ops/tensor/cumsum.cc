// CumSum: running sums along one axis, forward or reversed, inclusive or exclusive. Floats
// accumulate in double and round once per output; integers wrap.
#include "ops/tensor/elem_util.h"
#include "ops/tensor/strided_copy.h"
#include "ops/tensor/tensor_ops.h"
#include "ops/tensor/tensor_util.h"

namespace wrun::ops::tensor {
namespace {

int cumsum_axis(const TensorView& a, int rank, const graph::Node& node) {
  if (a.numel() != 1) fail("CumSum '", node.name, "': axis must have one element, got ", a.numel());
  return normalize_axis(read_int(a, 0), rank, node);
}

template <class T>
void cumsum(const TensorView& in, TensorView& out, int axis, bool exclusive, bool reverse) {
  using C = elementwise::Compute<T>;
  using Acc = typename Arith<C, double>::type;
  constexpr int64_t es = sizeof(T);
  const int64_t n = in.shape.d[axis], s = in.strides[axis];
  int64_t os[kMaxRank];
  contiguous_strides(out.shape, os);
  const int64_t step = reverse ? -1 : 1;
  Shape outer = in.shape;
  outer.d[axis] = 1;
  const char* src = in.as<const char>();
  char* dst = out.as<char>();
  int64_t idx[kMaxRank] = {};
  do {
    int64_t so = offset_of(in, idx), d = 0;
    for (int i = 0; i < in.shape.rank; ++i) d += idx[i] * os[i];
    if (reverse) {
      so += (n - 1) * s;
      d += (n - 1) * os[axis];
    }
    Acc acc = 0;
    for (int64_t t = 0; t < n; ++t, so += step * s, d += step * os[axis]) {
      const Acc v = static_cast<Acc>(Elem<T>::load(src + so * es));
      if (!exclusive) acc += v;
      Elem<T>::store(dst + d * es, static_cast<C>(acc));
      if (exclusive) acc += v;
    }
  } while (next_index(outer, idx));
}

}  // namespace

void infer_cumsum(InferContext& ctx) {
  const DType dt = ctx.input_dtype(0);
  if (!elementwise::in_mask(elementwise::mask_of(NumericTypes{}), dt))
    ctx.fail("unsupported dtype ", dtype_name(dt));
  check_int_input(ctx, 1);
  const SymShape& as = ctx.input_shape(1);
  if (as.rank > 1 || (as.rank == 1 && !(as.d[0] == Dim::known(1))))
    ctx.fail("axis must be a scalar");
  const SymShape& in = ctx.input_shape(0);
  if (in.rank == 0) ctx.fail("input must have rank >= 1");
  if (const TensorView* a = known_input(ctx, 1); a && in.rank_known())
    cumsum_axis(*a, in.rank, ctx.node());
  ctx.set_output(0, dt, in);
}

void run_cumsum(RunContext& ctx) {
  const TensorView& in = ctx.in(0);
  TensorView& out = ctx.out(0);
  const int axis = cumsum_axis(ctx.in(1), in.shape.rank, ctx.node);
  if (out.numel() == 0) return;
  const bool exclusive = ctx.node.attr_i("exclusive", 0) != 0;
  const bool reverse = ctx.node.attr_i("reverse", 0) != 0;
  elementwise::dispatch(NumericTypes{}, in.dtype,
                        [&](auto z) { cumsum<decltype(z)>(in, out, axis, exclusive, reverse); });
}

}  // namespace wrun::ops::tensor
