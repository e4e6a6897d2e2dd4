// Quantization ops: hand-computed cases (including the ONNX node-test data), rounding and
// saturation edges, and seeded random cases against plain int64 loops in this file.
#include <chrono>
#include <cstdio>

#include "op_test_util.h"
#include "ops/quant/quant.h"
#include "ops/registry.h"

namespace wrun {
namespace {

using namespace testing;  // tests/op_test_util.h

// The family is reached through the registry (evaluate()); say so loudly until it is listed.
class QuantTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!ops::Registry::builtin().knows("", "MatMulInteger"))
      GTEST_SKIP() << "quant_schemas() is not listed in ops/registry.cc yet";
  }
};

template <class T>
std::vector<T> random_ints(size_t n, uint32_t seed, int lo, int hi) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> d(lo, hi);
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(d(rng));
  return v;
}

template <class T>
std::vector<T> random_q(size_t n, uint32_t seed) {
  return random_ints<T>(n, seed, std::numeric_limits<T>::min(), std::numeric_limits<T>::max());
}

// ---------------------------------------------------------------- QuantizeLinear / Dequantize

using QuantQuantizeTest = QuantTest;

TEST_F(QuantQuantizeTest, NodeTestCase) {
  auto n = make_node("QuantizeLinear", 3);
  auto y = eval(n,
                {make_const<float>({6}, {0, 2, 3, 1000, -254, -1000}), make_const<float>({}, {2}),
                 make_const<uint8_t>({}, {128})},
                13);
  EXPECT_EQ(y[0]->dtype, DType::kU8);
  EXPECT_EQ(to_vector<uint8_t>(*y[0]), (std::vector<uint8_t>{128, 129, 130, 255, 1, 0}));
}

TEST_F(QuantQuantizeTest, RoundsHalfToEven) {
  auto n = make_node("QuantizeLinear", 3);
  const std::vector<float> x = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 3.5f, 0.49999997f};
  auto y = eval(
      n, {make_const<float>({8}, x), make_const<float>({}, {1}), make_const<uint8_t>({}, {100})});
  EXPECT_EQ(to_vector<uint8_t>(*y[0]),
            (std::vector<uint8_t>{100, 102, 102, 100, 98, 98, 104, 100}));
  // Ties after the division: 5 / 2 = 2.5 -> 2, 7 / 2 = 3.5 -> 4, -3 / 2 = -1.5 -> -2.
  auto y2 = eval(n, {make_const<float>({3}, {5, 7, -3}), make_const<float>({}, {2}),
                     make_const<int8_t>({}, {0})});
  EXPECT_EQ(to_vector<int8_t>(*y2[0]), (std::vector<int8_t>{2, 4, -2}));
}

TEST_F(QuantQuantizeTest, SaturatesInt8AndUint8) {
  auto n = make_node("QuantizeLinear", 3);
  const std::vector<float> x = {127.4f, 127.5f, 128, -128.5f, -129, 1e9f, -1e9f, -127.5f};
  auto y =
      eval(n, {make_const<float>({8}, x), make_const<float>({}, {1}), make_const<int8_t>({}, {0})});
  EXPECT_EQ(to_vector<int8_t>(*y[0]),
            (std::vector<int8_t>{127, 127, 127, -128, -128, 127, -128, -128}));
  // A zero point shifts before saturation: 250 + 10 saturates, -5 + 3 saturates at 0.
  auto y2 = eval(n, {make_const<float>({3}, {250, -5, -3}), make_const<float>({}, {1}),
                     make_const<uint8_t>({}, {10})});
  EXPECT_EQ(to_vector<uint8_t>(*y2[0]), (std::vector<uint8_t>{255, 5, 7}));
  auto y3 = eval(n, {make_const<float>({2}, {-5, -11}), make_const<float>({}, {1}),
                     make_const<uint8_t>({}, {3})});
  EXPECT_EQ(to_vector<uint8_t>(*y3[0]), (std::vector<uint8_t>{0, 0}));
}

TEST_F(QuantQuantizeTest, DefaultZeroPointIsUint8AndInt32Input) {
  auto n = make_node("QuantizeLinear", 2);
  auto y = eval(n, {make_const<float>({3}, {-1, 3, 600}), make_const<float>({}, {2})}, 10);
  EXPECT_EQ(y[0]->dtype, DType::kU8);
  EXPECT_EQ(to_vector<uint8_t>(*y[0]), (std::vector<uint8_t>{0, 2, 255}));
  auto n3 = make_node("QuantizeLinear", 3);
  auto yi = eval(n3, {make_const<int32_t>({4}, {5, 7, -300, 9}), make_const<float>({}, {2}),
                      make_const<int8_t>({}, {1})});
  EXPECT_EQ(to_vector<int8_t>(*yi[0]), (std::vector<int8_t>{3, 5, -128, 5}));
}

TEST_F(QuantQuantizeTest, PerAxis) {
  // The node test's data: axis 1 (the default) of [1, 3, 3, 2].
  const std::vector<float> x = {-162, 10, -100, 232, -20,  -50,  -76,  0,    0,
                                252,  32, -44,  245, -485, -960, -270, -375, -470};
  const std::vector<uint8_t> q = {3,  89, 34, 200, 74, 59, 5,   24,  24,
                                  87, 32, 13, 245, 99, 4,  142, 121, 102};
  auto n = make_node("QuantizeLinear", 3);
  auto y = eval(n,
                {make_const<float>({1, 3, 3, 2}, x), make_const<float>({3}, {2, 4, 5}),
                 make_const<uint8_t>({3}, {84, 24, 196})},
                13);
  EXPECT_EQ(to_vector<uint8_t>(*y[0]), q);
  auto d = make_node("DequantizeLinear", 3);
  auto back = eval(d,
                   {make_const<uint8_t>({1, 3, 3, 2}, q), make_const<float>({3}, {2, 4, 5}),
                    make_const<uint8_t>({3}, {84, 24, 196})},
                   13);
  EXPECT_EQ(to_vector<float>(*back[0]), x);
  // The last axis, negative: scale per column of a [2, 3].
  set_attr(n, "axis", int64_t{-1});
  auto y2 = eval(n,
                 {make_const<float>({2, 3}, {1, 1, 1, 4, 4, 4}), make_const<float>({3}, {1, 2, 4}),
                  make_const<int8_t>({3}, {0, 1, -1})},
                 13);
  EXPECT_EQ(to_vector<int8_t>(*y2[0]), (std::vector<int8_t>{1, 1, -1, 4, 3, 0}));
}

TEST_F(QuantQuantizeTest, ShapeErrors) {
  auto n = make_node("QuantizeLinear", 3);
  // Opset 10 has no axis: scales must be per-tensor.
  EXPECT_THROW(eval(n,
                    {make_const<float>({2, 3}, std::vector<float>(6, 1)),
                     make_const<float>({3}, {1, 2, 3}), make_const<uint8_t>({3}, {0, 0, 0})},
                    10),
               Error);
  // The scale must match the axis extent.
  EXPECT_THROW(eval(n,
                    {make_const<float>({2, 3}, std::vector<float>(6, 1)),
                     make_const<float>({2}, {1, 2}), make_const<uint8_t>({2}, {0, 0})},
                    13),
               Error);
}

TEST_F(QuantQuantizeTest, DequantizeCases) {
  auto d = make_node("DequantizeLinear", 3);
  auto y = eval(d, {make_const<uint8_t>({4}, {0, 3, 128, 255}), make_const<float>({}, {2}),
                    make_const<uint8_t>({}, {128})});
  EXPECT_EQ(to_vector<float>(*y[0]), (std::vector<float>{-256, -250, 0, 254}));
  auto yi8 = eval(d, {make_const<int8_t>({3}, {-128, 0, 127}), make_const<float>({}, {0.5f}),
                      make_const<int8_t>({}, {-1})});
  EXPECT_EQ(to_vector<float>(*yi8[0]), (std::vector<float>{-63.5f, 0.5f, 64}));
  auto d2 = make_node("DequantizeLinear", 2);
  auto y32 =
      eval(d2, {make_const<int32_t>({3}, {-1000000, 7, 123456}), make_const<float>({}, {0.25f})});
  EXPECT_EQ(to_vector<float>(*y32[0]), (std::vector<float>{-250000, 1.75f, 30864}));
  // Axis 0 of [2, 2]: rows scaled separately.
  set_attr(d, "axis", int64_t{0});
  auto ya = eval(d,
                 {make_const<int8_t>({2, 2}, {1, 2, 3, 4}), make_const<float>({2}, {1, 10}),
                  make_const<int8_t>({2}, {1, 0})},
                 13);
  EXPECT_EQ(to_vector<float>(*ya[0]), (std::vector<float>{0, 1, 30, 40}));
}

TEST_F(QuantQuantizeTest, RandomRoundTripAgainstFormula) {
  const std::vector<float> x = testing::random_floats(4 * 5 * 6, 11, -30, 30);
  const std::vector<float> scale = {0.1f, 0.25f, 0.3f, 0.05f, 1.0f};
  const std::vector<int8_t> zp = {0, -3, 7, 100, -128};
  auto n = make_node("QuantizeLinear", 3);
  auto y = eval(
      n,
      {make_const<float>({4, 5, 6}, x), make_const<float>({5}, scale), make_const<int8_t>({5}, zp)},
      13);
  const auto q = to_vector<int8_t>(*y[0]);
  for (size_t i = 0; i < x.size(); ++i) {
    const size_t ch = i / 6 % 5;
    const double v = std::nearbyint(x[i] / scale[ch]) + zp[ch];
    ASSERT_EQ(q[i], static_cast<int8_t>(std::clamp(v, -128.0, 127.0))) << i;
  }
}

// ---------------------------------------------------------------- DynamicQuantizeLinear

using QuantDynamicTest = QuantTest;

struct DynResult {
  std::vector<uint8_t> y;
  float scale;
  uint8_t zp;
};

DynResult dyn_quant(const std::vector<float>& x, const Shape& s) {
  auto n = make_node("DynamicQuantizeLinear", 1, 3);
  auto r = eval(n, {make_const<float>(s, x)}, 11);
  EXPECT_EQ(r[1]->shape.rank, 0);
  EXPECT_EQ(r[2]->shape.rank, 0);
  return {to_vector<uint8_t>(*r[0]), to_vector<float>(*r[1])[0], to_vector<uint8_t>(*r[2])[0]};
}

TEST_F(QuantDynamicTest, NodeTestCases) {
  auto a = dyn_quant({0, 2, -3, -2.5f, 1.34f, 0.5f}, {6});
  EXPECT_EQ(a.y, (std::vector<uint8_t>{153, 255, 0, 26, 221, 179}));
  EXPECT_EQ(a.scale, 5.0f / 255.0f);
  EXPECT_EQ(a.zp, 153);
  // All negative: the range is widened to include 0 at the top.
  auto b = dyn_quant({-1, -2.1f, -1.3f, -2.5f, -3.34f, -4}, {6});
  EXPECT_EQ(b.y, (std::vector<uint8_t>{191, 121, 172, 96, 42, 0}));
  EXPECT_EQ(b.zp, 255);
  // All positive: widened at the bottom.
  auto c = dyn_quant({1, 2.1f, 1.3f, 2.5f, 3.34f, 4, 1.5f, 2.6f, 3.9f, 4, 3, 2.345f}, {3, 4});
  EXPECT_EQ(c.y, (std::vector<uint8_t>{64, 134, 83, 159, 213, 255, 96, 166, 249, 255, 191, 149}));
  EXPECT_EQ(c.scale, 4.0f / 255.0f);
  EXPECT_EQ(c.zp, 0);
}

TEST_F(QuantDynamicTest, ZeroRangeAndTies) {
  // All zeros: the ONNX reference uses a range of 1 (scale 1/255), zero point 0.
  auto z = dyn_quant({0, 0, 0}, {3});
  EXPECT_EQ(z.y, (std::vector<uint8_t>{0, 0, 0}));
  EXPECT_EQ(z.scale, 1.0f / 255.0f);
  EXPECT_EQ(z.zp, 0);
  // Range [-255, 0]: scale 1, zero point 255; x.5 values round half to even.
  auto t = dyn_quant({-255, -0.5f, -1.5f, -2.5f, -100.5f}, {5});
  EXPECT_EQ(t.scale, 1.0f);
  EXPECT_EQ(t.zp, 255);
  EXPECT_EQ(t.y, (std::vector<uint8_t>{0, 255, 253, 253, 155}));
  // Range [-127.5, 127.5]: the zero point 127.5 rounds to 128.
  auto h = dyn_quant({-127.5f, 127.5f, 0}, {3});
  EXPECT_EQ(h.scale, 1.0f);
  EXPECT_EQ(h.zp, 128);
  EXPECT_EQ(h.y, (std::vector<uint8_t>{0, 255, 128}));
}

TEST_F(QuantDynamicTest, RandomAgainstFormula) {
  for (uint32_t seed = 1; seed <= 5; ++seed) {
    const auto x = testing::random_floats(1000, seed, -3.0f + seed, 2.0f + seed);
    auto r = dyn_quant(x, {10, 100});
    float lo = 0, hi = 0;
    for (float v : x) lo = std::min(lo, v), hi = std::max(hi, v);
    const float scale = (hi - lo) / 255.0f;
    const float zp = std::nearbyint(std::clamp(0.0f - lo / scale, 0.0f, 255.0f));
    ASSERT_EQ(r.scale, scale);
    ASSERT_EQ(r.zp, static_cast<uint8_t>(zp));
    for (size_t i = 0; i < x.size(); ++i) {
      const float q = std::clamp(std::nearbyint(x[i] / scale) + zp, 0.0f, 255.0f);
      ASSERT_EQ(r.y[i], static_cast<uint8_t>(q)) << i;
    }
  }
}

// ---------------------------------------------------------------- MatMulInteger / QLinearMatMul

using QuantMatMulTest = QuantTest;

// Per-element zero point lookup for the test oracle: a parameter of shape `p` broadcast against
// operand shape `x` with the reduced extent set to 1 (per_row: [.., M, 1]; else [.., 1, N]).
int64_t param_at(const std::vector<int64_t>& pv, const Shape& p, const Shape& x, bool per_row,
                 const std::vector<int64_t>& xidx) {
  if (pv.empty()) return 0;
  if (p.numel() == 1) return pv[0];
  Shape ps = p;
  if (per_row && p.rank == 1) ps = Shape{p[0], 1};
  int64_t off = 0;
  for (int i = 0; i < ps.rank; ++i) {
    const int t = i + x.rank - ps.rank;
    const int64_t idx = ps[i] == 1 ? 0 : xidx[t];
    off = off * ps[i] + idx;
  }
  return pv[static_cast<size_t>(off)];
}

// Plain int64 numpy matmul of (A - azp)(B - bzp), with zero points as above.
std::vector<int64_t> matmul_oracle(const std::vector<int64_t>& a, Shape as,
                                   const std::vector<int64_t>& b, Shape bs,
                                   const std::vector<int64_t>& azp, const Shape& azs,
                                   const std::vector<int64_t>& bzp, const Shape& bzs,
                                   Shape* out_shape) {
  const Shape as0 = as, bs0 = bs;
  const bool a1 = as.rank == 1, b1 = bs.rank == 1;
  if (a1) as = Shape{1, as[0]};
  if (b1) bs = Shape{bs[0], 1};
  const int64_t M = as[as.rank - 2], K = as[as.rank - 1], N = bs[bs.rank - 1];
  const int nb = std::max(as.rank, bs.rank) - 2;
  Shape batch;
  for (int d = 0; d < nb; ++d) {
    const int ia = d - (nb - (as.rank - 2)), ib = d - (nb - (bs.rank - 2));
    const int64_t da = ia >= 0 ? as[ia] : 1, db = ib >= 0 ? bs[ib] : 1;
    batch.push(da == 1 ? db : da);
  }
  Shape out = batch;
  if (!a1) out.push(M);
  if (!b1) out.push(N);
  *out_shape = out;
  std::vector<int64_t> y(static_cast<size_t>(batch.numel() * M * N));
  std::vector<int64_t> idx(nb);
  for (int64_t bi = 0; bi < batch.numel(); ++bi) {
    int64_t rest = bi;
    for (int d = nb - 1; d >= 0; --d) idx[d] = rest % batch[d], rest /= batch[d];
    auto operand_index = [&](const Shape& s, int64_t r, int64_t c) {
      std::vector<int64_t> v;
      for (int d = 0; d < s.rank - 2; ++d) v.push_back(s[d] == 1 ? 0 : idx[d + nb - (s.rank - 2)]);
      v.push_back(r), v.push_back(c);
      return v;
    };
    auto flat = [](const Shape& s, const std::vector<int64_t>& v) {
      int64_t off = 0;
      for (int d = 0; d < s.rank; ++d) off = off * s[d] + v[d];
      return off;
    };
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        int64_t s = 0;
        for (int64_t k = 0; k < K; ++k) {
          const auto ai = operand_index(as, i, k), bj = operand_index(bs, k, j);
          const int64_t za = param_at(azp, azs, as0.rank == 1 ? as0 : as, true,
                                      as0.rank == 1 ? std::vector<int64_t>{k} : ai);
          const int64_t zb = param_at(bzp, bzs, bs0.rank == 1 ? bs0 : bs, false,
                                      bs0.rank == 1 ? std::vector<int64_t>{k} : bj);
          s += (a[static_cast<size_t>(flat(as, ai))] - za) *
               (b[static_cast<size_t>(flat(bs, bj))] - zb);
        }
        y[static_cast<size_t>((bi * M + i) * N + j)] = s;
      }
  }
  return y;
}

template <class T>
std::vector<int64_t> widen64(const std::vector<T>& v) {
  return std::vector<int64_t>(v.begin(), v.end());
}

TEST_F(QuantMatMulTest, NodeTestCase) {
  auto n = make_node("MatMulInteger", 4);
  auto y = eval(n,
                {make_const<uint8_t>({4, 3}, {11, 7, 3, 10, 6, 2, 9, 5, 1, 8, 4, 0}),
                 make_const<uint8_t>({3, 2}, {1, 4, 2, 5, 3, 6}), make_const<uint8_t>({1}, {12}),
                 make_const<uint8_t>({1}, {0})},
                10);
  EXPECT_EQ(y[0]->dtype, DType::kI32);
  EXPECT_EQ(y[0]->shape, (Shape{4, 2}));
  EXPECT_EQ(to_vector<int32_t>(*y[0]),
            (std::vector<int32_t>{-38, -83, -44, -98, -50, -113, -56, -128}));
}

TEST_F(QuantMatMulTest, HandComputedZeroPointVariants) {
  // A = [[1, 2], [3, 4]] int8, B = [[5, 6], [7, 8]] uint8.
  auto a = make_const<int8_t>({2, 2}, {1, 2, 3, 4});
  auto b = make_const<uint8_t>({2, 2}, {5, 6, 7, 8});
  auto n2 = make_node("MatMulInteger", 2);
  EXPECT_EQ(to_vector<int32_t>(*eval(n2, {a, b})[0]), (std::vector<int32_t>{19, 22, 43, 50}));
  // Per-row A zero points [1, 3]: A' = [[0, 1], [0, 1]].
  auto n3 = make_node("MatMulInteger", 3);
  EXPECT_EQ(to_vector<int32_t>(*eval(n3, {a, b, make_const<int8_t>({2}, {1, 3})})[0]),
            (std::vector<int32_t>{7, 8, 7, 8}));
  // Per-column B zero points [5, 8]: B' = [[0, -2], [2, 0]]; A absent zero point.
  auto n4 = make_node("MatMulInteger", 4);
  n4.inputs[2] = -1;
  EXPECT_EQ(to_vector<int32_t>(*eval(n4, {a, b, nullptr, make_const<uint8_t>({2}, {5, 8})})[0]),
            (std::vector<int32_t>{4, -2, 8, -6}));
}

TEST_F(QuantMatMulTest, Int32Extremes) {
  // K = 64 products of (-128)(-128) and of 255*255: exact in int32.
  auto n = make_node("MatMulInteger", 2);
  auto y = eval(n, {make_const<int8_t>({1, 64}, std::vector<int8_t>(64, -128)),
                    make_const<int8_t>({64, 1}, std::vector<int8_t>(64, -128))});
  EXPECT_EQ(to_vector<int32_t>(*y[0])[0], 64 * 16384);
  auto n4 = make_node("MatMulInteger", 4);
  auto y2 = eval(n4, {make_const<uint8_t>({1, 64}, std::vector<uint8_t>(64, 0)),
                      make_const<uint8_t>({64, 1}, std::vector<uint8_t>(64, 255)),
                      make_const<uint8_t>({}, {255}), make_const<uint8_t>({}, {0})});
  EXPECT_EQ(to_vector<int32_t>(*y2[0])[0], -64 * 255 * 255);
}

struct MatMulCase {
  Shape a, b, azp, bzp;  // zero point shapes; rank -1 means absent
};

template <class TA, class TB>
void check_matmul_case(const MatMulCase& c, uint32_t seed) {
  const auto a = random_q<TA>(static_cast<size_t>(c.a.numel()), seed);
  const auto b = random_q<TB>(static_cast<size_t>(c.b.numel()), seed + 1);
  std::vector<TA> azp;
  std::vector<TB> bzp;
  if (c.azp.rank >= 0) azp = random_q<TA>(static_cast<size_t>(c.azp.numel()), seed + 2);
  if (c.bzp.rank >= 0) bzp = random_q<TB>(static_cast<size_t>(c.bzp.numel()), seed + 3);
  auto n = make_node("MatMulInteger", 4);
  std::vector<ConstPtr> in = {make_const<TA>(c.a, a), make_const<TB>(c.b, b), nullptr, nullptr};
  if (c.azp.rank >= 0) in[2] = make_const<TA>(c.azp, azp);
  if (c.bzp.rank >= 0) in[3] = make_const<TB>(c.bzp, bzp);
  for (int i = 2; i < 4; ++i)
    if (!in[i]) n.inputs[i] = -1;
  auto y = eval(n, in, 10);
  Shape os;
  const auto ref = matmul_oracle(widen64(a), c.a, widen64(b), c.b, widen64(azp), c.azp,
                                 widen64(bzp), c.bzp, &os);
  ASSERT_EQ(y[0]->shape, os) << c.a.str() << " x " << c.b.str();
  const auto got = to_vector<int32_t>(*y[0]);
  for (size_t i = 0; i < ref.size(); ++i)
    ASSERT_EQ(got[i], ref[i]) << c.a.str() << " x " << c.b.str() << " at " << i;
  expect_all_kernels_match(n, in, 0, 10);
}

TEST_F(QuantMatMulTest, RandomAgainstInt64Loop) {
  auto absent = [] {
    Shape s;
    s.rank = -1;
    return s;
  };
  const Shape na = absent();
  const std::vector<MatMulCase> cases = {
      {{3, 5}, {5, 4}, na, na},
      {{1, 37}, {37, 19}, Shape{}, Shape{}},
      {{17, 40}, {40, 33}, Shape{17}, Shape{33}},
      {{2, 3, 9, 20}, {20, 11}, Shape{1}, Shape{1}},
      {{2, 1, 5, 7}, {3, 7, 6}, na, Shape{3, 1, 6}},
      {{4, 6, 8}, {4, 8, 5}, Shape{4, 6, 1}, Shape{4, 1, 5}},
      {{3, 6, 8}, {8, 5}, Shape{6, 1}, Shape{5}},
      {{8}, {8, 3}, Shape{}, Shape{3}},
      {{2, 8}, {8}, Shape{2}, Shape{}},
      {{8}, {8}, Shape{}, Shape{}},
      {{0, 8}, {8, 3}, na, na},
      {{33, 300}, {300, 70}, Shape{33}, Shape{70}},
  };
  uint32_t seed = 100;
  for (const auto& c : cases) {
    check_matmul_case<uint8_t, uint8_t>(c, seed += 10);
    check_matmul_case<uint8_t, int8_t>(c, seed += 10);
    check_matmul_case<int8_t, uint8_t>(c, seed += 10);
    check_matmul_case<int8_t, int8_t>(c, seed += 10);
  }
}

TEST_F(QuantMatMulTest, RejectsBadZeroPointShape) {
  auto n = make_node("MatMulInteger", 3);
  EXPECT_THROW(eval(n, {make_const<uint8_t>({2, 3}, std::vector<uint8_t>(6, 1)),
                        make_const<uint8_t>({3, 2}, std::vector<uint8_t>(6, 1)),
                        make_const<uint8_t>({3}, {1, 2, 3})}),
               Error);
  EXPECT_THROW(eval(n, {make_const<uint8_t>({2, 3}, std::vector<uint8_t>(6, 1)),
                        make_const<uint8_t>({3, 2}, std::vector<uint8_t>(6, 1)),
                        make_const<int8_t>({}, {1})}),
               Error);
}

TEST_F(QuantMatMulTest, WhisperSizesAreFast) {
  // Whisper-tiny's quantized encoder: [1500, 384] x [384, 1536], exact against int64 for a row
  // sample, and timed.
  const int64_t M = 1500, K = 384, N = 1536;
  const auto a = random_q<uint8_t>(static_cast<size_t>(M * K), 5);
  const auto b = random_q<int8_t>(static_cast<size_t>(K * N), 6);
  auto n = make_node("MatMulInteger", 4);
  std::vector<ConstPtr> in = {make_const<uint8_t>({M, K}, a), make_const<int8_t>({K, N}, b),
                              make_const<uint8_t>({}, {131}), make_const<int8_t>({}, {-3})};
  const auto t0 = std::chrono::steady_clock::now();
  auto y = eval(n, in, 10);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("MatMulInteger [%ld,%ld]x[%ld,%ld]: %.3f s\n", long(M), long(K), long(K), long(N), s);
  EXPECT_LT(s, 3.0);
  // A decoder step: one row, B read in its 8-bit form.
  in[0] = make_const<uint8_t>({1, 1, K}, std::vector<uint8_t>(a.begin(), a.begin() + K));
  const auto t1 = std::chrono::steady_clock::now();
  auto y1 = eval(n, in, 10);
  const double s1 = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  std::printf("MatMulInteger [1,1,%ld]x[%ld,%ld]: %.2f ms\n", long(K), long(K), long(N), s1 * 1e3);
  EXPECT_EQ(y1[0]->shape, (Shape{1, 1, N}));
  const auto got = to_vector<int32_t>(*y[0]);
  for (int64_t i = 0; i < M; i += 149)
    for (int64_t j = 0; j < N; j += 13) {
      int64_t acc = 0;
      for (int64_t k = 0; k < K; ++k) acc += (a[i * K + k] - 131) * (b[k * N + j] + 3);
      ASSERT_EQ(got[static_cast<size_t>(i * N + j)], acc);
    }
  // Row 0 again through the direct path: identical bits.
  const auto got1 = to_vector<int32_t>(*y1[0]);
  for (int64_t j = 0; j < N; ++j) ASSERT_EQ(got1[j], got[j]) << j;
}

TEST_F(QuantMatMulTest, QLinearNodeTestCase) {
  auto n = make_node("QLinearMatMul", 8);
  const std::vector<uint8_t> a = {208, 236, 0, 238, 3, 214, 255, 29};
  const std::vector<uint8_t> b = {152, 51, 244, 60, 26, 255, 0, 127, 246, 127, 254, 247};
  auto run = [&](const Shape& as, const std::vector<uint8_t>& av, const Shape& bs,
                 const std::vector<uint8_t>& bv) {
    return eval(n,
                {make_const<uint8_t>(as, av), make_const<float>({1}, {0.0066f}),
                 make_const<uint8_t>({1}, {113}), make_const<uint8_t>(bs, bv),
                 make_const<float>({1}, {0.00705f}), make_const<uint8_t>({1}, {114}),
                 make_const<float>({1}, {0.0107f}), make_const<uint8_t>({1}, {118})},
                10);
  };
  auto y = run({2, 4}, a, {4, 3}, b);
  EXPECT_EQ(to_vector<uint8_t>(*y[0]), (std::vector<uint8_t>{168, 115, 255, 1, 66, 151}));
  std::vector<uint8_t> a2 = a, b2 = b;
  a2.insert(a2.end(), a.begin(), a.end());
  b2.insert(b2.end(), b.begin(), b.end());
  auto y3 = run({2, 2, 4}, a2, {2, 4, 3}, b2);
  EXPECT_EQ(y3[0]->shape, (Shape{2, 2, 3}));
  EXPECT_EQ(to_vector<uint8_t>(*y3[0]),
            (std::vector<uint8_t>{168, 115, 255, 1, 66, 151, 168, 115, 255, 1, 66, 151}));
}

TEST_F(QuantMatMulTest, QLinearRandomAgainstLoop) {
  const int64_t M = 7, K = 29, N = 11;
  const auto a = random_q<int8_t>(M * K, 21);
  const auto b = random_q<uint8_t>(K * N, 22);
  const std::vector<float> as = {0.02f, 0.03f, 0.01f, 0.05f, 0.02f, 0.04f, 0.03f};
  const auto azp = random_ints<int8_t>(M, 23, -10, 10);
  const float bs = 0.011f, ys = 0.37f;
  const uint8_t bzp = 120;
  const int8_t yzp = -5;
  auto n = make_node("QLinearMatMul", 8);
  auto y = eval(
      n,
      {make_const<int8_t>({M, K}, a), make_const<float>({M}, as), make_const<int8_t>({M}, azp),
       make_const<uint8_t>({K, N}, b), make_const<float>({}, {bs}), make_const<uint8_t>({}, {bzp}),
       make_const<float>({}, {ys}), make_const<int8_t>({}, {yzp})},
      10);
  const auto got = to_vector<int8_t>(*y[0]);
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      int64_t acc = 0;
      for (int64_t k = 0; k < K; ++k) acc += (a[i * K + k] - azp[i]) * (b[k * N + j] - bzp);
      const float mult = as[i] * bs / ys;
      const double v = std::nearbyint(static_cast<double>(acc) * mult) + yzp;
      ASSERT_EQ(got[i * N + j], static_cast<int8_t>(std::clamp(v, -128.0, 127.0))) << i << "," << j;
    }
}

// ---------------------------------------------------------------- ConvInteger / QLinearConv

using QuantConvTest = QuantTest;

TEST_F(QuantConvTest, NodeTestCases) {
  const std::vector<uint8_t> x = {2, 3, 4, 5, 6, 7, 8, 9, 10};
  auto n = make_node("ConvInteger", 3);
  auto y = eval(n,
                {make_const<uint8_t>({1, 1, 3, 3}, x),
                 make_const<uint8_t>({1, 1, 2, 2}, {1, 1, 1, 1}), make_const<uint8_t>({}, {1})},
                10);
  EXPECT_EQ(y[0]->dtype, DType::kI32);
  EXPECT_EQ(to_vector<int32_t>(*y[0]), (std::vector<int32_t>{12, 16, 24, 28}));
  // Padding holds the zero point, so it contributes 0.
  set_attr(n, "pads", std::vector<int64_t>{1, 1, 1, 1});
  auto yp = eval(n,
                 {make_const<uint8_t>({1, 1, 3, 3}, x),
                  make_const<uint8_t>({1, 1, 2, 2}, {1, 1, 1, 1}), make_const<uint8_t>({}, {1})},
                 10);
  EXPECT_EQ(yp[0]->shape, (Shape{1, 1, 4, 4}));
  EXPECT_EQ(to_vector<int32_t>(*yp[0]),
            (std::vector<int32_t>{1, 3, 5, 3, 5, 12, 16, 9, 11, 24, 28, 15, 7, 15, 17, 9}));
}

struct ConvCase {
  Shape x, w;
  int64_t group;
  std::vector<int64_t> strides, dils, pads;
  std::string auto_pad;
  bool per_channel_wzp;
};

// Direct N-D convolution of (x - xzp) and (w - wzp[m]) in int64; padding contributes 0.
std::vector<int64_t> conv_oracle(const std::vector<int64_t>& x, const Shape& xs,
                                 const std::vector<int64_t>& w, const Shape& ws, int64_t xzp,
                                 const std::vector<int64_t>& wzp, const ConvCase& c, Shape* ys) {
  const int nsp = xs.rank - 2;
  std::vector<int64_t> st(nsp, 1), dl(nsp, 1), pb(nsp, 0), out(nsp);
  for (int i = 0; i < nsp; ++i) {
    if (!c.strides.empty()) st[i] = c.strides[i];
    if (!c.dils.empty()) dl[i] = c.dils[i];
    const int64_t in = xs[i + 2], span = dl[i] * (ws[i + 2] - 1) + 1;
    if (c.auto_pad == "SAME_UPPER" || c.auto_pad == "SAME_LOWER") {
      out[i] = (in + st[i] - 1) / st[i];
      const int64_t total = std::max<int64_t>(0, (out[i] - 1) * st[i] + span - in);
      pb[i] = c.auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
    } else {
      const int64_t p0 = c.pads.empty() ? 0 : c.pads[i], p1 = c.pads.empty() ? 0 : c.pads[i + nsp];
      pb[i] = p0;
      out[i] = (in + p0 + p1 - span) / st[i] + 1;
    }
  }
  const int64_t N = xs[0], C = xs[1], M = ws[0], Cg = C / c.group, OCg = M / c.group;
  Shape y{N, M};
  for (int i = 0; i < nsp; ++i) y.push(out[i]);
  *ys = y;
  Shape osp, ksp;
  osp.rank = ksp.rank = nsp;
  for (int i = 0; i < nsp; ++i) osp.d[i] = out[i], ksp.d[i] = ws[i + 2];
  std::vector<int64_t> r;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t m = 0; m < M; ++m) {
      const int64_t g = m / OCg, zw = wzp.size() == 1 ? wzp[0] : wzp[static_cast<size_t>(m)];
      int64_t oi[kMaxRank] = {};
      do {
        int64_t s = 0;
        for (int64_t cc = 0; cc < Cg; ++cc) {
          int64_t ki[kMaxRank] = {};
          do {
            int64_t xoff = n * C + g * Cg + cc, woff = m * Cg + cc;
            bool valid = true;
            for (int i = 0; i < nsp; ++i) {
              const int64_t ii = oi[i] * st[i] + ki[i] * dl[i] - pb[i];
              valid = valid && ii >= 0 && ii < xs[i + 2];
              xoff = xoff * xs[i + 2] + ii;
              woff = woff * ws[i + 2] + ki[i];
            }
            if (valid)
              s += (x[static_cast<size_t>(xoff)] - xzp) * (w[static_cast<size_t>(woff)] - zw);
          } while (ops::next_index(ksp, ki));
        }
        r.push_back(s);
      } while (ops::next_index(osp, oi));
    }
  return r;
}

template <class TX, class TW>
void check_conv_case(const ConvCase& c, uint32_t seed) {
  const auto x = random_q<TX>(static_cast<size_t>(c.x.numel()), seed);
  const auto w = random_q<TW>(static_cast<size_t>(c.w.numel()), seed + 1);
  const auto xzp = random_q<TX>(1, seed + 2);
  const auto wzp = random_q<TW>(c.per_channel_wzp ? static_cast<size_t>(c.w[0]) : 1, seed + 3);
  auto n = make_node("ConvInteger", 4);
  if (c.group != 1) set_attr(n, "group", c.group);
  if (!c.strides.empty()) set_attr(n, "strides", c.strides);
  if (!c.dils.empty()) set_attr(n, "dilations", c.dils);
  if (!c.pads.empty()) set_attr(n, "pads", c.pads);
  if (!c.auto_pad.empty()) set_attr(n, "auto_pad", c.auto_pad);
  const Shape wzs = c.per_channel_wzp ? Shape{c.w[0]} : Shape{};
  auto y = eval(n,
                {make_const<TX>(c.x, x), make_const<TW>(c.w, w), make_const<TX>({}, xzp),
                 make_const<TW>(wzs, wzp)},
                10);
  Shape ys;
  const auto ref = conv_oracle(widen64(x), c.x, widen64(w), c.w, xzp[0], widen64(wzp), c, &ys);
  ASSERT_EQ(y[0]->shape, ys) << c.x.str() << " * " << c.w.str();
  const auto got = to_vector<int32_t>(*y[0]);
  for (size_t i = 0; i < ref.size(); ++i)
    ASSERT_EQ(got[i], ref[i]) << c.x.str() << " * " << c.w.str() << " at " << i;
}

TEST_F(QuantConvTest, RandomAgainstInt64Loop) {
  const std::vector<ConvCase> cases = {
      {{1, 3, 10}, {4, 3, 3}, 1, {}, {}, {1, 1}, "", true},
      {{2, 4, 11}, {6, 2, 3}, 2, {2}, {}, {1, 1}, "", true},
      {{1, 2, 13}, {3, 2, 3}, 1, {1}, {2}, {0, 2}, "", false},
      {{1, 2, 9}, {2, 2, 4}, 1, {2}, {}, {}, "SAME_UPPER", true},
      {{1, 2, 9}, {2, 2, 4}, 1, {2}, {}, {}, "SAME_LOWER", false},
      {{1, 2, 9}, {2, 2, 3}, 1, {}, {}, {}, "VALID", true},
      {{1, 3, 6, 7}, {4, 3, 3, 2}, 1, {1, 2}, {1, 1}, {1, 0, 1, 1}, "", true},
      {{2, 4, 5, 5}, {4, 1, 3, 3}, 4, {}, {2, 1}, {2, 1, 2, 1}, "", true},
      {{1, 2, 4, 4}, {3, 2, 1, 1}, 1, {}, {}, {}, "", false},
      {{1, 2, 3, 4, 5}, {2, 2, 2, 2, 3}, 1, {1, 1, 2}, {}, {0, 1, 1, 1, 0, 1}, "", true},
      {{1, 40, 60}, {48, 40, 3}, 1, {}, {}, {1, 1}, "", true},
  };
  uint32_t seed = 500;
  for (const auto& c : cases) {
    check_conv_case<uint8_t, uint8_t>(c, seed += 10);
    check_conv_case<uint8_t, int8_t>(c, seed += 10);
    check_conv_case<int8_t, int8_t>(c, seed += 10);
    check_conv_case<int8_t, uint8_t>(c, seed += 10);
  }
}

TEST_F(QuantConvTest, WhisperConvIsFast) {
  // Whisper-tiny's second encoder conv: [1, 384, 3000] * [384, 384, 3], stride 2, pad 1.
  const auto x = random_q<uint8_t>(384 * 3000, 7);
  const auto w = random_q<int8_t>(384 * 384 * 3, 8);
  auto n = make_node("ConvInteger", 4);
  set_attr(n, "strides", std::vector<int64_t>{2});
  set_attr(n, "pads", std::vector<int64_t>{1, 1});
  const auto t0 = std::chrono::steady_clock::now();
  auto y = eval(n,
                {make_const<uint8_t>({1, 384, 3000}, x), make_const<int8_t>({384, 384, 3}, w),
                 make_const<uint8_t>({}, {128}), make_const<int8_t>({}, {0})},
                10);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("ConvInteger [1,384,3000]*[384,384,3]/2: %.3f s\n", s);
  EXPECT_LT(s, 5.0);
  EXPECT_EQ(y[0]->shape, (Shape{1, 384, 1500}));
  // Spot check one output: channel 7, position 0 (reads padding, x[0], x[1]).
  const auto got = to_vector<int32_t>(*y[0]);
  int64_t acc = 0;
  for (int64_t c = 0; c < 384; ++c)
    for (int64_t k = 1; k < 3; ++k) acc += (x[c * 3000 + k - 1] - 128) * w[(7 * 384 + c) * 3 + k];
  EXPECT_EQ(got[7 * 1500], acc);
}

TEST_F(QuantConvTest, QLinearConvAgainstLoop) {
  // x uint8 [1, 2, 5, 5], w int8 [3, 2, 3, 3] per-channel scales, bias, pads 1, stride 2.
  const Shape xs{1, 2, 5, 5}, ws{3, 2, 3, 3};
  const auto x = random_q<uint8_t>(50, 31);
  const auto w = random_q<int8_t>(54, 32);
  const std::vector<float> wsc = {0.01f, 0.02f, 0.005f};
  const std::vector<int32_t> bias = {100, -2000, 7};
  const float xsc = 0.05f, ysc = 0.9f;
  const uint8_t xzp = 128, yzp = 120;
  auto n = make_node("QLinearConv", 9);
  set_attr(n, "pads", std::vector<int64_t>{1, 1, 1, 1});
  set_attr(n, "strides", std::vector<int64_t>{2, 2});
  auto y =
      eval(n,
           {make_const<uint8_t>(xs, x), make_const<float>({}, {xsc}),
            make_const<uint8_t>({}, {xzp}), make_const<int8_t>(ws, w), make_const<float>({3}, wsc),
            make_const<int8_t>({3}, {0, 0, 0}), make_const<float>({}, {ysc}),
            make_const<uint8_t>({}, {yzp}), make_const<int32_t>({3}, bias)},
           10);
  ConvCase c{xs, ws, 1, {2, 2}, {}, {1, 1, 1, 1}, "", true};
  Shape os;
  const auto acc = conv_oracle(widen64(x), xs, widen64(w), ws, xzp, {0, 0, 0}, c, &os);
  ASSERT_EQ(y[0]->shape, os);
  const auto got = to_vector<uint8_t>(*y[0]);
  const int64_t S = os[2] * os[3];
  for (size_t i = 0; i < acc.size(); ++i) {
    const size_t m = i / static_cast<size_t>(S);
    const float mult = xsc * wsc[m] / ysc;
    const double v = std::nearbyint(static_cast<double>(acc[i] + bias[m]) * mult) + yzp;
    ASSERT_EQ(got[i], static_cast<uint8_t>(std::clamp(v, 0.0, 255.0))) << i;
  }
}

}  // namespace
}  // namespace wrun
