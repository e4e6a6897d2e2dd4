// Tile: the input is copied once into the output's first tile, then each axis (innermost first)
// is replicated by copying the finished slabs, so every output byte is written once.
#include "ops/tensor/strided_copy.h"
#include "ops/tensor/tensor_ops.h"
#include "ops/tensor/tensor_util.h"

namespace wrun::ops::tensor {

void infer_tile(InferContext& ctx) {
  movable_size(ctx, 0);
  check_int_input(ctx, 1);
  const DType dt = ctx.input_dtype(0);
  const SymShape& in = ctx.input_shape(0);
  if (!in.rank_known()) {
    ctx.set_output(0, dt, SymShape{});
    return;
  }
  const TensorView* rv = known_input(ctx, 1);
  if (!rv) {
    ctx.set_output(0, dt, unknown_shape(ctx, in.rank));
    return;
  }
  if (rv->shape.rank != 1 || rv->numel() != in.rank)
    ctx.fail("repeats has shape ", rv->shape.str(), ", expected [", in.rank, "]");
  SymShape out = in;
  for (int i = 0; i < in.rank; ++i) {
    const int64_t k = read_int(*rv, i);
    if (k < 0) ctx.fail("repeats[", i, "] is negative (", k, ")");
    if (in.d[i].is_known())
      out.d[i] = Dim::known(checked_mul(in.d[i].value, k));
    else if (k == 0)
      out.d[i] = Dim::known(0);
    else if (k != 1)
      out.d[i] = ctx.unknown_dim();
  }
  ctx.set_output(0, dt, out);
}

void run_tile(RunContext& ctx) {
  const TensorView& in = ctx.in(0);
  TensorView& out = ctx.out(0);
  const int r = in.shape.rank;
  for (int i = 0; i < r; ++i)
    if (out.shape.d[i] != in.shape.d[i] * read_int(ctx.in(1), i))
      run_fail(ctx, "output shape ", out.shape.str(), " does not match the repeats");
  if (out.numel() == 0) return;
  const size_t es = dtype_size(in.dtype);
  int64_t os[kMaxRank];
  contiguous_strides(out.shape, os);
  strided_copy(in.data, in.strides, out.data, os, in.shape, es);
  char* base = out.as<char>();
  const int64_t ies = static_cast<int64_t>(es);
  // After axes > k are done, out[i_0..i_{k-1}, 0:n_k, ...] is complete for every outer index
  // inside the input's extents; copy it to the other tiles along axis k.
  for (int k = r - 1; k >= 0; --k) {
    const int64_t n = in.shape.d[k], reps = out.shape.d[k] / n;
    if (reps == 1) continue;
    const size_t slab = static_cast<size_t>(n * os[k] * ies);
    Shape outer;
    for (int i = 0; i < k; ++i) outer.push(in.shape.d[i]);
    int64_t idx[kMaxRank] = {};
    do {
      int64_t off = 0;
      for (int i = 0; i < k; ++i) off += idx[i] * os[i];
      char* p = base + off * ies;
      for (int64_t t = 1; t < reps; ++t) std::memcpy(p + t * slab, p, slab);
    } while (next_index(outer, idx));
  }
}

}  // namespace wrun::ops::tensor
