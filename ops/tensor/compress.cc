// Compress: keeps the slices along an axis (or the elements of the flattened input) whose
// condition is true. The output extent depends on the condition's values: inference counts them
// when known (always at run time) and returns an unknown extent otherwise.
#include "ops/tensor/strided_copy.h"
#include "ops/tensor/tensor_ops.h"
#include "ops/tensor/tensor_util.h"

namespace wrun::ops::tensor {
namespace {

bool cond_at(const TensorView& c, int64_t i) {
  return c.as<const uint8_t>()[c.shape.rank == 0 ? 0 : i * c.strides[0]] != 0;
}

// Number of true entries among the first `extent`; a true entry past the extent is an error
// (numpy.compress raises too), false ones are ignored.
template <class Fail>
int64_t count_selected(const TensorView& c, int64_t extent, Fail&& fail_with) {
  int64_t n = 0;
  for (int64_t i = 0; i < c.numel(); ++i) {
    if (!cond_at(c, i)) continue;
    if (i >= extent) fail_with(i, extent);
    ++n;
  }
  return n;
}

}  // namespace

void infer_compress(InferContext& ctx) {
  movable_size(ctx, 0);
  const DType dt = ctx.input_dtype(0);
  if (ctx.input_dtype(1) != DType::kBool)
    ctx.fail("condition must be bool, got ", dtype_name(ctx.input_dtype(1)));
  const SymShape& cs = ctx.input_shape(1);
  if (cs.rank_known() && cs.rank != 1) ctx.fail("condition must have rank 1, got ", cs.rank);
  const SymShape& in = ctx.input_shape(0);
  if (!in.rank_known()) {
    ctx.set_output(0, dt, SymShape{});
    return;
  }
  if (in.rank < 1) ctx.fail("input must have rank >= 1");
  const bool has_axis = ctx.node().attr("axis") != nullptr;
  const int axis = has_axis ? normalize_axis(ctx.node().attr_i("axis", 0), in.rank, ctx.node()) : 0;
  SymShape out;
  if (has_axis) {
    out = in;
  } else {
    out.rank = 1;
    out.d[0] = dim_product(ctx, in.d, in.rank);
  }
  const Dim extent = out.d[has_axis ? axis : 0];
  const TensorView* cv = known_input(ctx, 1);
  if (cv && extent.is_known()) {
    out.d[has_axis ? axis : 0] =
        Dim::known(count_selected(*cv, extent.value, [&](int64_t i, int64_t e) {
          ctx.fail("condition is true at ", i, ", beyond the extent ", e);
        }));
  } else {
    out.d[has_axis ? axis : 0] = ctx.unknown_dim();
  }
  ctx.set_output(0, dt, out);
}

void run_compress(RunContext& ctx) {
  const TensorView& in = ctx.in(0);
  const TensorView& cond = ctx.in(1);
  TensorView& out = ctx.out(0);
  const size_t es = dtype_size(in.dtype);
  const int64_t ies = static_cast<int64_t>(es);
  const bool has_axis = ctx.node.attr("axis") != nullptr;
  const int r = in.shape.rank;
  const int axis = has_axis ? normalize_axis(ctx.node.attr_i("axis", 0), r, ctx.node) : 0;
  const int64_t extent = has_axis ? in.shape.d[axis] : in.numel();
  const int64_t n = count_selected(cond, extent, [&](int64_t i, int64_t e) {
    run_fail(ctx, "condition is true at ", i, ", beyond the extent ", e);
  });
  if (out.shape.d[has_axis ? axis : 0] != n)
    run_fail(ctx, "output shape ", out.shape.str(), " does not match ", n, " selected");
  if (out.numel() == 0) return;
  const char* src = in.as<const char>();
  char* dst = out.as<char>();
  const int64_t len = std::min(cond.numel(), extent);
  if (!has_axis) {
    int64_t idx[kMaxRank] = {};
    for (int64_t f = 0; f < len; ++f, next_index(in.shape, idx))
      if (cond_at(cond, f)) {
        std::memcpy(dst, src + offset_of(in, idx) * ies, es);
        dst += ies;
      }
    return;
  }
  // One strided copy per selected slice, as Gather does.
  int64_t os[kMaxRank], ss[kMaxRank], ds[kMaxRank];
  contiguous_strides(out.shape, os);
  Shape box;
  for (int i = 0; i < r; ++i) {
    if (i == axis) continue;
    ss[box.rank] = in.strides[i];
    ds[box.rank] = os[i];
    box.d[box.rank++] = in.shape.d[i];
  }
  int64_t t = 0;
  for (int64_t j = 0; j < len; ++j)
    if (cond_at(cond, j))
      strided_copy(src + j * in.strides[axis] * ies, ss, dst + t++ * os[axis] * ies, ds, box, es);
}

}  // namespace wrun::ops::tensor
