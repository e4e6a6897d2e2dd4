// Constant and ConstantOfShape: outputs filled from attributes.
#include "ops/tensor/tensor_ops.h"
#include "ops/tensor/tensor_util.h"

namespace wrun::ops::tensor {
namespace {

// The bytes, dtype and shape a Constant node produces; fails for unsupported attributes.
struct ConstValue {
  DType dtype = DType::kUndefined;
  Shape shape;
  const void* data = nullptr;
};

ConstValue constant_value(const graph::Node& node) {
  using K = graph::Attribute::Kind;
  ConstValue v;
  int found = 0;
  for (const auto& [key, a] : node.attrs) {
    if (key == "value" && a.t) {
      v = {a.t->dtype, a.t->shape, a.t->data};
    } else if (key == "value_float") {
      v = {DType::kF32, Shape{}, &a.f};
    } else if (key == "value_floats" && a.kind == K::kFloats) {
      v = {DType::kF32, Shape{static_cast<int64_t>(a.floats.size())}, a.floats.data()};
    } else if (key == "value_int") {
      v = {DType::kI64, Shape{}, &a.i};
    } else if (key == "value_ints" && a.kind == K::kInts) {
      v = {DType::kI64, Shape{static_cast<int64_t>(a.ints.size())}, a.ints.data()};
    } else if (key == "value_string" || key == "value_strings" || key == "sparse_value") {
      fail("Constant '", node.name, "': attribute '", key, "' is not supported");
    } else {
      continue;
    }
    ++found;
  }
  if (found != 1)
    fail("Constant '", node.name, "': needs exactly one value attribute, found ", found);
  if (dtype_size(v.dtype) == 0)
    fail("Constant '", node.name, "': unsupported dtype ", dtype_name(v.dtype));
  return v;
}

}  // namespace

void infer_constant(InferContext& ctx) {
  const ConstValue v = constant_value(ctx.node());
  ctx.set_output(0, v.dtype, SymShape::of(v.shape));
}

void run_constant(RunContext& ctx) {
  const ConstValue v = constant_value(ctx.node);
  TensorView& out = ctx.out(0);
  if (out.bytes() > 0) std::memcpy(out.data, v.data, out.bytes());
}

void infer_constant_of_shape(InferContext& ctx) {
  check_int_input(ctx, 0);
  const graph::Attribute* value = ctx.node().attr("value");
  DType dt = DType::kF32;
  if (value) {
    if (!value->t || value->t->shape.numel() != 1)
      ctx.fail("attribute 'value' must be a one-element tensor");
    dt = value->t->dtype;
    if (dtype_size(dt) == 0) ctx.fail("unsupported dtype ", dtype_name(dt));
  }
  const TensorView* sv = known_input(ctx, 0);
  if (!sv) {
    ctx.set_output(0, dt, unknown_shape(ctx, list_length(ctx, 0)));
    return;
  }
  if (sv->numel() > kMaxRank) ctx.fail("shape has ", sv->numel(), " entries, more than ", kMaxRank);
  SymShape out;
  out.rank = 0;
  for (int64_t i = 0; i < sv->numel(); ++i) {
    const int64_t d = read_int(*sv, i);
    if (d < 0) ctx.fail("invalid shape entry ", d);
    out.push(Dim::known(d));
  }
  ctx.set_output(0, dt, out);
}

void run_constant_of_shape(RunContext& ctx) {
  TensorView& out = ctx.out(0);
  const graph::Attribute* value = ctx.node.attr("value");
  const size_t es = dtype_size(out.dtype);
  const int64_t n = out.numel();
  if (n == 0) return;
  const char* v = value && value->t ? static_cast<const char*>(value->t->data) : nullptr;
  bool zero = true;
  for (size_t b = 0; v && b < es; ++b) zero &= v[b] == 0;
  if (zero) {
    std::memset(out.data, 0, out.bytes());
    return;
  }
  char* p = out.as<char>();
  for (int64_t i = 0; i < n; ++i) std::memcpy(p + i * static_cast<int64_t>(es), v, es);
}

}  // namespace wrun::ops::tensor
