// Softmax, LogSoftmax and LayerNormalization against hand-computed cases and double oracles.
#include <cmath>
#include <limits>

#include "op_test_util.h"

namespace wrun {
namespace {

using namespace testing;  // tests/op_test_util.h

// (Log)softmax over `n` elements of stride `inner`, for each (outer, inner) pair, in double.
std::vector<float> softmax_oracle(const std::vector<float>& x, int64_t outer, int64_t n,
                                  int64_t inner, bool log) {
  std::vector<float> y(x.size());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      auto at = [&](int64_t k) { return (o * n + k) * inner + i; };
      double mx = -INFINITY, s = 0;
      for (int64_t k = 0; k < n; ++k) mx = std::max(mx, double(x[at(k)]));
      for (int64_t k = 0; k < n; ++k) s += std::exp(double(x[at(k)]) - mx);
      for (int64_t k = 0; k < n; ++k) {
        const double v = double(x[at(k)]) - mx;
        y[at(k)] = static_cast<float>(log ? v - std::log(s) : std::exp(v) / s);
      }
    }
  return y;
}

TEST(NormalizationSoftmax, HandComputed) {
  auto n = make_node("Softmax", 1);
  auto y = to_vector<float>(*eval(n, {make_const<float>({1, 3}, {0, 0, std::log(2.0f)})})[0]);
  EXPECT_NEAR(y[0], 0.25f, 1e-7);
  EXPECT_NEAR(y[2], 0.5f, 1e-7);
  auto big = to_vector<float>(*eval(n, {make_const<float>({2}, {1000, 1000})})[0]);
  EXPECT_EQ(big[0], 0.5f);  // stable: max subtracted
  auto l = make_node("LogSoftmax", 1);
  auto ly = to_vector<float>(*eval(l, {make_const<float>({2}, {5, 5})})[0]);
  EXPECT_NEAR(ly[1], -std::log(2.0f), 1e-7);
}

TEST(NormalizationSoftmax, InfinityRows) {
  const float inf = std::numeric_limits<float>::infinity();
  auto n = make_node("Softmax", 1);
  auto y = to_vector<float>(*eval(n, {make_const<float>({2, 2}, {-inf, 0, -inf, -inf})})[0]);
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_EQ(y[1], 1.0f);
  EXPECT_TRUE(std::isnan(y[2]) && std::isnan(y[3]));  // all -inf: 0/0 as in numpy
}

TEST(NormalizationSoftmax, RandomAgainstOracleAllAxesAndOpsets) {
  const Shape s{3, 4, 5};
  auto x = random_floats(s.numel(), 7, -8, 8);
  uint32_t seed = 0;
  for (bool log : {false, true})
    for (int64_t opset : {11, 13})
      for (int64_t axis : {-3, -2, -1, 0, 1, 2}) {
        auto n = make_node(log ? "LogSoftmax" : "Softmax", 1);
        set_attr(n, "axis", axis);
        const int a = static_cast<int>(axis < 0 ? axis + 3 : axis);
        int64_t outer = 1, mid = 1, inner = 1;
        for (int i = 0; i < 3; ++i) {
          if (i < a)
            outer *= s[i];
          else if (i == a || opset < 13)
            mid *= s[i];
          else
            inner *= s[i];
        }
        auto ref = softmax_oracle(x, outer, mid, inner, log);
        auto y = eval(n, {make_const(s, x)}, opset);
        EXPECT_TRUE(within(*make_const(s, ref), *y[0], 1e-5))
            << (log ? "Log" : "") << "Softmax opset " << opset << " axis " << axis;
        ++seed;
      }
  // Default axes: 1 before opset 13 (coerced to 2-D), -1 from 13.
  auto n = make_node("Softmax", 1);
  EXPECT_TRUE(within(*make_const(s, softmax_oracle(x, 3, 20, 1, false)),
                     *eval(n, {make_const(s, x)}, 11)[0], 1e-5));
  EXPECT_TRUE(within(*make_const(s, softmax_oracle(x, 12, 5, 1, false)),
                     *eval(n, {make_const(s, x)}, 13)[0], 1e-5));
}

TEST(NormalizationSoftmax, EdgeSizesAndDouble) {
  for (const Shape& s : std::vector<Shape>{{1}, {1, 1}, {7, 1}, {0, 3}, {2, 0}}) {
    auto x = random_floats(s.numel(), 3);
    auto y = eval(make_node("Softmax", 1), {make_const(s, x)});
    const int64_t outer = s.rank == 2 ? s[0] : 1;
    EXPECT_TRUE(
        within(*make_const(s, softmax_oracle(x, outer, s[s.rank - 1], 1, false)), *y[0], 1e-5))
        << s.str();
  }
  auto yd = to_vector<double>(*eval(make_node("Softmax", 1), {make_const<double>({2}, {0, 0})})[0]);
  EXPECT_EQ(yd[0], 0.5);
  EXPECT_THROW(eval(make_node("Softmax", 1), {make_const<int64_t>({2}, {0, 0})}), Error);
}

// LayerNormalization oracle over the trailing `n` elements; scale/bias already broadcast to n.
void layer_norm_oracle(const std::vector<float>& x, int64_t n, const std::vector<float>& sc,
                       const std::vector<float>& b, float eps, std::vector<float>* y,
                       std::vector<float>* mean, std::vector<float>* inv) {
  const int64_t outer = n ? static_cast<int64_t>(x.size()) / n : 0;
  y->resize(x.size());
  mean->resize(outer);
  inv->resize(outer);
  for (int64_t o = 0; o < outer; ++o) {
    double m = 0, v = 0;
    for (int64_t j = 0; j < n; ++j) m += x[o * n + j];
    m /= n;
    for (int64_t j = 0; j < n; ++j) v += (x[o * n + j] - m) * (x[o * n + j] - m);
    v /= n;
    const double is = 1 / std::sqrt(v + eps);
    for (int64_t j = 0; j < n; ++j)
      (*y)[o * n + j] =
          static_cast<float>((x[o * n + j] - m) * is * sc[j] + (b.empty() ? 0 : b[j]));
    (*mean)[o] = static_cast<float>(m);
    (*inv)[o] = static_cast<float>(is);
  }
}

TEST(NormalizationLayerNorm, RandomAgainstOracle) {
  const Shape s{2, 3, 5};
  auto x = random_floats(s.numel(), 17, -3, 5);
  for (int64_t axis : {-3, -2, -1, 0, 1, 2})
    for (bool bias : {false, true}) {
      const int a = static_cast<int>(axis < 0 ? axis + 3 : axis);
      Shape ps, stat;
      int64_t n = 1;
      for (int i = 0; i < 3; ++i) {
        if (i >= a) ps.push(s[i]), n *= s[i];
        stat.push(i >= a ? 1 : s[i]);
      }
      auto sc = random_floats(n, 18), b = bias ? random_floats(n, 19) : std::vector<float>{};
      auto node = make_node("LayerNormalization", bias ? 3 : 2, 3);
      set_attr(node, "axis", axis);
      set_attr(node, "epsilon", 1e-3f);
      auto in = bias
                    ? std::vector<ConstPtr>{make_const(s, x), make_const(ps, sc), make_const(ps, b)}
                    : std::vector<ConstPtr>{make_const(s, x), make_const(ps, sc)};
      auto got = eval(node, in, 17);
      std::vector<float> y, mean, inv;
      layer_norm_oracle(x, n, sc, b, 1e-3f, &y, &mean, &inv);
      EXPECT_TRUE(within(*make_const(s, y), *got[0], 1e-5)) << "axis " << axis;
      EXPECT_TRUE(within(*make_const(stat, mean), *got[1], 1e-5)) << "axis " << axis;
      EXPECT_TRUE(within(*make_const(stat, inv), *got[2], 1e-5)) << "axis " << axis;
    }
}

TEST(NormalizationLayerNorm, BroadcastScaleAndHandCase) {
  // Scale [5] broadcast over normalised dims [3, 5] (axis 1).
  const Shape s{2, 3, 5};
  auto x = random_floats(s.numel(), 23);
  auto sc5 = random_floats(5, 24);
  std::vector<float> sc15;
  for (int i = 0; i < 3; ++i) sc15.insert(sc15.end(), sc5.begin(), sc5.end());
  auto node = make_node("LayerNormalization", 2);
  set_attr(node, "axis", int64_t{1});
  auto got = eval(node, {make_const(s, x), make_const(Shape{5}, sc5)}, 17);
  std::vector<float> y, mean, inv;
  layer_norm_oracle(x, 15, sc15, {}, 1e-5f, &y, &mean, &inv);
  EXPECT_TRUE(within(*make_const(s, y), *got[0], 1e-5));
  // [1, -1] normalises to [1, -1] (up to epsilon) with default axis -1.
  auto h = to_vector<float>(*eval(make_node("LayerNormalization", 2),
                                  {make_const<float>({2}, {3, 1}), make_const<float>({2}, {2, 1})},
                                  17)[0]);
  EXPECT_NEAR(h[0], 2.0f, 1e-4);
  EXPECT_NEAR(h[1], -1.0f, 1e-4);
}

}  // namespace
}  // namespace wrun
