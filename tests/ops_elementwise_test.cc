// Elementwise family: hand-computed results per op, broadcasting, strided views, dtypes, Cast.
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "graph/dtype.h"
#include "ops/common.h"
#include "ops/registry.h"
#include "tests/op_test_util.h"

namespace wrun::testing {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// Evaluates a single-output op with the reference kernel and returns its output.
ConstPtr run(const std::string& op, const std::vector<ConstPtr>& in, int64_t opset = 18,
             const std::string& domain = "") {
  auto n = make_node(op, static_cast<int>(in.size()), 1, domain);
  auto out = eval(n, in, opset);
  EXPECT_EQ(out.size(), 1u);
  return out[0];
}
ConstPtr run_node(const graph::Node& n, const std::vector<ConstPtr>& in, int64_t opset = 18) {
  return eval(n, in, opset)[0];
}

template <class T>
ConstPtr vec(std::vector<T> v) {
  return make_const<T>(Shape{static_cast<int64_t>(v.size())}, v);
}
template <class T>
ConstPtr scalar(T v) {
  return make_const<T>(Shape{}, std::vector<T>{v});
}
ConstPtr half_const(const Shape& s, const std::vector<float>& v) {
  std::vector<uint16_t> bits;
  for (float f : v) bits.push_back(f32_to_f16(f));
  return graph::Constant::copy_of(DType::kF16, s, bits.data());
}
std::vector<float> half_values(const graph::Constant& c) {
  std::vector<float> r;
  for (uint16_t h : to_vector<uint16_t>(c)) r.push_back(f16_to_f32(h));
  return r;
}
std::vector<bool> bools(const graph::Constant& c) {
  std::vector<bool> r;
  for (uint8_t b : to_vector<uint8_t>(c)) r.push_back(b != 0);
  return r;
}

void expect_floats(const graph::Constant& c, const std::vector<float>& want, float tol = 1e-6f) {
  ASSERT_EQ(c.dtype, DType::kF32);
  auto got = to_vector<float>(c);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << "at " << i;
    } else if (std::isinf(want[i])) {
      EXPECT_EQ(got[i], want[i]) << "at " << i;
    } else {
      EXPECT_NEAR(got[i], want[i], tol * std::max(1.0f, std::fabs(want[i]))) << "at " << i;
    }
  }
}

// ---- Arithmetic -------------------------------------------------------------------------------

TEST(ElementwiseArith, AddSubMulDivFloat) {
  auto a = vec<float>({1, 2, 3, -4}), b = vec<float>({0.5f, -2, 4, 8});
  expect_floats(*run("Add", {a, b}), {1.5f, 0, 7, 4});
  expect_floats(*run("Sub", {a, b}), {0.5f, 4, -1, -12});
  expect_floats(*run("Mul", {a, b}), {0.5f, -4, 12, -32});
  expect_floats(*run("Div", {a, b}), {2, -1, 0.75f, -0.5f});
}

TEST(ElementwiseArith, DoubleKeepsPrecision) {
  auto out = run("Add", {vec<double>({1.0, 1e16}), vec<double>({1e-12, 1.0})});
  ASSERT_EQ(out->dtype, DType::kF64);
  auto v = to_vector<double>(*out);
  EXPECT_EQ(v[0], 1.0 + 1e-12);
  EXPECT_EQ(v[1], 1e16 + 1.0);
}

TEST(ElementwiseArith, IntegerDivTruncatesTowardZero) {
  auto out = run("Div", {vec<int32_t>({7, -7, 7, -7, 0}), vec<int32_t>({2, 2, -2, -2, 3})});
  EXPECT_EQ(to_vector<int32_t>(*out), (std::vector<int32_t>{3, -3, -3, 3, 0}));
  auto o64 = run("Div", {vec<int64_t>({-9, 9}), scalar<int64_t>(4)});
  EXPECT_EQ(to_vector<int64_t>(*o64), (std::vector<int64_t>{-2, 2}));
  auto u8 = run("Div", {vec<uint8_t>({250, 9}), vec<uint8_t>({3, 2})});
  EXPECT_EQ(to_vector<uint8_t>(*u8), (std::vector<uint8_t>{83, 4}));
}

TEST(ElementwiseArith, IntegerEdgeCasesDoNotTrap) {
  // Division by zero is undefined in ONNX: it must not crash (gives 0); MIN / -1 wraps.
  const int32_t mn = std::numeric_limits<int32_t>::min();
  auto out = run("Div", {vec<int32_t>({5, mn}), vec<int32_t>({0, -1})});
  EXPECT_EQ(to_vector<int32_t>(*out), (std::vector<int32_t>{0, mn}));
  // Overflow wraps like two's complement.
  auto add = run("Add", {vec<int8_t>({127, -128}), vec<int8_t>({1, -1})});
  EXPECT_EQ(to_vector<int8_t>(*add), (std::vector<int8_t>{-128, 127}));
  auto mul = run("Mul", {vec<uint8_t>({16, 3}), vec<uint8_t>({16, 5})});
  EXPECT_EQ(to_vector<uint8_t>(*mul), (std::vector<uint8_t>{0, 15}));
  auto sub = run("Sub", {vec<uint8_t>({1}), vec<uint8_t>({2})});
  EXPECT_EQ(to_vector<uint8_t>(*sub), (std::vector<uint8_t>{255}));
}

TEST(ElementwiseArith, AllIntegerDTypes) {
  EXPECT_EQ(to_vector<int8_t>(*run("Mul", {vec<int8_t>({-3, 4}), vec<int8_t>({5, 6})})),
            (std::vector<int8_t>{-15, 24}));
  EXPECT_EQ(to_vector<int16_t>(*run("Sub", {vec<int16_t>({-3, 4}), vec<int16_t>({5, 6})})),
            (std::vector<int16_t>{-8, -2}));
  EXPECT_EQ(to_vector<uint16_t>(*run("Mul", {vec<uint16_t>({300}), vec<uint16_t>({300})})),
            (std::vector<uint16_t>{static_cast<uint16_t>(90000 % 65536)}));
  EXPECT_EQ(to_vector<uint32_t>(*run("Add", {vec<uint32_t>({1u << 31}), vec<uint32_t>({3})})),
            (std::vector<uint32_t>{(1u << 31) + 3}));
  EXPECT_EQ(to_vector<uint64_t>(*run("Sub", {vec<uint64_t>({10}), vec<uint64_t>({3})})),
            (std::vector<uint64_t>{7}));
  EXPECT_EQ(to_vector<int64_t>(*run("Add", {vec<int64_t>({int64_t{1} << 40}), scalar<int64_t>(1)})),
            (std::vector<int64_t>{(int64_t{1} << 40) + 1}));
}

TEST(ElementwiseArith, Float16WidensToFloat) {
  auto out = run("Add", {half_const({3}, {1.5f, -2, 1000}), half_const({3}, {0.25f, 0.5f, 0.5f})});
  ASSERT_EQ(out->dtype, DType::kF16);
  EXPECT_EQ(half_values(*out), (std::vector<float>{1.75f, -1.5f, 1000.5f}));
  std::vector<uint16_t> bf = {f32_to_bf16(3.0f), f32_to_bf16(-1.0f)};
  auto a = graph::Constant::copy_of(DType::kBF16, Shape{2}, bf.data());
  auto m = run("Mul", {a, a});
  ASSERT_EQ(m->dtype, DType::kBF16);
  auto mv = to_vector<uint16_t>(*m);
  EXPECT_EQ(bf16_to_f32(mv[0]), 9.0f);
  EXPECT_EQ(bf16_to_f32(mv[1]), 1.0f);
}

TEST(ElementwiseArith, PowFloatAndMixedTypes) {
  expect_floats(*run("Pow", {vec<float>({2, 4, -2, 9}), vec<float>({3, 0.5f, 2, -0.5f})}),
                {8, 2, 4, 1.0f / 3});
  // Base float, exponent int64 (opset 12+ allows different types); output is the base type.
  expect_floats(*run("Pow", {vec<float>({1.5f, 2}), vec<int64_t>({2, -1})}), {2.25f, 0.5f});
  // Integer base and exponent: exact repeated multiplication.
  auto i = run("Pow", {vec<int64_t>({3, -2, 10, 2}), vec<int64_t>({4, 3, 15, -1})});
  EXPECT_EQ(to_vector<int64_t>(*i), (std::vector<int64_t>{81, -8, 1000000000000000, 0}));
  // Integer base, float exponent: float result truncated toward zero.
  auto t = run("Pow", {vec<int32_t>({2, 3}), vec<float>({0.5f, 2})});
  EXPECT_EQ(to_vector<int32_t>(*t), (std::vector<int32_t>{1, 9}));
  expect_floats(*run("Pow", {vec<float>({-8}), vec<float>({1.0f / 3})}), {kNaN});
}

// ---- Unary ----------------------------------------------------------------------------------

TEST(ElementwiseUnary, FloatMath) {
  auto x = vec<float>({0.25f, 1, 4});
  expect_floats(*run("Sqrt", {x}), {0.5f, 1, 2});
  expect_floats(*run("Exp", {x}), {std::exp(0.25f), std::exp(1.0f), std::exp(4.0f)});
  expect_floats(*run("Log", {x}), {std::log(0.25f), 0, std::log(4.0f)});
  expect_floats(*run("Reciprocal", {x}), {4, 1, 0.25f});
  expect_floats(*run("Sqrt", {vec<float>({-1})}), {kNaN});
  expect_floats(*run("Log", {vec<float>({0})}), {-kInf});
}

TEST(ElementwiseUnary, ErfTanhSigmoid) {
  auto x = vec<float>({-2, -0.5f, 0, 0.5f, 3});
  expect_floats(*run("Erf", {x}), {-0.995322265f, -0.520499878f, 0, 0.520499878f, 0.999977910f});
  expect_floats(*run("Tanh", {x}), {-0.964027580f, -0.462117157f, 0, 0.462117157f, 0.995054754f});
  expect_floats(*run("Sigmoid", {x}),
                {0.119202922f, 0.377540669f, 0.5f, 0.622459331f, 0.952574127f});
  // No overflow to NaN at the extremes.
  expect_floats(*run("Sigmoid", {vec<float>({-1000, 1000})}), {0, 1});
  expect_floats(*run("Tanh", {vec<float>({-1000, 1000})}), {-1, 1});
}

TEST(ElementwiseUnary, ReluNegAbsFloorCeil) {
  auto x = vec<float>({-1.5f, -0.5f, 0, 0.5f, 2.5f});
  expect_floats(*run("Relu", {x}), {0, 0, 0, 0.5f, 2.5f});
  expect_floats(*run("Neg", {x}), {1.5f, 0.5f, 0, -0.5f, -2.5f});
  expect_floats(*run("Abs", {x}), {1.5f, 0.5f, 0, 0.5f, 2.5f});
  expect_floats(*run("Floor", {x}), {-2, -1, 0, 0, 2});
  expect_floats(*run("Ceil", {x}), {-1, -0.0f, 0, 1, 3});
  expect_floats(*run("Relu", {vec<float>({kNaN})}), {kNaN});
  EXPECT_EQ(to_vector<int32_t>(*run("Relu", {vec<int32_t>({-3, 4})})),
            (std::vector<int32_t>{0, 4}));
  EXPECT_EQ(to_vector<int64_t>(*run("Neg", {vec<int64_t>({-3, 4})})),
            (std::vector<int64_t>{3, -4}));
  EXPECT_EQ(to_vector<int8_t>(*run("Abs", {vec<int8_t>({-128, -5, 7})})),
            (std::vector<int8_t>{-128, 5, 7}));
  EXPECT_EQ(to_vector<uint8_t>(*run("Abs", {vec<uint8_t>({200})})), (std::vector<uint8_t>{200}));
}

TEST(ElementwiseUnary, Float64AndHalf) {
  auto d = run("Exp", {vec<double>({1.0})});
  EXPECT_EQ(to_vector<double>(*d)[0], std::exp(1.0));
  auto h = run("Sqrt", {half_const({2}, {4, 2.25f})});
  EXPECT_EQ(half_values(*h), (std::vector<float>{2, 1.5f}));
}

TEST(ElementwiseUnary, Not) {
  auto out = run("Not", {make_const<bool>({3}, {true, false, true})});
  ASSERT_EQ(out->dtype, DType::kBool);
  EXPECT_EQ(bools(*out), (std::vector<bool>{false, true, false}));
}

TEST(ElementwiseUnary, GeluExactAndTanh) {
  auto x = vec<float>({-3, -1, 0, 0.5f, 2});
  // 0.5 x (1 + erf(x / sqrt 2))
  const std::vector<float> exact = {-0.00404969f, -0.158655254f, 0, 0.345731133f, 1.954499736f};
  expect_floats(*run("Gelu", {x}, 20), exact);
  expect_floats(*run("Gelu", {x}, 17), exact);  // exporters emit it below opset 20
  expect_floats(*run("Gelu", {x}, 1, "com.microsoft"), exact);
  auto n = make_node("Gelu", 1);
  set_attr(n, "approximate", std::string("tanh"));
  std::vector<float> approx;
  for (float v : {-3.0f, -1.0f, 0.0f, 0.5f, 2.0f}) {
    const double t = std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v));
    approx.push_back(static_cast<float>(0.5 * v * (1 + t)));
  }
  expect_floats(*run_node(n, {x}, 20), approx);
  EXPECT_NE(to_vector<float>(*run_node(n, {x}, 20))[1], exact[1]);
  set_attr(n, "approximate", std::string("fast"));
  EXPECT_THROW(run_node(n, {x}, 20), Error);
}

TEST(ElementwiseUnary, RejectsWrongDType) {
  EXPECT_THROW(run("Sqrt", {vec<int32_t>({4})}), Error);
  EXPECT_THROW(run("Not", {vec<float>({1})}), Error);
  try {
    run("Exp", {vec<int64_t>({1})});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Exp 'Exp_test'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("int64"), std::string::npos) << e.what();
  }
}

// ---- Variadic ---------------------------------------------------------------------------------

TEST(ElementwiseVariadic, MinMaxSumMean) {
  auto a = vec<float>({1, 5, 3}), b = vec<float>({4, 2, 3}), c = vec<float>({0, 6, -3});
  expect_floats(*run("Max", {a, b, c}), {4, 6, 3});
  expect_floats(*run("Min", {a, b, c}), {0, 2, -3});
  expect_floats(*run("Sum", {a, b, c}), {5, 13, 3});
  expect_floats(*run("Mean", {a, b, c}), {5.0f / 3, 13.0f / 3, 1});
  // One input: a copy.
  expect_floats(*run("Sum", {a}), {1, 5, 3});
  expect_floats(*run("Max", {a}), {1, 5, 3});
}

TEST(ElementwiseVariadic, BroadcastAcrossAllInputs) {
  // [3] with [2,1] with scalar: the output is [2,3] though input 0 is only [3].
  auto a = vec<float>({1, 2, 3});
  auto b = make_const<float>({2, 1}, {10, 20});
  auto out = run("Sum", {a, b, scalar<float>(100)});
  EXPECT_EQ(out->shape, (Shape{2, 3}));
  expect_floats(*out, {111, 112, 113, 121, 122, 123});
  auto mx = run("Max", {scalar<float>(2.5f), make_const<float>({2, 2}, {1, 2, 3, 4})});
  expect_floats(*mx, {2.5f, 2.5f, 3, 4});
}

TEST(ElementwiseVariadic, MinMaxPropagateNaN) {
  auto a = vec<float>({kNaN, 1, 2}), b = vec<float>({0, kNaN, 3});
  expect_floats(*run("Max", {a, b}), {kNaN, kNaN, 3});
  expect_floats(*run("Min", {a, b}), {kNaN, kNaN, 2});
}

TEST(ElementwiseVariadic, IntegerMinMax) {
  EXPECT_EQ(to_vector<int64_t>(*run("Max", {vec<int64_t>({-5, 7}), vec<int64_t>({3, -9})})),
            (std::vector<int64_t>{3, 7}));
  EXPECT_EQ(to_vector<uint8_t>(*run("Min", {vec<uint8_t>({200, 7}), vec<uint8_t>({3, 255})})),
            (std::vector<uint8_t>{3, 7}));
  EXPECT_EQ(to_vector<int32_t>(*run("Min", {vec<int32_t>({1, -2}), scalar<int32_t>(0)})),
            (std::vector<int32_t>{0, -2}));
  EXPECT_THROW(run("Sum", {vec<int32_t>({1}), vec<int32_t>({2})}), Error);  // floats only
  EXPECT_THROW(run("Max", {vec<int32_t>({1}), vec<int64_t>({2})}), Error);
}

TEST(ElementwiseVariadic, MeanOfHalf) {
  auto out = run("Mean", {half_const({2}, {1, 2}), half_const({2}, {2, 4})});
  EXPECT_EQ(half_values(*out), (std::vector<float>{1.5f, 3}));
}

// ---- Comparison, logical, Where ---------------------------------------------------------------

TEST(ElementwiseCompare, AllComparisons) {
  auto a = vec<float>({1, 2, 3}), b = vec<float>({2, 2, 2});
  EXPECT_EQ(bools(*run("Equal", {a, b})), (std::vector<bool>{false, true, false}));
  EXPECT_EQ(bools(*run("Less", {a, b})), (std::vector<bool>{true, false, false}));
  EXPECT_EQ(bools(*run("LessOrEqual", {a, b})), (std::vector<bool>{true, true, false}));
  EXPECT_EQ(bools(*run("Greater", {a, b})), (std::vector<bool>{false, false, true}));
  EXPECT_EQ(bools(*run("GreaterOrEqual", {a, b})), (std::vector<bool>{false, true, true}));
  EXPECT_EQ(run("Less", {a, b})->dtype, DType::kBool);
  // NaN compares false (and unequal).
  auto n = vec<float>({kNaN});
  EXPECT_EQ(bools(*run("Equal", {n, n})), (std::vector<bool>{false}));
  EXPECT_EQ(bools(*run("GreaterOrEqual", {n, n})), (std::vector<bool>{false}));
}

TEST(ElementwiseCompare, IntegerAndBoolInputs) {
  auto a = vec<int64_t>({-1, 5}), b = scalar<int64_t>(5);
  EXPECT_EQ(bools(*run("Equal", {a, b})), (std::vector<bool>{false, true}));
  EXPECT_EQ(bools(*run("Greater", {vec<uint8_t>({200, 1}), vec<uint8_t>({100, 2})})),
            (std::vector<bool>{true, false}));
  auto t = make_const<bool>({2}, {true, false});
  EXPECT_EQ(bools(*run("Equal", {t, make_const<bool>({2}, {true, true})})),
            (std::vector<bool>{true, false}));
  EXPECT_THROW(run("Less", {t, t}), Error);
  EXPECT_THROW(run("Equal", {a, vec<int32_t>({1, 2})}), Error);
}

TEST(ElementwiseLogical, AndOrXorWithBroadcast) {
  auto a = make_const<bool>({2, 2}, {true, true, false, false});
  auto b = make_const<bool>({2}, {true, false});
  EXPECT_EQ(bools(*run("And", {a, b})), (std::vector<bool>{true, false, false, false}));
  EXPECT_EQ(bools(*run("Or", {a, b})), (std::vector<bool>{true, true, true, false}));
  EXPECT_EQ(bools(*run("Xor", {a, b})), (std::vector<bool>{false, true, true, false}));
  EXPECT_THROW(run("And", {vec<float>({1}), vec<float>({1})}), Error);
}

TEST(ElementwiseWhere, SelectsWithBroadcast) {
  auto c = make_const<bool>({2, 1}, {true, false});
  auto x = vec<float>({1, 2, 3});
  auto out = run("Where", {c, x, scalar<float>(-1)});
  EXPECT_EQ(out->shape, (Shape{2, 3}));
  expect_floats(*out, {1, 2, 3, -1, -1, -1});
  // Every element size: int8, f16 bits, int32, int64; bool values.
  auto c3 = make_const<bool>({3}, {false, true, false});
  EXPECT_EQ(to_vector<int8_t>(*run("Where", {c3, vec<int8_t>({1, 2, 3}), scalar<int8_t>(9)})),
            (std::vector<int8_t>{9, 2, 9}));
  EXPECT_EQ(half_values(*run("Where", {c3, half_const({3}, {1, 2, 3}), half_const({}, {0.5f})})),
            (std::vector<float>{0.5f, 2, 0.5f}));
  EXPECT_EQ(
      to_vector<int64_t>(*run("Where", {c3, vec<int64_t>({1, 2, 3}), vec<int64_t>({4, 5, 6})})),
      (std::vector<int64_t>{4, 2, 6}));
  EXPECT_EQ(bools(*run("Where", {c3, make_const<bool>({3}, {true, true, true}),
                                 make_const<bool>({}, {false})})),
            (std::vector<bool>{false, true, false}));
  EXPECT_THROW(run("Where", {x, x, x}), Error);                        // condition must be bool
  EXPECT_THROW(run("Where", {c3, x, vec<double>({1, 2, 3})}), Error);  // X and Y differ
}

// ---- Cast -------------------------------------------------------------------------------------

ConstPtr cast(const ConstPtr& x, DType to, int64_t opset = 18) {
  auto n = make_node("Cast", 1);
  set_attr(n, "to", static_cast<int64_t>(dtype_to_onnx(to)));
  return run_node(n, {x}, opset);
}

TEST(ElementwiseCast, FloatToIntTruncatesTowardZero) {
  auto x = vec<float>({2.9f, -2.9f, 0.5f, -0.5f, 100.0f});
  EXPECT_EQ(to_vector<int32_t>(*cast(x, DType::kI32)), (std::vector<int32_t>{2, -2, 0, 0, 100}));
  EXPECT_EQ(to_vector<int64_t>(*cast(x, DType::kI64)), (std::vector<int64_t>{2, -2, 0, 0, 100}));
  EXPECT_EQ(to_vector<int8_t>(*cast(x, DType::kI8)), (std::vector<int8_t>{2, -2, 0, 0, 100}));
  EXPECT_EQ(to_vector<uint8_t>(*cast(vec<double>({255.9, 3.2}), DType::kU8)),
            (std::vector<uint8_t>{255, 3}));
  // NaN and out of range are undefined in ONNX: defined (no UB) here.
  EXPECT_EQ(to_vector<int32_t>(*cast(vec<float>({kNaN}), DType::kI32)), (std::vector<int32_t>{0}));
  EXPECT_EQ(to_vector<int64_t>(*cast(vec<float>({1e30f, -1e30f}), DType::kI64)),
            (std::vector<int64_t>{std::numeric_limits<int64_t>::max(),
                                  std::numeric_limits<int64_t>::min()}));
}

TEST(ElementwiseCast, BoolAndIntegerConversions) {
  EXPECT_EQ(bools(*cast(vec<float>({0, -0.0f, 0.1f, kNaN}), DType::kBool)),
            (std::vector<bool>{false, false, true, true}));
  expect_floats(*cast(make_const<bool>({2}, {true, false}), DType::kF32), {1, 0});
  EXPECT_EQ(to_vector<int64_t>(*cast(make_const<bool>({2}, {true, false}), DType::kI64)),
            (std::vector<int64_t>{1, 0}));
  // Narrowing integers wrap; widening sign-extends.
  EXPECT_EQ(to_vector<int8_t>(*cast(vec<int64_t>({300, -129}), DType::kI8)),
            (std::vector<int8_t>{44, 127}));
  EXPECT_EQ(to_vector<int64_t>(*cast(vec<int8_t>({-5}), DType::kI64)), (std::vector<int64_t>{-5}));
  EXPECT_EQ(to_vector<uint32_t>(*cast(vec<int32_t>({-1}), DType::kU32)),
            (std::vector<uint32_t>{0xffffffffu}));
  // int64 beyond 2^53 survives int64 -> int64 and int64 -> uint64 exactly.
  const int64_t big = (int64_t{1} << 60) + 1;
  EXPECT_EQ(to_vector<int64_t>(*cast(vec<int64_t>({big}), DType::kI64)),
            (std::vector<int64_t>{big}));
  EXPECT_EQ(to_vector<uint64_t>(*cast(vec<int64_t>({big}), DType::kU64)),
            (std::vector<uint64_t>{static_cast<uint64_t>(big)}));
  auto d = cast(vec<int32_t>({-7, 16777217}), DType::kF64);
  EXPECT_EQ(to_vector<double>(*d), (std::vector<double>{-7, 16777217}));
}

TEST(ElementwiseCast, HalfRoundTrips) {
  const std::vector<float> vals = {0, 1, -2.5f, 65504, 0.1f, 1e-7f, kInf};
  auto x = vec<float>(vals);
  auto h = cast(x, DType::kF16);
  ASSERT_EQ(h->dtype, DType::kF16);
  auto hb = to_vector<uint16_t>(*h);
  for (size_t i = 0; i < vals.size(); ++i) EXPECT_EQ(hb[i], f32_to_f16(vals[i])) << i;
  auto back = cast(h, DType::kF32);
  auto bv = to_vector<float>(*back);
  for (size_t i = 0; i < vals.size(); ++i) EXPECT_EQ(bv[i], f16_to_f32(hb[i])) << i;
  // f16 -> f64 -> f16 is lossless; f16 -> int truncates.
  auto d = cast(h, DType::kF64);
  EXPECT_EQ(to_vector<uint16_t>(*cast(d, DType::kF16)), hb);
  EXPECT_EQ(to_vector<int32_t>(*cast(half_const({2}, {-2.5f, 3.75f}), DType::kI32)),
            (std::vector<int32_t>{-2, 3}));
  // bfloat16 rounds to nearest even.
  auto b = cast(vec<float>({1.0f, 3.14159f}), DType::kBF16);
  ASSERT_EQ(b->dtype, DType::kBF16);
  auto bb = to_vector<uint16_t>(*b);
  EXPECT_EQ(bb[0], f32_to_bf16(1.0f));
  EXPECT_EQ(bb[1], f32_to_bf16(3.14159f));
  expect_floats(*cast(b, DType::kF32), {1.0f, bf16_to_f32(bb[1])});
  // f16 <-> bf16 directly.
  EXPECT_EQ(half_values(*cast(b, DType::kF16))[0], 1.0f);
}

TEST(ElementwiseCast, SameTypeAndErrors) {
  expect_floats(*cast(vec<float>({1.25f}), DType::kF32), {1.25f});
  auto n = make_node("Cast", 1);
  EXPECT_THROW(run_node(n, {vec<float>({1})}), Error);  // no 'to'
  set_attr(n, "to", int64_t{8});                        // string
  EXPECT_THROW(run_node(n, {vec<float>({1})}), Error);
  set_attr(n, "to", int64_t{99});
  EXPECT_THROW(run_node(n, {vec<float>({1})}), Error);
}

// ---- Broadcasting -----------------------------------------------------------------------------

TEST(ElementwiseBroadcast, ScalarRowColumnRankExpanding) {
  auto m = make_const<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  // scalar on either side
  expect_floats(*run("Sub", {m, scalar<float>(1)}), {0, 1, 2, 3, 4, 5});
  expect_floats(*run("Sub", {scalar<float>(1), m}), {0, -1, -2, -3, -4, -5});
  // row [3] and column [2,1]
  expect_floats(*run("Mul", {m, vec<float>({1, 10, 100})}), {1, 20, 300, 4, 50, 600});
  expect_floats(*run("Sub", {make_const<float>({2, 1}, {10, 20}), m}), {9, 8, 7, 16, 15, 14});
  // outer product: [2,1] x [1,3]
  auto o = run("Mul", {make_const<float>({2, 1}, {1, 2}), make_const<float>({1, 3}, {1, 2, 3})});
  EXPECT_EQ(o->shape, (Shape{2, 3}));
  expect_floats(*o, {1, 2, 3, 2, 4, 6});
  // rank-expanding: [2,1,2] + [3,1] -> [2,3,2]
  auto r = run("Add", {make_const<float>({2, 1, 2}, {0, 1, 100, 101}),
                       make_const<float>({3, 1}, {10, 20, 30})});
  EXPECT_EQ(r->shape, (Shape{2, 3, 2}));
  expect_floats(*r, {10, 11, 20, 21, 30, 31, 110, 111, 120, 121, 130, 131});
}

TEST(ElementwiseBroadcast, MiddleAxisAndManyDims) {
  // [2,3,4] + [1,3,1]: per-channel bias on a middle axis.
  std::vector<float> x(24);
  for (int i = 0; i < 24; ++i) x[i] = static_cast<float>(i);
  auto out =
      run("Add", {make_const<float>({2, 3, 4}, x), make_const<float>({1, 3, 1}, {100, 200, 300})});
  std::vector<float> want(24);
  for (int i = 0; i < 24; ++i) want[i] = x[i] + 100.0f * static_cast<float>((i / 4) % 3 + 1);
  expect_floats(*out, want);
  // Rank 6 with alternating broadcast dims: compare against a direct index computation.
  Shape sa{2, 1, 3, 1, 2, 1}, sb{1, 2, 1, 2, 1, 3};
  auto va = random_floats(static_cast<size_t>(sa.numel()), 1),
       vb = random_floats(static_cast<size_t>(sb.numel()), 2);
  auto got = to_vector<float>(*run("Sub", {make_const<float>(sa, va), make_const<float>(sb, vb)}));
  ASSERT_EQ(got.size(), 2u * 2 * 3 * 2 * 2 * 3);
  int64_t i = 0;
  for (int a0 = 0; a0 < 2; ++a0)
    for (int a1 = 0; a1 < 2; ++a1)
      for (int a2 = 0; a2 < 3; ++a2)
        for (int a3 = 0; a3 < 2; ++a3)
          for (int a4 = 0; a4 < 2; ++a4)
            for (int a5 = 0; a5 < 3; ++a5, ++i) {
              float ea = va[static_cast<size_t>((a0 * 3 + a2) * 2 + a4)];
              float eb = vb[static_cast<size_t>((a1 * 2 + a3) * 3 + a5)];
              EXPECT_EQ(got[static_cast<size_t>(i)], ea - eb) << i;
            }
}

TEST(ElementwiseBroadcast, SizeZeroDims) {
  auto e = make_const<float>({0, 3}, {});
  auto out = run("Add", {e, vec<float>({1, 2, 3})});
  EXPECT_EQ(out->shape, (Shape{0, 3}));
  // [2,1] with [0] -> [2,0]
  auto o2 = run("Mul", {make_const<float>({2, 1}, {1, 2}), make_const<float>({0}, {})});
  EXPECT_EQ(o2->shape, (Shape{2, 0}));
  auto o3 = run("Where", {make_const<bool>({0}, {}), scalar<float>(1), scalar<float>(2)});
  EXPECT_EQ(o3->shape, (Shape{0}));
  EXPECT_EQ(run("Relu", {e})->shape, (Shape{0, 3}));
  EXPECT_EQ(cast(e, DType::kI64)->shape, (Shape{0, 3}));
  // 0 does not broadcast against 2.
  EXPECT_THROW(run("Add", {make_const<float>({0}, {}), vec<float>({1, 2})}), Error);
}

TEST(ElementwiseBroadcast, IncompatibleShapesNameNodeAndShapes) {
  try {
    run("Add", {make_const<float>({2, 3}, std::vector<float>(6)), vec<float>({1, 2})});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("Add 'Add_test'"), std::string::npos) << m;
    EXPECT_NE(m.find("[2,3]"), std::string::npos) << m;
    EXPECT_NE(m.find("[2]"), std::string::npos) << m;
  }
  EXPECT_THROW(run("Max", {vec<float>({1, 2}), vec<float>({1, 2}), vec<float>({1, 2, 3})}), Error);
  EXPECT_THROW(
      run("Where", {make_const<bool>({2}, {true, false}), vec<float>({1, 2, 3}), scalar<float>(0)}),
      Error);
}

TEST(ElementwiseBroadcast, LegacyAxisBroadcastBeforeOpset7) {
  // Opset 6 Add with broadcast=1, axis=1: B [3] lines up with A's dim 1 of [2,3,2].
  auto n = make_node("Add", 2);
  set_attr(n, "broadcast", int64_t{1});
  set_attr(n, "axis", int64_t{1});
  std::vector<float> x(12, 0.0f);
  auto out = run_node(n, {make_const<float>({2, 3, 2}, x), vec<float>({1, 2, 3})}, 6);
  EXPECT_EQ(out->shape, (Shape{2, 3, 2}));
  expect_floats(*out, {1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3});
  // Without axis: suffix alignment, as numpy.
  auto n2 = make_node("Add", 2);
  set_attr(n2, "broadcast", int64_t{1});
  expect_floats(*run_node(n2, {make_const<float>({2, 2}, {0, 0, 0, 0}), vec<float>({1, 2})}, 6),
                {1, 2, 1, 2});
}

// Symbolic shapes at load time: symbols broadcast against 1 and against themselves.
TEST(ElementwiseBroadcast, SymbolicInference) {
  const ops::OpSchema* s = ops::Registry::builtin().find("", "Mul", 18);
  ASSERT_NE(s, nullptr);
  auto n = make_node("Mul", 2);
  SymShape a, b;
  a.push(Dim::symbol(0));
  a.push(Dim::known(1));
  a.push(Dim::known(384));
  b.push(Dim::symbol(1));
  b.push(Dim::known(384));
  DType in_dt[2] = {DType::kF32, DType::kF32};
  SymShape in_sh[2] = {a, b};
  const TensorView* vals[2] = {nullptr, nullptr};
  DType out_dt[1];
  SymShape out_sh[1];
  ops::InferContext c(n, 18, in_dt, in_sh, vals, out_dt, out_sh, nullptr);
  s->infer(c);
  EXPECT_EQ(out_dt[0], DType::kF32);
  ASSERT_EQ(out_sh[0].rank, 3);
  EXPECT_EQ(out_sh[0][0], Dim::symbol(0));
  EXPECT_EQ(out_sh[0][1], Dim::symbol(1));
  EXPECT_EQ(out_sh[0][2], Dim::known(384));
  // Known incompatible extents fail even with symbols elsewhere.
  in_sh[1].d[1] = Dim::known(5);
  ops::InferContext c2(n, 18, in_dt, in_sh, vals, out_dt, out_sh, nullptr);
  EXPECT_THROW(s->infer(c2), Error);
}

// ---- Strided inputs and in-place --------------------------------------------------------------

// Runs the registered reference kernel on explicit views (inference first, to check it agrees).
void run_views(const graph::Node& n, std::vector<TensorView> in, TensorView out,
               int64_t opset = 18) {
  const ops::OpSchema* s = ops::Registry::builtin().find(n.domain, n.op_type, opset);
  ASSERT_NE(s, nullptr);
  const ops::KernelImpl& k = s->kernels[0];
  EXPECT_TRUE(k.flags & ops::kStridedInputs);
  EXPECT_TRUE(k.flags & ops::kInPlace0);
  std::vector<DType> dt;
  std::vector<SymShape> sh;
  std::vector<const TensorView*> vals;
  for (const auto& v : in) {
    dt.push_back(v.dtype);
    sh.push_back(SymShape::of(v.shape));
    vals.push_back(&v);
  }
  DType odt[1];
  SymShape osh[1];
  ops::InferContext c(n, opset, dt, sh, vals, odt, osh, nullptr);
  s->infer(c);
  ASSERT_EQ(odt[0], out.dtype);
  ASSERT_EQ(osh[0].concrete(), out.shape);
  TensorView outs[1] = {out};
  ops::RunContext rc{n, opset, nullptr, in, outs, nullptr, 0, nullptr};
  k.run(rc);
}

// A [rows, cols] view into a wider [rows, ld] buffer (like a KV cache longer than its length).
TensorView strided_view(std::vector<float>& buf, int64_t rows, int64_t cols, int64_t ld) {
  TensorView v = make_view(buf.data(), DType::kF32, Shape{rows, cols}, buf.size() * 4);
  v.strides[0] = ld;
  v.strides[1] = 1;
  return v;
}

TEST(ElementwiseStrided, PaddedRowsAndTransposedView) {
  std::vector<float> buf(3 * 8);
  for (size_t i = 0; i < buf.size(); ++i) buf[i] = static_cast<float>(i);
  TensorView a = strided_view(buf, 3, 5, 8);  // rows of 5 out of 8
  EXPECT_FALSE(a.is_contiguous());
  std::vector<float> bias = {1, 2, 3, 4, 5};
  TensorView b = make_view(bias.data(), DType::kF32, Shape{5});
  std::vector<float> out(15);
  run_views(make_node("Add", 2), {a, b}, make_view(out.data(), DType::kF32, Shape{3, 5}));
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 5; ++c)
      EXPECT_EQ(out[static_cast<size_t>(r * 5 + c)],
                static_cast<float>(r * 8 + c) + bias[static_cast<size_t>(c)]);

  // Transposed view: element [i][j] at i + 3*j.
  std::vector<float> t = {0, 1, 2, 3, 4, 5};  // storage of a [2,3] matrix
  TensorView tv = make_view(t.data(), DType::kF32, Shape{3, 2});
  tv.strides[0] = 1;
  tv.strides[1] = 3;
  std::vector<float> neg(6);
  run_views(make_node("Neg", 1), {tv}, make_view(neg.data(), DType::kF32, Shape{3, 2}));
  EXPECT_EQ(neg, (std::vector<float>{-0, -3, -1, -4, -2, -5}));
}

TEST(ElementwiseStrided, AllOpKindsMatchContiguousCopies) {
  // Each op on a strided view must equal the same op on the contiguous copy of that view.
  std::vector<float> buf = random_floats(4 * 7, 3, 0.1f, 2.0f);
  TensorView a = strided_view(buf, 4, 5, 7);
  std::vector<float> dense(20);
  ops::copy_to_contiguous(a, dense.data());
  auto dense_c = make_const<float>({4, 5}, dense);
  auto col = make_const<float>({4, 1}, {0.5f, 1.5f, 1.0f, 3.0f});
  std::vector<float> colv = to_vector<float>(*col);
  TensorView colview = make_view(colv.data(), DType::kF32, Shape{4, 1});
  for (const char* op : {"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean"}) {
    auto n = make_node(op, 2);
    std::vector<float> out(20);
    run_views(n, {a, colview}, make_view(out.data(), DType::kF32, Shape{4, 5}));
    auto want = to_vector<float>(*run_node(n, {dense_c, col}));
    EXPECT_EQ(out, want) << op;
    // Strided operand second as well.
    run_views(n, {colview, a}, make_view(out.data(), DType::kF32, Shape{4, 5}));
    EXPECT_EQ(out, to_vector<float>(*run_node(n, {col, dense_c}))) << op;
  }
  for (const char* op : {"Sqrt", "Exp", "Log", "Erf", "Tanh", "Sigmoid", "Relu", "Abs",
                         "Reciprocal", "Floor", "Ceil", "Gelu"}) {
    auto n = make_node(op, 1);
    std::vector<float> out(20);
    run_views(n, {a}, make_view(out.data(), DType::kF32, Shape{4, 5}), 20);
    EXPECT_EQ(out, to_vector<float>(*run_node(n, {dense_c}, 20))) << op;
  }
  // Comparison output bool, Where with a strided X, Cast from a strided view.
  std::vector<uint8_t> lt(20);
  run_views(make_node("Less", 2), {a, colview}, make_view(lt.data(), DType::kBool, Shape{4, 5}));
  EXPECT_EQ(lt, to_vector<uint8_t>(*run_node(make_node("Less", 2), {dense_c, col})));
  TensorView cond = make_view(lt.data(), DType::kBool, Shape{4, 5});
  std::vector<float> w(20);
  run_views(make_node("Where", 3), {cond, a, colview},
            make_view(w.data(), DType::kF32, Shape{4, 5}));
  for (size_t i = 0; i < 20; ++i) EXPECT_EQ(w[i], lt[i] ? dense[i] : colv[i / 5]) << i;
  auto cn = make_node("Cast", 1);
  set_attr(cn, "to", int64_t{10});
  std::vector<uint16_t> h(20);
  run_views(cn, {a}, make_view(h.data(), DType::kF16, Shape{4, 5}));
  for (size_t i = 0; i < 20; ++i) EXPECT_EQ(h[i], f32_to_f16(dense[i])) << i;
}

TEST(ElementwiseStrided, BroadcastStrideZeroView) {
  // An input that is itself an expanded view (stride 0) must read as broadcast.
  std::vector<float> row = {1, 2, 3};
  TensorView e = make_view(row.data(), DType::kF32, Shape{4, 3});
  e.strides[0] = 0;
  std::vector<float> one = {10};
  std::vector<float> out(12);
  run_views(make_node("Mul", 2), {e, make_view(one.data(), DType::kF32, Shape{})},
            make_view(out.data(), DType::kF32, Shape{4, 3}));
  EXPECT_EQ(out, (std::vector<float>{10, 20, 30, 10, 20, 30, 10, 20, 30, 10, 20, 30}));
}

TEST(ElementwiseStrided, InPlaceOnInput0) {
  std::vector<float> x = {1, 2, 3, 4, 5, 6};
  std::vector<float> y = {10, 20, 30};
  TensorView xv = make_view(x.data(), DType::kF32, Shape{2, 3});
  run_views(make_node("Add", 2), {xv, make_view(y.data(), DType::kF32, Shape{3})}, xv);
  EXPECT_EQ(x, (std::vector<float>{11, 22, 33, 14, 25, 36}));
  run_views(make_node("Sigmoid", 1), {xv}, xv);
  EXPECT_NEAR(x[0], 1.0f / (1.0f + std::exp(-11.0f)), 1e-7f);
  std::vector<float> z = {0, 0, 1, 1, 2, 2};
  TensorView zv = make_view(z.data(), DType::kF32, Shape{2, 3});
  run_views(make_node("Max", 3),
            {zv, make_view(y.data(), DType::kF32, Shape{3}),
             make_view(x.data(), DType::kF32, Shape{2, 3})},
            zv);
  EXPECT_EQ(z, (std::vector<float>{10, 20, 30, 10, 20, 30}));
}

// ---- Registry ---------------------------------------------------------------------------------

TEST(ElementwiseRegistry, OpsetCoverage) {
  const auto& r = ops::Registry::builtin();
  for (const char* op :
       {"Add",     "Sub", "Mul", "Div",        "Pow", "Sqrt", "Exp",   "Log",  "Tanh",  "Sigmoid",
        "Relu",    "Neg", "Abs", "Reciprocal", "Min", "Max",  "Sum",   "Mean", "Equal", "Less",
        "Greater", "Not", "And", "Or",         "Xor", "Cast", "Floor", "Ceil", "Gelu"})
    for (int opset = 6; opset <= 21; ++opset)
      EXPECT_NE(r.find("", op, opset), nullptr) << op << " opset " << opset;
  for (const char* op : {"Erf", "Where"}) EXPECT_NE(r.find("", op, 9), nullptr) << op;
  for (const char* op : {"LessOrEqual", "GreaterOrEqual"})
    EXPECT_NE(r.find("ai.onnx", op, 12), nullptr) << op;
  EXPECT_NE(r.find("com.microsoft", "Gelu", 1), nullptr);
  EXPECT_EQ(r.find("", "Erf", 8), nullptr);
}

TEST(ElementwiseRegistry, LargeFloatAddIsFast) {
  // A reference kernel must not be absurdly slow: 16M-element broadcast add.
  auto a = make_const<float>({1024, 4096}, std::vector<float>(1024 * 4096, 1.0f));
  auto b = make_const<float>({4096}, std::vector<float>(4096, 2.0f));
  auto out = run("Add", {a, b});
  EXPECT_EQ(to_vector<float>(*out)[1024 * 4096 - 1], 3.0f);
}

}  // namespace
}  // namespace wrun::testing
