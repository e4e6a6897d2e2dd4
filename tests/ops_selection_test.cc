// ArgMax/ArgMin, TopK and Hardmax against hand-computed cases and a std::sort oracle.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "op_test_util.h"

namespace wrun {
namespace {

using namespace testing;  // tests/op_test_util.h

ConstPtr arg(const std::string& op, const ConstPtr& x, int64_t axis, bool keep, bool last,
             int64_t opset = 13) {
  auto n = make_node(op, 1);
  set_attr(n, "axis", axis);
  set_attr(n, "keepdims", int64_t{keep});
  if (last) set_attr(n, "select_last_index", int64_t{1});
  return eval(n, {x}, opset)[0];
}

TEST(Selection, ArgMaxArgMin) {
  auto x = make_const<float>({2, 3}, {1, 5, 5, 7, -2, 7});
  auto a = arg("ArgMax", x, 1, true, false);
  EXPECT_EQ(a->dtype, DType::kI64);
  EXPECT_EQ(a->shape, (Shape{2, 1}));
  EXPECT_EQ(to_vector<int64_t>(*a), (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(to_vector<int64_t>(*arg("ArgMax", x, -1, false, true)), (std::vector<int64_t>{2, 2}));
  auto m = arg("ArgMin", x, 0, false, false);
  EXPECT_EQ(m->shape, (Shape{3}));
  EXPECT_EQ(to_vector<int64_t>(*m), (std::vector<int64_t>{0, 1, 0}));
  // Integer input, and a NaN wins as in numpy.
  auto xi = make_const<int32_t>({4}, {3, -9, 3, -9});
  EXPECT_EQ(to_vector<int64_t>(*arg("ArgMin", xi, 0, false, true))[0], 3);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto xn = make_const<float>({3}, {1, nan, 4});
  EXPECT_EQ(to_vector<int64_t>(*arg("ArgMax", xn, 0, false, false))[0], 1);
  EXPECT_EQ(to_vector<int64_t>(*arg("ArgMin", xn, 0, false, false))[0], 1);
  // Opset 1 row: same semantics.
  EXPECT_EQ(to_vector<int64_t>(*arg("ArgMax", x, 1, false, false, 1)),
            (std::vector<int64_t>{1, 0}));
}

std::vector<ConstPtr> top_k(const ConstPtr& x, int64_t k, int64_t axis, bool largest,
                            int64_t opset = 11) {
  auto n = make_node("TopK", opset >= 10 ? 2 : 1, 2);
  set_attr(n, "axis", axis);
  if (opset >= 11) set_attr(n, "largest", int64_t{largest});
  if (opset < 10) {
    set_attr(n, "k", k);
    return eval(n, {x}, opset);
  }
  return eval(n, {x, make_const<int64_t>({1}, {k})}, opset);
}

TEST(Selection, TopKHandComputed) {
  auto x = make_const<float>({2, 4}, {3, 1, 3, 2, 0, 9, 9, 9});
  auto r = top_k(x, 2, 1, true);
  EXPECT_EQ(r[0]->shape, (Shape{2, 2}));
  EXPECT_EQ(to_vector<float>(*r[0]), (std::vector<float>{3, 3, 9, 9}));
  EXPECT_EQ(to_vector<int64_t>(*r[1]), (std::vector<int64_t>{0, 2, 1, 2}));  // ties: lower index
  auto s = top_k(x, 3, -1, false);
  EXPECT_EQ(to_vector<float>(*s[0]), (std::vector<float>{1, 2, 3, 0, 9, 9}));
  EXPECT_EQ(to_vector<int64_t>(*s[1]), (std::vector<int64_t>{1, 3, 0, 0, 1, 2}));
  auto c = top_k(x, 1, 0, true, 1);  // opset 1: k attribute, along axis 0
  EXPECT_EQ(c[0]->shape, (Shape{1, 4}));
  EXPECT_EQ(to_vector<float>(*c[0]), (std::vector<float>{3, 9, 9, 9}));
  EXPECT_EQ(to_vector<int64_t>(*c[1]), (std::vector<int64_t>{0, 1, 1, 1}));
  auto z = top_k(x, 0, 1, true);
  EXPECT_EQ(z[0]->shape, (Shape{2, 0}));
  auto xi = make_const<int64_t>({5}, {5, -1, 7, 7, 0});
  EXPECT_EQ(to_vector<int64_t>(*top_k(xi, 2, 0, true)[1]), (std::vector<int64_t>{2, 3}));
  EXPECT_THROW(top_k(x, 5, 1, true), Error);
}

TEST(Selection, TopKRandomAgainstSort) {
  const Shape s{3, 50, 4};
  auto v = random_floats(s.numel(), 11);
  for (auto& f : v) f = std::round(f * 8);  // many ties
  auto x = make_const(s, v);
  for (bool largest : {true, false}) {
    auto r = top_k(x, 7, 1, largest);
    auto vals = to_vector<float>(*r[0]);
    auto idx = to_vector<int64_t>(*r[1]);
    for (int64_t o = 0; o < 3; ++o)
      for (int64_t in = 0; in < 4; ++in) {
        std::vector<int64_t> order(50);
        std::iota(order.begin(), order.end(), 0);
        auto at = [&](int64_t j) { return v[(o * 50 + j) * 4 + in]; };
        std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
          return largest ? at(a) > at(b) : at(a) < at(b);
        });
        for (int64_t j = 0; j < 7; ++j) {
          EXPECT_EQ(idx[(o * 7 + j) * 4 + in], order[j]);
          EXPECT_EQ(vals[(o * 7 + j) * 4 + in], at(order[j]));
        }
      }
  }
}

TEST(Selection, Hardmax) {
  auto x = make_const<float>({2, 2, 2}, {1, 3, 2, 0, 5, 5, -1, 4});
  auto n = make_node("Hardmax", 1);
  EXPECT_EQ(to_vector<float>(*eval(n, {x}, 13)[0]),
            (std::vector<float>{0, 1, 1, 0, 1, 0, 0, 1}));  // along the last axis; first tie
  // Before 13: coerced to 2-D at axis 1, one maximum per batch over 2x2 elements.
  EXPECT_EQ(to_vector<float>(*eval(n, {x}, 11)[0]), (std::vector<float>{0, 1, 0, 0, 1, 0, 0, 0}));
  set_attr(n, "axis", int64_t{0});
  EXPECT_EQ(to_vector<float>(*eval(n, {x}, 13)[0]), (std::vector<float>{0, 0, 1, 0, 1, 1, 0, 1}));
  // Opset 11, axis 0: the whole tensor is one row.
  EXPECT_EQ(to_vector<float>(*eval(n, {x}, 11)[0]), (std::vector<float>{0, 0, 0, 0, 1, 0, 0, 0}));
  auto xd = make_const<double>({3}, {-1, -0.5, -2});
  EXPECT_EQ(to_vector<double>(*eval(make_node("Hardmax", 1), {xd}, 13)[0]),
            (std::vector<double>{0, 1, 0}));
}

}  // namespace
}  // namespace wrun
