// Elementwise family, second part: activations, trigonometry, Clip, Mod, Sign, Round, IsNaN,
// IsInf, BitShift, CastLike. Hand-computed values per op.
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "graph/dtype.h"
#include "tests/op_test_util.h"

namespace wrun::testing {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

template <class T>
ConstPtr vec(std::vector<T> v) {
  return make_const<T>(Shape{static_cast<int64_t>(v.size())}, v);
}
template <class T>
ConstPtr scalar(T v) {
  return make_const<T>(Shape{}, std::vector<T>{v});
}

ConstPtr run(const graph::Node& n, const std::vector<ConstPtr>& in, int64_t opset = 18) {
  auto out = eval(n, in, opset);
  EXPECT_EQ(out.size(), 1u);
  return out[0];
}
ConstPtr run(const std::string& op, const std::vector<ConstPtr>& in, int64_t opset = 18) {
  return run(make_node(op, static_cast<int>(in.size())), in, opset);
}

void expect_floats(const graph::Constant& c, const std::vector<float>& want, float tol = 1e-6f) {
  ASSERT_EQ(c.dtype, DType::kF32);
  auto got = to_vector<float>(c);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    if (std::isnan(want[i]))
      EXPECT_TRUE(std::isnan(got[i])) << "at " << i;
    else if (std::isinf(want[i]))
      EXPECT_EQ(got[i], want[i]) << "at " << i;
    else
      EXPECT_NEAR(got[i], want[i], tol * std::max(1.0f, std::fabs(want[i]))) << "at " << i;
  }
}
std::vector<bool> bools(const graph::Constant& c) {
  EXPECT_EQ(c.dtype, DType::kBool);
  std::vector<bool> r;
  for (uint8_t b : to_vector<uint8_t>(c)) r.push_back(b != 0);
  return r;
}

// ---- Activations ------------------------------------------------------------------------------

TEST(Elementwise2Activation, LeakyRelu) {
  auto x = vec<float>({-2, -0.5f, 0, 3});
  expect_floats(*run("LeakyRelu", {x}), {-0.02f, -0.005f, 0, 3});
  auto n = make_node("LeakyRelu", 1);
  set_attr(n, "alpha", 0.5f);
  expect_floats(*run(n, {x}), {-1, -0.25f, 0, 3});
  expect_floats(*run(n, {x}, 6), {-1, -0.25f, 0, 3});
}

TEST(Elementwise2Activation, PReluBroadcastsSlopeToX) {
  // X [2,3], slope [3] (per column) and slope [1] (shared).
  auto x = make_const<float>(Shape{2, 3}, {-1, -2, -3, 4, -5, 6});
  auto out = run("PRelu", {x, vec<float>({0.5f, 0.25f, 2})});
  EXPECT_EQ(out->shape, (Shape{2, 3}));
  expect_floats(*out, {-0.5f, -0.5f, -6, 4, -1.25f, 6});
  expect_floats(*run("PRelu", {x, vec<float>({0.1f})}), {-0.1f, -0.2f, -0.3f, 4, -0.5f, 6});
  // slope [2,1] (per row) against X [2,3].
  auto rows = make_const<float>(Shape{2, 1}, {10, 100});
  expect_floats(*run("PRelu", {x, rows}), {-10, -20, -30, 4, -500, 6});
  // Integer types (opset 9+).
  auto xi = vec<int32_t>({-3, 0, 5});
  EXPECT_EQ(to_vector<int32_t>(*run("PRelu", {xi, scalar<int32_t>(2)})),
            (std::vector<int32_t>{-6, 0, 5}));
}

TEST(Elementwise2Activation, PReluRejectsSlopeThatDoesNotBroadcastToX) {
  auto x = make_const<float>(Shape{3}, {1, 2, 3});
  // Multidirectionally [3] and [2,1] broadcast to [2,3]; unidirectionally they do not.
  auto slope = make_const<float>(Shape{2, 1}, {1, 2});
  EXPECT_THROW(run("PRelu", {x, slope}), Error);
  EXPECT_THROW(run("PRelu", {x, vec<float>({1, 2})}), Error);
}

TEST(Elementwise2Activation, HardSigmoidHardSwish) {
  auto x = vec<float>({-4, -1, 0, 1, 4});
  expect_floats(*run("HardSigmoid", {x}), {0, 0.3f, 0.5f, 0.7f, 1});
  auto n = make_node("HardSigmoid", 1);
  set_attr(n, "alpha", 0.5f);
  set_attr(n, "beta", 0.25f);
  expect_floats(*run(n, {x}), {0, 0, 0.25f, 0.75f, 1});
  // x * clamp(x/6 + 1/2, 0, 1).
  expect_floats(*run("HardSwish", {vec<float>({-4, -3, -1, 0, 1, 3, 4})}, 14),
                {0, 0, -1.0f / 3, 0, 2.0f / 3, 3, 4});
}

TEST(Elementwise2Activation, EluSeluCelu) {
  auto x = vec<float>({-1, 0, 2});
  const float em1 = std::exp(-1.0f) - 1;
  expect_floats(*run("Elu", {x}), {em1, 0, 2});
  auto n = make_node("Elu", 1);
  set_attr(n, "alpha", 2.0f);
  expect_floats(*run(n, {x}), {2 * em1, 0, 2});

  const float a = 1.67326319217681884765625f, g = 1.05070102214813232421875f;
  expect_floats(*run("Selu", {x}), {g * a * em1, 0, g * 2});
  // Opset 1's defaults were 1.6732 and 1.0507.
  expect_floats(*run("Selu", {x}, 1), {1.0507f * 1.6732f * em1, 0, 1.0507f * 2});
  auto s = make_node("Selu", 1);
  set_attr(s, "alpha", 2.0f);
  set_attr(s, "gamma", 3.0f);
  expect_floats(*run(s, {x}), {6 * em1, 0, 6});

  // max(0,x) + min(0, alpha*(exp(x/alpha)-1)).
  auto c = make_node("Celu", 1);
  set_attr(c, "alpha", 2.0f);
  expect_floats(*run(c, {x}, 12), {2 * (std::exp(-0.5f) - 1), 0, 2});
}

TEST(Elementwise2Activation, SoftplusSoftsignThresholdedRelu) {
  auto x = vec<float>({-100, -1, 0, 1, 100});
  expect_floats(*run("Softplus", {x}),
                {std::log1p(std::exp(-100.0f)), std::log(1 + std::exp(-1.0f)), std::log(2.0f),
                 std::log(1 + std::exp(1.0f)), 100});
  expect_floats(*run("Softsign", {x}), {-100.0f / 101, -0.5f, 0, 0.5f, 100.0f / 101});
  expect_floats(*run("ThresholdedRelu", {x}, 10), {0, 0, 0, 0, 100});
  auto n = make_node("ThresholdedRelu", 1);
  set_attr(n, "alpha", -2.0f);
  expect_floats(*run(n, {x}, 10), {0, -1, 0, 1, 100});
}

TEST(Elementwise2Activation, ShrinkFloatAndInteger) {
  auto n = make_node("Shrink", 1);
  set_attr(n, "lambd", 1.5f);
  set_attr(n, "bias", 1.0f);
  expect_floats(*run(n, {vec<float>({-3, -1.5f, -1, 0, 1.5f, 2})}, 9), {-2, 0, 0, 0, 0, 1});
  EXPECT_EQ(to_vector<int32_t>(*run(n, {vec<int32_t>({-3, -1, 0, 1, 2})}, 9)),
            (std::vector<int32_t>{-2, 0, 0, 0, 1}));
  // Default lambd 0.5, bias 0: values beyond +-0.5 pass.
  expect_floats(*run("Shrink", {vec<float>({-0.6f, 0.5f, 0.7f})}, 9), {-0.6f, 0, 0.7f});
}

// ---- Trigonometry -----------------------------------------------------------------------------

TEST(Elementwise2Trig, ValuesAgainstLibm) {
  const std::vector<float> x = {-0.5f, 0, 0.25f, 0.75f};
  auto in = vec<float>(x);
  auto each = [&](const char* op, float (*f)(float)) {
    std::vector<float> want;
    for (float v : x) want.push_back(f(v));
    expect_floats(*run(op, {in}), want);
  };
  each("Sin", [](float v) { return std::sin(v); });
  each("Cos", [](float v) { return std::cos(v); });
  each("Tan", [](float v) { return std::tan(v); });
  each("Asin", [](float v) { return std::asin(v); });
  each("Acos", [](float v) { return std::acos(v); });
  each("Atan", [](float v) { return std::atan(v); });
  each("Sinh", [](float v) { return std::sinh(v); });
  each("Cosh", [](float v) { return std::cosh(v); });
  each("Asinh", [](float v) { return std::asinh(v); });
  each("Atanh", [](float v) { return std::atanh(v); });
  expect_floats(*run("Acosh", {vec<float>({1, 2, 0.5f})}), {0, std::acosh(2.0f), kNaN});
}

TEST(Elementwise2Trig, HandValues) {
  const float pi = 3.14159265358979f;
  expect_floats(*run("Sin", {vec<float>({0, pi / 2, pi / 6})}), {0, 1, 0.5f});
  expect_floats(*run("Cos", {vec<float>({0, pi / 3})}), {1, 0.5f});
  expect_floats(*run("Atan", {vec<float>({1, -1})}), {pi / 4, -pi / 4});
  expect_floats(*run("Asin", {vec<float>({2})}), {kNaN});
  expect_floats(*run("Atanh", {vec<float>({1})}), {kInf});
}

// ---- Clip -------------------------------------------------------------------------------------

TEST(Elementwise2Clip, InputsAtOpset11AndLater) {
  auto x = vec<float>({-5, -1, 0, 1, 5, kNaN});
  auto n = make_node("Clip", 3);
  expect_floats(*run(n, {x, scalar<float>(-2), scalar<float>(2)}, 13), {-2, -1, 0, 1, 2, kNaN});
  // Absent min, absent max, both absent.
  expect_floats(*run(n, {x, nullptr, scalar<float>(0.5f)}, 11), {-5, -1, 0, 0.5f, 0.5f, kNaN});
  expect_floats(*run(make_node("Clip", 2), {x, scalar<float>(0)}, 11), {0, 0, 0, 1, 5, kNaN});
  expect_floats(*run(make_node("Clip", 1), {x}, 11), {-5, -1, 0, 1, 5, kNaN});
  // min > max: every value becomes max.
  expect_floats(*run(n, {x, scalar<float>(3), scalar<float>(1)}, 13), {1, 1, 1, 1, 1, kNaN});
  // A bound must hold one element.
  EXPECT_THROW(run(n, {x, vec<float>({0, 1}), nullptr}, 13), Error);
}

TEST(Elementwise2Clip, AttributesBeforeOpset11) {
  auto x = vec<float>({-5, -1, 0, 1, 5});
  auto n = make_node("Clip", 1);
  set_attr(n, "min", -2.0f);
  set_attr(n, "max", 0.5f);
  expect_floats(*run(n, {x}, 6), {-2, -1, 0, 0.5f, 0.5f});
  expect_floats(*run(n, {x}, 1), {-2, -1, 0, 0.5f, 0.5f});
  auto only_min = make_node("Clip", 1);
  set_attr(only_min, "min", 0.0f);
  expect_floats(*run(only_min, {x}, 6), {0, 0, 0, 1, 5});
  auto only_max = make_node("Clip", 1);
  set_attr(only_max, "max", 0.0f);
  // Absent bounds default to the float range (+-FLT_MAX), so infinities are clipped.
  expect_floats(*run(only_max, {vec<float>({-kInf, -1, 3})}, 1),
                {std::numeric_limits<float>::lowest(), -1, 0});
  expect_floats(*run(only_min, {vec<float>({kInf})}, 6), {std::numeric_limits<float>::max()});
  // The attribute form ignores bounds given as inputs (there are none before opset 11).
  EXPECT_THROW(run(make_node("Clip", 3), {x, scalar<float>(0), scalar<float>(1)}, 10), Error);
}

TEST(Elementwise2Clip, IntegerTypesFromOpset12) {
  auto n = make_node("Clip", 3);
  auto x = vec<int8_t>({-128, -3, 0, 7, 127});
  EXPECT_EQ(to_vector<int8_t>(*run(n, {x, scalar<int8_t>(-4), scalar<int8_t>(5)}, 12)),
            (std::vector<int8_t>{-4, -3, 0, 5, 5}));
  EXPECT_EQ(to_vector<int8_t>(*run(n, {x, nullptr, scalar<int8_t>(0)}, 13)),
            (std::vector<int8_t>{-128, -3, 0, 0, 0}));
  auto big = vec<int64_t>({std::numeric_limits<int64_t>::max(), -1});
  EXPECT_EQ(
      to_vector<int64_t>(*run(n, {big, scalar<int64_t>(0), scalar<int64_t>(9007199254740993)}, 13)),
      (std::vector<int64_t>{9007199254740993, 0}));
  auto u = vec<uint64_t>({1, 50});
  EXPECT_EQ(to_vector<uint64_t>(*run(make_node("Clip", 2), {u, scalar<uint64_t>(10)}, 13)),
            (std::vector<uint64_t>{10, 50}));
  // Integers are not accepted at opset 11.
  EXPECT_THROW(run(n, {x, scalar<int8_t>(-4), scalar<int8_t>(5)}, 11), Error);
}

// ---- Mod --------------------------------------------------------------------------------------

TEST(Elementwise2Mod, IntegerSignFollowsDivisor) {
  auto a = vec<int32_t>({7, -7, 7, -7, 6, 0});
  auto b = vec<int32_t>({3, 3, -3, -3, 3, 5});
  EXPECT_EQ(to_vector<int32_t>(*run("Mod", {a, b}, 13)),
            (std::vector<int32_t>{1, 2, -2, -1, 0, 0}));
  auto n = make_node("Mod", 2);
  set_attr(n, "fmod", int64_t{1});
  EXPECT_EQ(to_vector<int32_t>(*run(n, {a, b}, 13)), (std::vector<int32_t>{1, -1, 1, -1, 0, 0}));
}

TEST(Elementwise2Mod, IntegerEdgeCasesDoNotTrap) {
  auto a = vec<int8_t>({-128, -128, 5, -5});
  auto b = vec<int8_t>({-1, 127, 0, 0});
  // -128 mod 127 = 126 (sign of divisor); division by zero gives 0.
  EXPECT_EQ(to_vector<int8_t>(*run("Mod", {a, b}, 13)), (std::vector<int8_t>{0, 126, 0, 0}));
  auto u = vec<uint8_t>({250, 7});
  EXPECT_EQ(to_vector<uint8_t>(*run("Mod", {u, vec<uint8_t>({7, 250})}, 13)),
            (std::vector<uint8_t>{5, 7}));
}

TEST(Elementwise2Mod, FloatFmodAndNumpyMod) {
  auto a = vec<float>({5.5f, -5.5f, 5.5f, -5.5f, 4, -4});
  auto b = vec<float>({2, 2, -2, -2, 2, 2});
  auto n = make_node("Mod", 2);
  set_attr(n, "fmod", int64_t{1});
  expect_floats(*run(n, {a, b}, 13), {1.5f, -1.5f, 1.5f, -1.5f, 0, -0.0f});
  // fmod=0 on floats: numpy.mod (sign of the divisor).
  expect_floats(*run("Mod", {a, b}, 13), {1.5f, 0.5f, -0.5f, -1.5f, 0, 0});
  EXPECT_TRUE(std::isnan(to_vector<float>(*run(n, {scalar<float>(1), scalar<float>(0)}, 13))[0]));
  auto bad = make_node("Mod", 2);
  set_attr(bad, "fmod", int64_t{2});
  EXPECT_THROW(run(bad, {a, b}, 13), Error);
}

TEST(Elementwise2Mod, Broadcasts) {
  auto a = make_const<int64_t>(Shape{2, 2}, {10, -10, 11, -11});
  EXPECT_EQ(to_vector<int64_t>(*run("Mod", {a, vec<int64_t>({3, -4})}, 10)),
            (std::vector<int64_t>{1, -2, 2, -3}));
}

// ---- Sign, Round, IsNaN, IsInf ----------------------------------------------------------------

TEST(Elementwise2Misc, Sign) {
  expect_floats(*run("Sign", {vec<float>({-2.5f, 0, 3, -kInf, kNaN})}), {-1, 0, 1, -1, kNaN});
  EXPECT_EQ(to_vector<int64_t>(*run("Sign", {vec<int64_t>({-7, 0, 9})})),
            (std::vector<int64_t>{-1, 0, 1}));
  EXPECT_EQ(to_vector<uint8_t>(*run("Sign", {vec<uint8_t>({0, 200})})),
            (std::vector<uint8_t>{0, 1}));
}

TEST(Elementwise2Misc, RoundHalfToEven) {
  expect_floats(*run("Round",
                     {vec<float>({0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 2.4f, 2.6f, -2.6f,
                                  0.49999997f, kNaN, kInf})},
                     11),
                {0, 2, 2, -0.0f, -2, -2, 2, 3, -3, 0, kNaN, kInf});
  auto d = to_vector<double>(*run("Round", {vec<double>({3.5, 4.5, 1e300})}, 11));
  EXPECT_EQ(d, (std::vector<double>{4, 4, 1e300}));
}

TEST(Elementwise2Misc, IsNaNIsInf) {
  auto x = vec<float>({1, kNaN, kInf, -kInf, 0});
  EXPECT_EQ(bools(*run("IsNaN", {x})), (std::vector<bool>{0, 1, 0, 0, 0}));
  EXPECT_EQ(bools(*run("IsInf", {x}, 10)), (std::vector<bool>{0, 0, 1, 1, 0}));
  auto pos = make_node("IsInf", 1);
  set_attr(pos, "detect_negative", int64_t{0});
  EXPECT_EQ(bools(*run(pos, {x}, 10)), (std::vector<bool>{0, 0, 1, 0, 0}));
  auto neg = make_node("IsInf", 1);
  set_attr(neg, "detect_positive", int64_t{0});
  EXPECT_EQ(bools(*run(neg, {x}, 10)), (std::vector<bool>{0, 0, 0, 1, 0}));
  auto none = make_node("IsInf", 1);
  set_attr(none, "detect_positive", int64_t{0});
  set_attr(none, "detect_negative", int64_t{0});
  EXPECT_EQ(bools(*run(none, {x}, 10)), (std::vector<bool>{0, 0, 0, 0, 0}));
  auto xd = vec<double>({-std::numeric_limits<double>::infinity(), 1e308});
  EXPECT_EQ(bools(*run("IsInf", {xd}, 10)), (std::vector<bool>{1, 0}));
}

// ---- BitShift ---------------------------------------------------------------------------------

TEST(Elementwise2BitShift, LeftRightAllWidths) {
  auto left = make_node("BitShift", 2);
  set_attr(left, "direction", std::string("LEFT"));
  auto right = make_node("BitShift", 2);
  set_attr(right, "direction", std::string("RIGHT"));
  EXPECT_EQ(to_vector<uint8_t>(*run(left, {vec<uint8_t>({1, 0x81, 3}), vec<uint8_t>({7, 1, 8})})),
            (std::vector<uint8_t>{0x80, 0x02, 0}));
  EXPECT_EQ(to_vector<uint16_t>(*run(right, {vec<uint16_t>({0x8000, 16}), scalar<uint16_t>(4)})),
            (std::vector<uint16_t>{0x0800, 1}));
  EXPECT_EQ(to_vector<uint32_t>(*run(left, {vec<uint32_t>({16, 4, 1}), vec<uint32_t>({1, 2, 31})})),
            (std::vector<uint32_t>{32, 16, 0x80000000u}));
  EXPECT_EQ(to_vector<uint64_t>(*run(right, {scalar<uint64_t>(~0ull), vec<uint64_t>({63, 64})})),
            (std::vector<uint64_t>{1, 0}));
  auto bad = make_node("BitShift", 2);
  set_attr(bad, "direction", std::string("left"));
  EXPECT_THROW(run(bad, {vec<uint8_t>({1}), vec<uint8_t>({1})}), Error);
  EXPECT_THROW(run(left, {vec<int32_t>({1}), vec<int32_t>({1})}), Error);  // unsigned only
}

// ---- CastLike ---------------------------------------------------------------------------------

TEST(Elementwise2CastLike, TakesTheSecondInputsDType) {
  auto x = vec<float>({-1.7f, 0, 2.9f, 300});
  auto as_i32 = run("CastLike", {x, scalar<int32_t>(0)}, 15);
  EXPECT_EQ(to_vector<int32_t>(*as_i32), (std::vector<int32_t>{-1, 0, 2, 300}));
  EXPECT_EQ(to_vector<uint8_t>(*run("CastLike", {x, vec<bool>({true, false})}, 15)),
            (std::vector<uint8_t>{1, 0, 1, 1}));
  auto as_f64 = run("CastLike", {vec<int64_t>({1, -(int64_t{1} << 53)}), scalar<double>(0)}, 15);
  EXPECT_EQ(to_vector<double>(*as_f64), (std::vector<double>{1, -9007199254740992.0}));
  auto half = run("CastLike", {x, graph::Constant::copy_of(DType::kF16, Shape{}, "\0\0")}, 15);
  EXPECT_EQ(half->dtype, DType::kF16);
  EXPECT_EQ(half->shape, (Shape{4}));
  EXPECT_EQ(to_vector<uint16_t>(*half)[3], f32_to_f16(300));
  // Same dtype: a copy.
  expect_floats(*run("CastLike", {x, scalar<float>(5)}, 15), {-1.7f, 0, 2.9f, 300});
}

// ---- All kernels agree with the reference on random data --------------------------------------

TEST(Elementwise2Random, AllKernelsMatchReference) {
  auto x = make_const<float>(Shape{3, 17}, random_floats(51, 7, -4, 4));
  for (const char* op :
       {"LeakyRelu", "HardSigmoid", "HardSwish", "Elu", "Selu", "Celu", "Softplus", "Softsign",
        "ThresholdedRelu", "Shrink", "Sin", "Cos", "Atan", "Sinh", "Sign", "Round", "Clip"})
    expect_all_kernels_match(make_node(op, 1), {x}, 1e-6, 18);
}

}  // namespace
}  // namespace wrun::testing
