// Reduce* reference kernels against hand-computed cases and a double-precision oracle.
#include <cmath>
#include <functional>
#include <limits>

#include "op_test_util.h"
#include "ops/registry.h"

namespace wrun {
namespace {

using namespace testing;  // tests/op_test_util.h

// Reduces x over the axes in `mask` with per-op formulas written directly, in double.
std::vector<float> reduce_oracle(const std::string& op, const std::vector<float>& x, const Shape& s,
                                 const std::vector<bool>& mask, bool keep, Shape* out) {
  Shape kept;
  *out = Shape{};
  for (int i = 0; i < s.rank; ++i) {
    if (!mask[i])
      kept.push(s[i]), out->push(s[i]);
    else if (keep)
      out->push(1);
  }
  std::vector<std::vector<double>> groups(kept.numel());
  std::vector<int64_t> idx(s.rank, 0);
  for (int64_t e = 0; e < s.numel(); ++e) {
    int64_t rest = e, k = 0, mul = 1;
    for (int i = s.rank - 1; i >= 0; --i) {
      idx[i] = rest % s[i], rest /= s[i];
      if (!mask[i]) k += idx[i] * mul, mul *= s[i];
    }
    groups[k].push_back(x[e]);
  }
  std::vector<float> y;
  for (const auto& g : groups) {
    double r = 0;
    if (op == "ReduceSum")
      for (double v : g) r += v;
    if (op == "ReduceMean") {
      for (double v : g) r += v;
      r /= g.size();
    }
    if (op == "ReduceMax") {
      r = -INFINITY;
      for (double v : g) r = std::max(r, v);
    }
    if (op == "ReduceMin") {
      r = INFINITY;
      for (double v : g) r = std::min(r, v);
    }
    if (op == "ReduceProd") {
      r = 1;
      for (double v : g) r *= v;
    }
    if (op == "ReduceL1")
      for (double v : g) r += std::fabs(v);
    if (op == "ReduceL2") {
      for (double v : g) r += v * v;
      r = std::sqrt(r);
    }
    if (op == "ReduceSumSquare")
      for (double v : g) r += v * v;
    if (op == "ReduceLogSum") {
      for (double v : g) r += v;
      r = std::log(r);
    }
    if (op == "ReduceLogSumExp") {
      for (double v : g) r += std::exp(v);
      r = std::log(r);
    }
    y.push_back(static_cast<float>(r));
  }
  return y;
}

const char* const kOps[] = {"ReduceSum",    "ReduceMean",     "ReduceMax", "ReduceMin",
                            "ReduceProd",   "ReduceL1",       "ReduceL2",  "ReduceSumSquare",
                            "ReduceLogSum", "ReduceLogSumExp"};

// Node with axes as attribute (opset 11) or as input 1 (opset 18).
std::vector<ConstPtr> run_reduce(const std::string& op, const ConstPtr& x,
                                 const std::vector<int64_t>* axes, bool keep, int64_t opset,
                                 int64_t noop = 0) {
  const bool input_axes = opset >= (op == "ReduceSum" ? 13 : 18);
  auto n = make_node(op, input_axes && axes ? 2 : 1);
  if (!keep) set_attr(n, "keepdims", int64_t{0});
  if (noop) set_attr(n, "noop_with_empty_axes", noop);
  if (axes && !input_axes) set_attr(n, "axes", *axes);
  std::vector<ConstPtr> in = {x};
  if (axes && input_axes) in = {x, make_const(Shape{static_cast<int64_t>(axes->size())}, *axes)};
  return eval(n, in, opset);
}

TEST(ReduceRef, HandComputed) {
  auto x = make_const<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  const std::vector<int64_t> ax1 = {1};
  auto s = run_reduce("ReduceSum", x, &ax1, true, 13);
  EXPECT_EQ(s[0]->shape, (Shape{2, 1}));
  EXPECT_EQ(to_vector<float>(*s[0]), (std::vector<float>{6, 15}));
  auto m = run_reduce("ReduceMean", x, nullptr, false, 11);
  EXPECT_EQ(m[0]->shape.rank, 0);
  EXPECT_EQ(to_vector<float>(*m[0])[0], 3.5f);
  const std::vector<int64_t> ax0 = {-2};
  auto mx = run_reduce("ReduceMax", x, &ax0, false, 18);
  EXPECT_EQ(to_vector<float>(*mx[0]), (std::vector<float>{4, 5, 6}));
  auto xi = make_const<int64_t>({3}, {4, -7, 2});
  EXPECT_EQ(to_vector<int64_t>(*run_reduce("ReduceSum", xi, nullptr, false, 18)[0])[0], -1);
  EXPECT_EQ(to_vector<int64_t>(*run_reduce("ReduceMin", xi, nullptr, false, 18)[0])[0], -7);
  EXPECT_EQ(to_vector<int64_t>(*run_reduce("ReduceProd", xi, nullptr, false, 18)[0])[0], -56);
  auto xd = make_const<double>({2}, {3, 4});
  EXPECT_EQ(to_vector<double>(*run_reduce("ReduceL2", xd, nullptr, false, 11)[0])[0], 5.0);
}

TEST(ReduceRef, RandomAgainstOracle) {
  const Shape s{3, 4, 5};
  auto xv = random_floats(s.numel(), 5, 0.5f, 1.5f);  // positive: LogSum defined, Prod tame
  auto x = make_const(s, xv);
  const std::vector<std::vector<int64_t>> axes_sets = {{},     {0},    {1},    {2},      {-1},
                                                       {0, 2}, {2, 0}, {1, 2}, {0, 1, 2}};
  for (const char* op : kOps)
    for (int64_t opset : {11, 18})
      for (const auto& axes : axes_sets)
        for (bool keep : {true, false}) {
          std::vector<bool> mask(3, axes.empty());
          for (int64_t a : axes) mask[a < 0 ? a + 3 : a] = true;
          Shape os;
          auto ref = reduce_oracle(op, xv, s, mask, keep, &os);
          auto y = run_reduce(op, x, axes.empty() ? nullptr : &axes, keep, opset);
          EXPECT_TRUE(within(*make_const(os, ref), *y[0], 1e-5))
              << op << " opset " << opset << " axes " << axes.size() << " keep " << keep;
        }
}

TEST(ReduceRef, EmptyAxesInputAndNoop) {
  const Shape s{2, 3};
  auto xv = random_floats(6, 9);
  auto x = make_const(s, xv);
  const std::vector<int64_t> none;
  // Empty axes input: reduce everything, or pass through with noop_with_empty_axes.
  auto all = run_reduce("ReduceSum", x, &none, true, 13);
  EXPECT_EQ(all[0]->shape, (Shape{1, 1}));
  auto same = run_reduce("ReduceSum", x, &none, true, 13, 1);
  EXPECT_TRUE(within(*x, *same[0], 0));
  auto same18 = run_reduce("ReduceMean", x, nullptr, false, 18, 1);
  EXPECT_TRUE(within(*x, *same18[0], 0));
}

TEST(ReduceRef, ZeroSizeReductions) {
  auto x = make_const<float>({2, 0}, {});
  const std::vector<int64_t> ax = {1};
  auto get = [&](const char* op) {
    return to_vector<float>(*run_reduce(op, x, &ax, false, 18)[0]);
  };
  EXPECT_EQ(get("ReduceSum"), (std::vector<float>{0, 0}));
  EXPECT_EQ(get("ReduceProd"), (std::vector<float>{1, 1}));
  EXPECT_EQ(get("ReduceMax")[0], -std::numeric_limits<float>::infinity());
  EXPECT_EQ(get("ReduceMin")[0], std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(get("ReduceMean")[0]));
  // Reducing the non-empty axis of an empty tensor gives an empty result.
  const std::vector<int64_t> ax0 = {0};
  EXPECT_EQ(run_reduce("ReduceSum", x, &ax0, true, 18)[0]->shape, (Shape{1, 0}));
}

TEST(ReduceRef, NanPropagatesThroughMax) {
  auto x = make_const<float>({3}, {1, NAN, 2});
  EXPECT_TRUE(std::isnan(to_vector<float>(*run_reduce("ReduceMax", x, nullptr, false, 18)[0])[0]));
  EXPECT_TRUE(std::isnan(to_vector<float>(*run_reduce("ReduceMin", x, nullptr, false, 18)[0])[0]));
}

TEST(ReduceRef, StridedInputAndSymbolicInfer) {
  // A [2, 3] view with row stride 5 into a larger buffer, reduced over axis 1.
  std::vector<float> buf(10);
  for (int i = 0; i < 10; ++i) buf[i] = static_cast<float>(i);
  TensorView xv = make_view(buf.data(), DType::kF32, Shape{2, 3});
  xv.strides[0] = 5;
  auto n = make_node("ReduceSum", 1);
  set_attr(n, "axes", std::vector<int64_t>{1});
  const ops::OpSchema* s = ops::Registry::builtin().find("", "ReduceSum", 11);
  ASSERT_TRUE(s->kernels[0].flags & ops::kStridedInputs);
  float out[2];
  TensorView ins[1] = {xv}, outs[1] = {make_view(out, DType::kF32, Shape{2, 1})};
  ops::RunContext r{n, 11, nullptr, ins, outs, nullptr, 0, nullptr};
  s->kernels[0].run(r);
  EXPECT_EQ(out[0], 0 + 1 + 2);
  EXPECT_EQ(out[1], 5 + 6 + 7);
  // Symbols of kept dims pass through inference.
  SymShape x;
  x.rank = 3, x.d[0] = Dim::symbol(0), x.d[1] = Dim::symbol(1), x.d[2] = Dim::known(8);
  set_attr(n, "axes", std::vector<int64_t>{-1});
  DType in_dt[1] = {DType::kF32}, out_dt[1];
  SymShape in_sh[1] = {x}, out_sh[1];
  const TensorView* vals[1] = {nullptr};
  ops::InferContext c(n, 11, in_dt, in_sh, vals, out_dt, out_sh, nullptr);
  s->infer(c);
  ASSERT_EQ(out_sh[0].rank, 3);
  EXPECT_EQ(out_sh[0][0], Dim::symbol(0));
  EXPECT_EQ(out_sh[0][1], Dim::symbol(1));
  EXPECT_EQ(out_sh[0][2], Dim::known(1));
  set_attr(n, "axes", std::vector<int64_t>{3});
  EXPECT_THROW(s->infer(c), Error);
}

}  // namespace
}  // namespace wrun
