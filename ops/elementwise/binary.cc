// Two-input ops with numpy broadcasting: arithmetic, Pow, comparisons, logical.
#include <cmath>

#include "ops/common.h"
#include "ops/elementwise/broadcast_map.h"
#include "ops/elementwise/elementwise.h"
#include "ops/elementwise/scalar_math.h"

namespace wrun::ops::elementwise {
namespace {

struct AddOp {
  template <class T>
  T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>)
      return static_cast<T>(WrapType<T>(a) + WrapType<T>(b));
    else
      return a + b;
  }
};
struct SubOp {
  template <class T>
  T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>)
      return static_cast<T>(WrapType<T>(a) - WrapType<T>(b));
    else
      return a - b;
  }
};
struct MulOp {
  template <class T>
  T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>)
      return static_cast<T>(WrapType<T>(a) * WrapType<T>(b));
    else
      return a * b;
  }
};
// Integer division truncates toward zero (C++). Division by zero is undefined in ONNX; it gives 0
// here rather than a trap, and MIN / -1 wraps.
struct DivOp {
  template <class T>
  T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) {
      if (b == 0) return 0;
      if constexpr (std::is_signed_v<T>)
        if (b == -1) return static_cast<T>(WrapType<T>(0) - WrapType<T>(a));
      return static_cast<T>(a / b);
    } else {
      return a / b;
    }
  }
};
struct PowOp {
  template <class A, class B>
  A operator()(A a, B b) const {
    if constexpr (std::is_floating_point_v<A>)
      return static_cast<A>(std::pow(static_cast<double>(a), static_cast<double>(b)));
    else if constexpr (std::is_integral_v<B>)
      return int_pow(a, b);
    else
      return float_to_int<A>(std::pow(static_cast<double>(a), static_cast<double>(b)));
  }
};

struct EqualOp {
  template <class T>
  bool operator()(T a, T b) const {
    return a == b;
  }
};
struct LessOp {
  template <class T>
  bool operator()(T a, T b) const {
    return a < b;
  }
};
struct LessEqualOp {
  template <class T>
  bool operator()(T a, T b) const {
    return a <= b;
  }
};
struct GreaterOp {
  template <class T>
  bool operator()(T a, T b) const {
    return a > b;
  }
};
struct GreaterEqualOp {
  template <class T>
  bool operator()(T a, T b) const {
    return a >= b;
  }
};
struct AndOp {
  bool operator()(bool a, bool b) const { return a && b; }
};
struct OrOp {
  bool operator()(bool a, bool b) const { return a || b; }
};
struct XorOp {
  bool operator()(bool a, bool b) const { return a != b; }
};

template <class TL, bool kBoolOut>
void infer_binary(InferContext& c) {
  if (c.num_inputs() != 2) c.fail("expects 2 inputs, got ", c.num_inputs());
  check_input(c, 0, mask_of(TL{}));
  check_input(c, 1, mask_of(TL{}));
  if (c.input_dtype(0) != c.input_dtype(1))
    c.fail("input dtypes differ: ", dtype_name(c.input_dtype(0)), " and ",
           dtype_name(c.input_dtype(1)));
  const SymShape b = legacy_b_shape(c);
  SymShape out;
  if (!broadcast_shapes(c.input_shape(0), b, &out))
    c.fail("cannot broadcast shapes ", sym_str(c.input_shape(0)), " and ", sym_str(b));
  c.set_output(0, kBoolOut ? DType::kBool : c.input_dtype(0), out);
}

template <class Op, class TL, bool kBoolOut>
void run_binary(RunContext& ctx) {
  const TensorView b = legacy_b_view(ctx);
  const TensorView* ins[2] = {&ctx.in(0), &b};
  dispatch(TL{}, ctx.in(0).dtype, [&](auto z) {
    using T = decltype(z);
    using O = std::conditional_t<kBoolOut, bool, T>;
    map<O, T, T>(ctx.node, ins, ctx.out(0), Op{});
  });
}

using PowBase = Types<int32_t, int64_t, float, double, Half, BHalf>;
using PowExponent = NumericTypes;

void infer_pow(InferContext& c) {
  if (c.num_inputs() != 2) c.fail("expects 2 inputs, got ", c.num_inputs());
  check_input(c, 0, mask_of(PowBase{}));
  check_input(c, 1, mask_of(PowExponent{}));
  const SymShape b = legacy_b_shape(c);
  SymShape out;
  if (!broadcast_shapes(c.input_shape(0), b, &out))
    c.fail("cannot broadcast shapes ", sym_str(c.input_shape(0)), " and ", sym_str(b));
  c.set_output(0, c.input_dtype(0), out);
}

void run_pow(RunContext& ctx) {
  const TensorView b = legacy_b_view(ctx);
  const TensorView* ins[2] = {&ctx.in(0), &b};
  dispatch(PowBase{}, ctx.in(0).dtype, [&](auto za) {
    dispatch(PowExponent{}, b.dtype, [&](auto zb) {
      using A = decltype(za);
      map<A, A, decltype(zb)>(ctx.node, ins, ctx.out(0), PowOp{});
    });
  });
}

using Bool = Types<bool>;

template <class Op, class TL, bool kBoolOut = false>
constexpr OpSchema row(std::string_view op, int opset_min) {
  return {op,
          "",
          opset_min,
          kOpsetMax,
          &infer_binary<TL, kBoolOut>,
          kReference<&run_binary<Op, TL, kBoolOut>>};
}

const OpSchema kSchemas[] = {
    row<AddOp, NumericTypes>("Add", 1),
    row<SubOp, NumericTypes>("Sub", 1),
    row<MulOp, NumericTypes>("Mul", 1),
    row<DivOp, NumericTypes>("Div", 1),
    {"Pow", "", 1, kOpsetMax, &infer_pow, kReference<&run_pow>},
    row<EqualOp, AllTypes, true>("Equal", 1),
    row<LessOp, NumericTypes, true>("Less", 1),
    row<GreaterOp, NumericTypes, true>("Greater", 1),
    row<LessEqualOp, NumericTypes, true>("LessOrEqual", 12),
    row<GreaterEqualOp, NumericTypes, true>("GreaterOrEqual", 12),
    row<AndOp, Bool, true>("And", 1),
    row<OrOp, Bool, true>("Or", 1),
    row<XorOp, Bool, true>("Xor", 1),
};

}  // namespace

std::span<const OpSchema> binary_schemas() { return kSchemas; }

}  // namespace wrun::ops::elementwise
