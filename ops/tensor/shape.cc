// Shape and Size: read only the input's shape (declared strided so the runtime never copies).
#include "ops/tensor/tensor_ops.h"
#include "ops/tensor/tensor_util.h"

namespace wrun::ops::tensor {
namespace {

// [start, end) of the dims Shape reports (opset 15 start/end, clamped to [0, rank]).
void shape_range(const graph::Node& node, int64_t opset, int rank, int* start, int* end) {
  int64_t s = 0, e = rank;
  if (opset >= 15) {
    s = node.attr_i("start", 0);
    e = node.attr_i("end", rank);
  }
  if (s < 0) s += rank;
  if (e < 0) e += rank;
  *start = static_cast<int>(std::clamp<int64_t>(s, 0, rank));
  *end = static_cast<int>(std::clamp<int64_t>(e, 0, rank));
  if (*end < *start) *end = *start;
}

}  // namespace

void infer_shape(InferContext& ctx) {
  const SymShape& in = ctx.input_shape(0);
  SymShape out;
  out.rank = 1;
  if (!in.rank_known()) {
    out.d[0] = ctx.unknown_dim();
  } else {
    int s, e;
    shape_range(ctx.node(), ctx.opset(), in.rank, &s, &e);
    out.d[0] = Dim::known(e - s);
  }
  ctx.set_output(0, DType::kI64, out);
}

void run_shape(RunContext& ctx) {
  const Shape& in = ctx.in(0).shape;
  int s, e;
  shape_range(ctx.node, ctx.opset, in.rank, &s, &e);
  int64_t* out = ctx.out(0).as<int64_t>();
  for (int i = s; i < e; ++i) out[i - s] = in.d[i];
}

void infer_size(InferContext& ctx) { ctx.set_output(0, DType::kI64, SymShape::scalar()); }

void run_size(RunContext& ctx) {
  const int64_t n = ctx.in(0).numel();
  std::memcpy(ctx.out(0).data, &n, sizeof n);
}

}  // namespace wrun::ops::tensor
