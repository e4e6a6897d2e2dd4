// Conv reference kernel against hand-computed cases and a direct double-precision loop.
#include <pthreadpool.h>

#include <chrono>

#include "op_test_util.h"
#include "ops/registry.h"

namespace wrun {
namespace {

using namespace testing;  // tests/op_test_util.h

struct ConvCase {
  Shape x, w;
  int64_t group = 1;
  std::vector<int64_t> strides = {}, dilations = {}, pads = {};  // empty: attribute absent
  std::string auto_pad = "NOTSET";
  bool bias = false;
};

// Direct convolution in double. Pads for SAME_* follow the ONNX formula.
std::vector<float> conv_oracle(const ConvCase& c, const std::vector<float>& x,
                               const std::vector<float>& w, const std::vector<float>& b,
                               Shape* out_shape) {
  const int nsp = c.x.rank - 2;
  const int64_t N = c.x[0], C = c.x[1], M = c.w[0], Cg = C / c.group, OCg = M / c.group;
  std::vector<int64_t> st(nsp, 1), dl(nsp, 1), pb(nsp, 0), in(nsp), k(nsp), out(nsp);
  for (int i = 0; i < nsp; ++i) {
    if (!c.strides.empty()) st[i] = c.strides[i];
    if (!c.dilations.empty()) dl[i] = c.dilations[i];
    in[i] = c.x[i + 2], k[i] = c.w[i + 2];
    const int64_t span = dl[i] * (k[i] - 1) + 1;
    if (c.auto_pad == "NOTSET") {
      const int64_t p0 = c.pads.empty() ? 0 : c.pads[i], p1 = c.pads.empty() ? 0 : c.pads[i + nsp];
      pb[i] = p0;
      out[i] = (in[i] + p0 + p1 - span) / st[i] + 1;
    } else if (c.auto_pad == "VALID") {
      out[i] = in[i] < span ? 0 : (in[i] - span) / st[i] + 1;
    } else {
      out[i] = (in[i] + st[i] - 1) / st[i];
      const int64_t total = std::max<int64_t>(0, (out[i] - 1) * st[i] + span - in[i]);
      pb[i] = c.auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
    }
  }
  Shape os{N, M};
  int64_t S = 1, inS = 1, Kp = 1;
  for (int i = 0; i < nsp; ++i) os.push(out[i]), S *= out[i], inS *= in[i], Kp *= k[i];
  *out_shape = os;
  std::vector<float> y(N * M * S);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t m = 0; m < M; ++m) {
      const int64_t g = m / OCg;
      for (int64_t s = 0; s < S; ++s) {
        std::vector<int64_t> o(nsp);
        for (int64_t r = s, i = nsp - 1; i >= 0; --i) o[i] = r % out[i], r /= out[i];
        double acc = b.empty() ? 0.0 : b[m];
        for (int64_t ci = 0; ci < Cg; ++ci)
          for (int64_t kk = 0; kk < Kp; ++kk) {
            int64_t off = 0;
            bool ok = true;
            for (int64_t r = kk, i = nsp - 1; i >= 0; --i) {
              const int64_t kx = r % k[i];
              r /= k[i];
              const int64_t ix = o[i] * st[i] + kx * dl[i] - pb[i];
              if (ix < 0 || ix >= in[i]) ok = false;
              int64_t mul = 1;
              for (int j = i + 1; j < nsp; ++j) mul *= in[j];
              off += ix * mul;
            }
            if (!ok) continue;
            acc += double(x[(n * C + g * Cg + ci) * inS + off]) * w[(m * Cg + ci) * Kp + kk];
          }
        y[(n * M + m) * S + s] = static_cast<float>(acc);
      }
    }
  return y;
}

graph::Node conv_node(const ConvCase& c) {
  auto n = make_node("Conv", c.bias ? 3 : 2);
  if (c.group != 1) set_attr(n, "group", c.group);
  if (!c.strides.empty()) set_attr(n, "strides", c.strides);
  if (!c.dilations.empty()) set_attr(n, "dilations", c.dilations);
  if (!c.pads.empty()) set_attr(n, "pads", c.pads);
  if (c.auto_pad != "NOTSET") set_attr(n, "auto_pad", c.auto_pad);
  return n;
}

TEST(ConvRef, HandComputed1D) {
  auto n = make_node("Conv", 3);
  set_attr(n, "pads", std::vector<int64_t>{1, 1});
  auto y = eval(n, {make_const<float>({1, 1, 4}, {1, 2, 3, 4}),
                    make_const<float>({1, 1, 3}, {1, 1, 1}), make_const<float>({1}, {0.5f})});
  EXPECT_EQ(y[0]->shape, (Shape{1, 1, 4}));
  EXPECT_EQ(testing::to_vector<float>(*y[0]), (std::vector<float>{3.5f, 6.5f, 9.5f, 7.5f}));
}

TEST(ConvRef, RandomAgainstDirectLoops) {
  std::vector<ConvCase> cases = {
      {{1, 1, 1}, {1, 1, 1}},
      {{2, 3, 11}, {4, 3, 3}, 1, {}, {}, {1, 1}, "NOTSET", true},
      {{1, 4, 17}, {6, 2, 5}, 2, {2}, {2}, {3, 1}},
      {{1, 5, 9}, {5, 1, 3}, 5, {1}, {}, {1, 1}},  // depthwise
      {{1, 3, 8}, {2, 3, 3}, 1, {3}, {}, {}, "SAME_UPPER"},
      {{1, 3, 8}, {2, 3, 4}, 1, {3}, {}, {}, "SAME_LOWER"},
      {{1, 3, 10}, {2, 3, 3}, 1, {2}, {}, {}, "VALID", true},
      {{1, 1, 5, 5}, {1, 1, 3, 3}},
      {{2, 3, 7, 9}, {4, 3, 3, 2}, 1, {2, 1}, {1, 2}, {1, 0, 2, 1}, "NOTSET", true},
      {{1, 6, 6, 7}, {6, 1, 3, 3}, 6, {1, 2}, {}, {1, 1, 1, 1}},    // depthwise 2-D
      {{1, 4, 5, 6}, {8, 4, 1, 1}, 1, {}, {}, {}, "NOTSET", true},  // pointwise
      {{1, 3, 7, 7}, {2, 3, 3, 3}, 1, {2, 2}, {}, {}, "SAME_UPPER"},
      {{1, 2, 4, 5, 6}, {3, 2, 2, 3, 2}, 1, {1, 2, 1}, {}, {0, 1, 1, 1, 0, 0}, "NOTSET", true},
      {{1, 2, 3}, {2, 2, 5}, 1, {}, {}, {}, "VALID"},  // empty output
      {{0, 2, 5}, {2, 2, 3}},                          // empty batch
      {{1, 3, 37}, {17, 3, 3}, 1, {}, {}, {1, 1}},     // ragged row and column tiles
  };
  uint32_t seed = 100;
  for (const auto& c : cases) {
    auto x = random_floats(c.x.numel(), seed++), w = random_floats(c.w.numel(), seed++);
    auto b = c.bias ? random_floats(c.w[0], seed++) : std::vector<float>{};
    Shape os;
    auto ref = conv_oracle(c, x, w, b, &os);
    auto in = c.bias ? std::vector<ConstPtr>{make_const(c.x, x), make_const(c.w, w),
                                             make_const(Shape{c.w[0]}, b)}
                     : std::vector<ConstPtr>{make_const(c.x, x), make_const(c.w, w)};
    auto y = eval(conv_node(c), in, 11);
    EXPECT_TRUE(within(*make_const(os, ref), *y[0], 1e-5)) << c.x.str() << " * " << c.w.str();
  }
}

TEST(ConvRef, Float64) {
  auto n = make_node("Conv", 2);
  set_attr(n, "strides", std::vector<int64_t>{2});
  auto y = eval(
      n, {make_const<double>({1, 1, 5}, {1, 2, 3, 4, 5}), make_const<double>({1, 1, 2}, {1, -1})});
  EXPECT_EQ(testing::to_vector<double>(*y[0]), (std::vector<double>{-1, -1}));
}

TEST(ConvRef, InferKeepsSymbols) {
  graph::Model model;
  model.symbols = {"T"};
  auto run_infer = [&](graph::Node& n, SymShape x) {
    SymShape w = SymShape::of(Shape{384, 80, 3});
    DType in_dt[2] = {DType::kF32, DType::kF32}, out_dt[1];
    SymShape in_sh[2] = {x, w}, out_sh[1];
    const TensorView* vals[2] = {nullptr, nullptr};
    ops::InferContext c(n, 17, in_dt, in_sh, vals, out_dt, out_sh, &model);
    ops::Registry::builtin().find("", "Conv", 17)->infer(c);
    return out_sh[0];
  };
  SymShape x;
  x.rank = 3, x.d[0] = Dim::known(1), x.d[1] = Dim::known(80), x.d[2] = Dim::symbol(0);
  auto n = make_node("Conv", 2);
  set_attr(n, "pads", std::vector<int64_t>{1, 1});
  SymShape o = run_infer(n, x);
  ASSERT_EQ(o.rank, 3);
  EXPECT_EQ(o[1], Dim::known(384));
  EXPECT_EQ(o[2], Dim::symbol(0));  // pad 1, kernel 3, stride 1 preserves the length
  set_attr(n, "strides", std::vector<int64_t>{2});
  o = run_infer(n, x);
  EXPECT_FALSE(o[2].is_known());
  EXPECT_NE(o[2], Dim::symbol(0));
  x.d[1] = Dim::known(81);
  EXPECT_THROW(run_infer(n, x), Error);
}

TEST(ConvRef, ThreadCountInvariant) {
  pthreadpool_t pool = pthreadpool_create(2);
  ConvCase c{{1, 8, 40}, {37, 8, 3}, 1, {2}, {}, {1, 1}, "NOTSET", true};
  auto x = make_const(c.x, random_floats(c.x.numel(), 7));
  auto w = make_const(c.w, random_floats(c.w.numel(), 8));
  auto b = make_const(Shape{37}, random_floats(37, 9));
  const graph::Constant* raw[3] = {x.get(), w.get(), b.get()};
  ops::EvalOptions one, two;
  two.pool = pool;
  auto n = conv_node(c);
  auto y1 = ops::evaluate(n, raw, one), y2 = ops::evaluate(n, raw, two);
  EXPECT_EQ(std::memcmp(y1[0]->data, y2[0]->data, y1[0]->nbytes), 0);
  pthreadpool_destroy(pool);
}

TEST(ConvRef, WhisperTinyConvsAreFastEnough) {
  for (int layer = 0; layer < 2; ++layer) {
    const int64_t cin = layer == 0 ? 80 : 384, len = 3000;
    ConvCase c{{1, cin, len}, {384, cin, 3}, 1, {layer == 0 ? 1 : 2}, {}, {1, 1}, "NOTSET", true};
    auto x = random_floats(c.x.numel(), 50), w = random_floats(c.w.numel(), 51, -0.1f, 0.1f);
    auto b = random_floats(384, 52);
    std::vector<ConstPtr> in = {make_const(c.x, x), make_const(c.w, w), make_const(Shape{384}, b)};
    const auto t0 = std::chrono::steady_clock::now();
    auto y = eval(conv_node(c), in, 17);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_LT(s, 2.0) << "layer " << layer;  // generous: the machine is shared
    std::printf("conv layer %d: %.3f s\n", layer, s);
    EXPECT_EQ(y[0]->shape, (Shape{1, 384, layer == 0 ? 3000 : 1500}));
    // Spot-check one output against a direct sum.
    const int64_t m = 100, t = 700, st = layer == 0 ? 1 : 2;
    double r = b[m];
    for (int64_t ci = 0; ci < cin; ++ci)
      for (int64_t k = 0; k < 3; ++k) {
        const int64_t ix = t * st + k - 1;
        if (ix >= 0 && ix < len) r += double(x[ci * len + ix]) * w[(m * cin + ci) * 3 + k];
      }
    EXPECT_NEAR(testing::to_vector<float>(*y[0])[m * y[0]->shape[2] + t], r, 1e-4);
  }
}

}  // namespace
}  // namespace wrun
