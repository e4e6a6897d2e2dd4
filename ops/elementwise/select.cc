// Where (select by a bool condition) and Cast (dtype conversion).
#include "ops/elementwise/broadcast_map.h"
#include "ops/elementwise/elementwise.h"
#include "ops/elementwise/scalar_math.h"

namespace wrun::ops::elementwise {
namespace {

void infer_where(InferContext& c) {
  if (c.num_inputs() != 3) c.fail("expects 3 inputs, got ", c.num_inputs());
  check_input(c, 0, mask_of(Types<bool>{}));
  check_input(c, 1, mask_of(AllTypes{}));
  check_input(c, 2, mask_of(AllTypes{}));
  if (c.input_dtype(1) != c.input_dtype(2))
    c.fail("input dtypes differ: ", dtype_name(c.input_dtype(1)), " and ",
           dtype_name(c.input_dtype(2)));
  c.set_output(0, c.input_dtype(1), broadcast_inputs(c, 0, 3));
}

// Where only moves elements, so it dispatches on element size, not on dtype.
void run_where(RunContext& ctx) {
  const TensorView* ins[3] = {&ctx.in(0), &ctx.in(1), &ctx.in(2)};
  auto select = [](bool c, auto x, auto y) { return c ? x : y; };
  switch (dtype_size(ctx.in(1).dtype)) {
    case 1:
      return map<uint8_t, bool, uint8_t, uint8_t>(ctx.node, ins, ctx.out(0), select);
    case 2:
      return map<uint16_t, bool, uint16_t, uint16_t>(ctx.node, ins, ctx.out(0), select);
    case 4:
      return map<uint32_t, bool, uint32_t, uint32_t>(ctx.node, ins, ctx.out(0), select);
    case 8:
      return map<uint64_t, bool, uint64_t, uint64_t>(ctx.node, ins, ctx.out(0), select);
    default:
      fail("Where '", ctx.node.name, "': unsupported dtype ", dtype_name(ctx.in(1).dtype));
  }
}

DType cast_target(const graph::Node& node) {
  const graph::Attribute* to = node.attr("to");
  if (!to || to->kind != graph::Attribute::Kind::kInt)
    fail("Cast '", node.name, "': missing integer attribute 'to'");
  const DType dt = dtype_from_onnx(static_cast<int>(to->i));
  if (dt == DType::kUndefined || !in_mask(mask_of(AllTypes{}), dt))
    fail("Cast '", node.name, "': unsupported target dtype code ", to->i);
  return dt;
}

void infer_cast(InferContext& c) {
  if (c.num_inputs() != 1) c.fail("expects 1 input, got ", c.num_inputs());
  check_input(c, 0, mask_of(AllTypes{}));
  c.set_output(0, cast_target(c.node()), c.input_shape(0));
}

void run_cast(RunContext& ctx) {
  const TensorView* ins[1] = {&ctx.in(0)};
  dispatch(AllTypes{}, ctx.in(0).dtype, [&](auto zf) {
    dispatch(AllTypes{}, ctx.out(0).dtype, [&](auto zt) {
      using From = decltype(zf);
      using To = decltype(zt);
      map<To, From>(ctx.node, ins, ctx.out(0),
                    [](Compute<From> v) { return convert<Compute<To>>(v); });
    });
  });
}

// States the gap (string tensors) so that such nodes are reported, not mis-run.
std::string supports_cast(const SupportQuery& q) {
  const graph::Attribute* to = q.node.attr("to");
  if (to && to->kind == graph::Attribute::Kind::kInt && to->i == 8) return "casts to string";
  if (!q.in_dtypes.empty() && q.in_dtypes[0] == DType::kString) return "casts from string";
  return {};
}

constexpr KernelImpl kCastKernels[] = {
    {"reference", supports_cast, nullptr, run_cast, kElementwiseFlags}};

const OpSchema kSchemas[] = {
    {"Where", "", 9, kOpsetMax, &infer_where, kReference<&run_where>},
    {"Cast", "", 6, kOpsetMax, &infer_cast, kCastKernels,
     "float to integer truncates toward zero; NaN gives 0 and out-of-range values saturate to "
     "int64 then wrap; string casts are not supported"},
};

}  // namespace

std::span<const OpSchema> select_schemas() { return kSchemas; }

}  // namespace wrun::ops::elementwise
