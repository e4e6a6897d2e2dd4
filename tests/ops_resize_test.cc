// Resize and Upsample against hand-computed cases: nearest modes, N-linear with each coordinate
// transform, cubic against Keys' formula, tf_crop_and_resize extrapolation, opset 18 axes and
// keep_aspect_ratio_policy.
#include <algorithm>
#include <cmath>

#include "op_test_util.h"

namespace wrun {
namespace {

using namespace testing;  // tests/op_test_util.h

// Resize (opset >= 11) with either scales or sizes; unset attributes keep their defaults.
ConstPtr resize(const ConstPtr& x, const std::vector<float>& scales,
                const std::vector<int64_t>& sizes, const std::string& mode,
                const std::string& coord, int64_t opset = 13, graph::Node* base = nullptr) {
  graph::Node n = base ? *base : make_node("Resize", 4);
  set_attr(n, "mode", mode);
  if (!coord.empty()) set_attr(n, "coordinate_transformation_mode", coord);
  ConstPtr sc =
      scales.empty() ? nullptr : make_const<float>({static_cast<int64_t>(scales.size())}, scales);
  ConstPtr sz =
      sizes.empty() ? nullptr : make_const<int64_t>({static_cast<int64_t>(sizes.size())}, sizes);
  return eval(n, {x, nullptr, sc, sz}, opset)[0];
}

void expect_near(const std::vector<float>& got, const std::vector<float>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5) << "at " << i;
}

TEST(Resize, Nearest) {
  auto x = make_const<float>({1, 1, 2, 2}, {1, 2, 3, 4});
  auto r = resize(x, {1, 1, 2, 1.5f}, {}, "nearest", "");
  EXPECT_EQ(r->shape, (Shape{1, 1, 4, 3}));
  // half_pixel, round_prefer_floor: rows map to -.25, .25, .75, 1.25 => 0, 0, 1, 1; columns to
  // -.17, .5, 1.17 => 0, 0 (a tie rounds down), 1.
  EXPECT_EQ(to_vector<float>(*r), (std::vector<float>{1, 1, 2, 1, 1, 2, 3, 3, 4, 3, 3, 4}));
  auto x1 = make_const<float>({1, 4}, {10, 20, 30, 40});
  graph::Node n = make_node("Resize", 4);
  set_attr(n, "nearest_mode", std::string("ceil"));
  // asymmetric, 4 -> 3: x/0.75 = 0, 1.33, 2.67 -> ceil 0, 2, 3.
  EXPECT_EQ(to_vector<float>(*resize(x1, {}, {1, 3}, "nearest", "asymmetric", 13, &n)),
            (std::vector<float>{10, 30, 40}));
  set_attr(n, "nearest_mode", std::string("round_prefer_ceil"));
  // asymmetric, 4 -> 8: x/2 = 0, .5, 1, 1.5, ... -> 0,1,1,2,2,3,3,3(clamped).
  EXPECT_EQ(to_vector<float>(*resize(x1, {1, 2}, {}, "nearest", "asymmetric", 13, &n)),
            (std::vector<float>{10, 20, 20, 30, 30, 40, 40, 40}));
  // Integer data is copied exactly.
  auto xi = make_const<int64_t>({3}, {7, 8, 9});
  auto ri = resize(xi, {2}, {}, "nearest", "align_corners");
  EXPECT_EQ(to_vector<int64_t>(*ri), (std::vector<int64_t>{7, 7, 8, 8, 9, 9}));
}

TEST(Resize, Linear) {
  auto x = make_const<float>({2}, {1, 2});
  expect_near(to_vector<float>(*resize(x, {}, {3}, "linear", "align_corners")), {1, 1.5f, 2});
  // half_pixel 2 -> 4: (x + .5)/2 - .5 = -.25, .25, .75, 1.25 (edges clamp).
  expect_near(to_vector<float>(*resize(x, {2}, {}, "linear", "")), {1, 1.25f, 1.75f, 2});
  // pytorch_half_pixel with one output sample takes coordinate 0.
  expect_near(to_vector<float>(*resize(x, {}, {1}, "linear", "pytorch_half_pixel")), {1});
  // Bilinear: 2x2 -> 3x3 with align_corners gives the midpoints.
  auto y = make_const<float>({2, 2}, {0, 2, 4, 6});
  expect_near(to_vector<float>(*resize(y, {}, {3, 3}, "linear", "align_corners")),
              {0, 1, 2, 2, 3, 4, 4, 5, 6});
  auto yd = make_const<double>({2, 2}, {0, 2, 4, 6});
  auto rd = resize(yd, {}, {3, 3}, "linear", "align_corners");
  EXPECT_EQ(to_vector<double>(*rd)[4], 3.0);
}

TEST(Resize, CubicMatchesKeys) {
  std::vector<float> xv = {1, 4, 2, 8, 5, 7};
  auto x = make_const<float>({6}, xv);
  for (bool exclude : {false, true}) {
    graph::Node n = make_node("Resize", 4);
    const double A = -0.5;
    set_attr(n, "cubic_coeff_a", static_cast<float>(A));
    set_attr(n, "exclude_outside", int64_t{exclude});
    auto got = to_vector<float>(*resize(x, {1.5f}, {}, "cubic", "", 13, &n));
    ASSERT_EQ(got.size(), 9u);
    for (int o = 0; o < 9; ++o) {
      const double xo = (o + 0.5) / 1.5 - 0.5, f = std::floor(xo), t = xo - f;
      double sum = 0, wsum = 0;
      for (int k = -1; k <= 2; ++k) {
        const double d = std::fabs(t - k);
        double w = d <= 1 ? ((A + 2) * d - (A + 3)) * d * d + 1
                          : ((A * d - 5 * A) * d + 8 * A) * d - 4 * A;
        const int i = static_cast<int>(f) + k;
        if (exclude && (i < 0 || i > 5)) w = 0;
        sum += w * xv[std::clamp(i, 0, 5)];
        wsum += w;
      }
      EXPECT_NEAR(got[o], sum / wsum, 1e-5) << "at " << o;
    }
  }
}

TEST(Resize, CropAndResize) {
  auto x = make_const<float>({1, 3}, {0, 10, 20});
  graph::Node n = make_node("Resize", 4);
  set_attr(n, "extrapolation_value", 99.0f);
  auto roi = make_const<float>({4}, {0, 0.25f, 1, 1.25f});
  set_attr(n, "mode", std::string("linear"));
  set_attr(n, "coordinate_transformation_mode", std::string("tf_crop_and_resize"));
  auto r = eval(n, {x, roi, nullptr, make_const<int64_t>({2}, {1, 3})}, 13)[0];
  // Columns sample 0.5, 1.5, 2.5 of the input: the last is outside.
  expect_near(to_vector<float>(*r), {5, 15, 99});
}

TEST(Resize, Opset18AxesAndAspectRatio) {
  std::vector<float> xv(24);
  for (int i = 0; i < 24; ++i) xv[i] = static_cast<float>(i);
  auto x = make_const<float>({1, 4, 6}, xv);
  graph::Node n = make_node("Resize", 4);
  set_attr(n, "axes", std::vector<int64_t>{2, 1});
  set_attr(n, "keep_aspect_ratio_policy", std::string("not_larger"));
  // Scales 6/6=1 (axis 2) and 2/4=.5 (axis 1): not_larger keeps .5 for both -> [1, 2, 3].
  auto r = resize(x, {}, {6, 2}, "nearest", "asymmetric", 18, &n);
  EXPECT_EQ(r->shape, (Shape{1, 2, 3}));
  EXPECT_EQ(to_vector<float>(*r), (std::vector<float>{0, 2, 4, 12, 14, 16}));
  set_attr(n, "keep_aspect_ratio_policy", std::string("not_smaller"));
  EXPECT_EQ(resize(x, {}, {6, 2}, "nearest", "asymmetric", 18, &n)->shape, (Shape{1, 4, 6}));
  graph::Node m = make_node("Resize", 4);
  set_attr(m, "axes", std::vector<int64_t>{-1});
  EXPECT_EQ(resize(x, {0.5f}, {}, "nearest", "", 18, &m)->shape, (Shape{1, 4, 3}));
}

TEST(Resize, UpsampleAndOpset10) {
  auto x = make_const<float>({1, 1, 2, 2}, {1, 2, 3, 4});
  graph::Node u = make_node("Upsample", 2);
  set_attr(u, "mode", std::string("nearest"));
  auto sc = make_const<float>({4}, {1, 1, 2, 3});
  auto r = eval(u, {x, sc}, 9)[0];
  EXPECT_EQ(r->shape, (Shape{1, 1, 4, 6}));
  EXPECT_EQ(to_vector<float>(*r), (std::vector<float>{1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2,
                                                      3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4}));
  graph::Node u7 = make_node("Upsample", 1);
  set_attr(u7, "mode", std::string("linear"));
  set_attr(u7, "scales", std::vector<float>{1, 1, 1, 2});
  // Asymmetric: x/2 = 0, .5, 1, 1.5 (clamped to the last sample).
  expect_near(to_vector<float>(*eval(u7, {x}, 7)[0]), {1, 1.5f, 2, 2, 3, 3.5f, 4, 4});
  graph::Node r10 = make_node("Resize", 2);
  set_attr(r10, "mode", std::string("linear"));
  expect_near(to_vector<float>(*eval(r10, {x, sc}, 10)[0]),
              {1, 1.333333f, 1.666667f, 2, 2, 2, 2, 2.333333f, 2.666667f, 3, 3, 3,
               3, 3.333333f, 3.666667f, 4, 4, 4, 3, 3.333333f, 3.666667f, 4, 4, 4});
}

}  // namespace
}  // namespace wrun
