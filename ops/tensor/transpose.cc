// Transpose: a strided copy with permuted source strides.
#include "ops/tensor/strided_copy.h"
#include "ops/tensor/tensor_ops.h"
#include "ops/tensor/tensor_util.h"

namespace wrun::ops::tensor {
namespace {

// perm[i] (default: reversed axes). Fails unless perm is a permutation of [0, rank).
void get_perm(const graph::Node& node, int rank, int* perm) {
  const std::vector<int64_t>* p = node.attr_ints("perm");
  if (!p) {
    for (int i = 0; i < rank; ++i) perm[i] = rank - 1 - i;
    return;
  }
  if (static_cast<int>(p->size()) != rank)
    fail("Transpose '", node.name, "': perm has ", p->size(), " entries but input has rank ", rank);
  bool seen[kMaxRank] = {};
  for (int i = 0; i < rank; ++i) {
    const int64_t a = (*p)[i];
    if (a < 0 || a >= rank || seen[a])
      fail("Transpose '", node.name, "': perm is not a permutation of [0, ", rank, ")");
    seen[a] = true;
    perm[i] = static_cast<int>(a);
  }
}

}  // namespace

void infer_transpose(InferContext& ctx) {
  movable_size(ctx, 0);
  const SymShape& in = ctx.input_shape(0);
  const DType dt = ctx.input_dtype(0);
  if (!in.rank_known()) {
    const std::vector<int64_t>* p = ctx.node().attr_ints("perm");
    ctx.set_output(0, dt, p ? unknown_shape(ctx, static_cast<int64_t>(p->size())) : SymShape{});
    return;
  }
  int perm[kMaxRank];
  get_perm(ctx.node(), in.rank, perm);
  SymShape out;
  out.rank = in.rank;
  for (int i = 0; i < in.rank; ++i) out.d[i] = in.d[perm[i]];
  ctx.set_output(0, dt, out);
}

void run_transpose(RunContext& ctx) {
  const TensorView& in = ctx.in(0);
  TensorView& out = ctx.out(0);
  int perm[kMaxRank];
  get_perm(ctx.node, in.shape.rank, perm);
  int64_t ss[kMaxRank], ds[kMaxRank];
  for (int i = 0; i < in.shape.rank; ++i) ss[i] = in.strides[perm[i]];
  contiguous_strides(out.shape, ds);
  strided_copy(in.data, ss, out.data, ds, out.shape, dtype_size(in.dtype));
}

}  // namespace wrun::ops::tensor
