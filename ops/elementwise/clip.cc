// Clip: bounds from attributes (opset < 11) or from optional scalar inputs (opset 11+; integer
// types from opset 12). An absent bound does not clip.
#include <cfloat>
#include <limits>

#include "ops/elementwise/map_ops.h"
#include "ops/elementwise/scalar_math.h"

namespace wrun::ops::elementwise {
namespace {

uint32_t clip_mask(int64_t opset) {
  return opset >= 12 ? mask_of(NumericTypes{}) : mask_of(FloatTypes{});
}

void infer_clip(InferContext& c) {
  const int max_inputs = c.opset() >= 11 ? 3 : 1;
  if (c.num_inputs() < 1 || c.num_inputs() > max_inputs)
    c.fail("expects 1 to ", max_inputs, " inputs at opset ", c.opset(), ", got ", c.num_inputs());
  check_input(c, 0, clip_mask(c.opset()));
  for (int i = 1; i < c.num_inputs(); ++i) {
    if (!c.has_input(i)) continue;
    if (c.input_dtype(i) != c.input_dtype(0))
      c.fail("input ", i, " has dtype ", dtype_name(c.input_dtype(i)), " but input 0 has ",
             dtype_name(c.input_dtype(0)));
    const SymShape& s = c.input_shape(i);
    if (s.fully_known() && s.concrete().numel() != 1)
      c.fail("input ", i, " must be a scalar, got shape ", sym_str(s));
  }
  c.set_output(0, c.input_dtype(0), c.input_shape(0));
}

// Opset 1 defaults to the type's range, opset 6 to +-FLT_MAX (the float types only).
template <class C>
C attr_bound(const graph::Node& n, int64_t opset, const char* key, C type_limit) {
  if (const graph::Attribute* a = n.attr(key)) return convert<C>(static_cast<double>(a->f));
  if (opset < 6) return type_limit;
  return convert<C>(type_limit < C(0) ? -static_cast<double>(FLT_MAX) : FLT_MAX);
}

template <class T>
Compute<T> input_bound(const RunContext& ctx, int i, Compute<T> absent) {
  if (!ctx.has_in(i)) return absent;
  if (ctx.in(i).numel() != 1)
    fail("Clip '", ctx.node.name, "': input ", i, " must be a scalar, got shape ",
         ctx.in(i).shape.str());
  return Elem<T>::load(static_cast<const char*>(ctx.in(i).data));
}

void run_clip(RunContext& ctx) {
  const TensorView* ins[1] = {&ctx.in(0)};
  dispatch(NumericTypes{}, ctx.in(0).dtype, [&](auto z) {
    using T = decltype(z);
    using C = Compute<T>;
    C lo = std::numeric_limits<C>::lowest(), hi = std::numeric_limits<C>::max();
    if (ctx.opset < 11) {
      lo = attr_bound<C>(ctx.node, ctx.opset, "min", lo);
      hi = attr_bound<C>(ctx.node, ctx.opset, "max", hi);
    } else {
      lo = input_bound<T>(ctx, 1, lo);
      hi = input_bound<T>(ctx, 2, hi);
    }
    // min > max gives max everywhere (the spec's rule); NaN passes through.
    map<T, T>(ctx.node, ins, ctx.out(0), [lo, hi](C x) {
      const C y = x < lo ? lo : x;
      return hi < y ? hi : y;
    });
  });
}

const OpSchema kSchemas[] = {
    {"Clip", "", 1, kOpsetMax, &infer_clip, kReference<&run_clip>},
};

}  // namespace

std::span<const OpSchema> clip_schemas() { return kSchemas; }

}  // namespace wrun::ops::elementwise
