// The pool family (MaxPool, AveragePool, LpPool, Global*Pool, ConvTranspose, BatchNormalization,
// InstanceNormalization, LRN) against hand-computed cases and direct double-precision oracles.
#include <cmath>
#include <limits>

#include "op_test_util.h"
#include "ops/registry.h"

namespace wrun {
namespace {

using namespace testing;  // tests/op_test_util.h

using Ints = std::vector<int64_t>;
using Floats = std::vector<float>;

// Runs a one-output node and returns its values (float32) and shape.
Floats run1(const graph::Node& n, const std::vector<ConstPtr>& in, Shape* shape = nullptr,
            int64_t opset = 18) {
  auto out = eval(n, in, opset);
  if (shape) *shape = out[0]->shape;
  return to_vector<float>(*out[0]);
}

graph::Node pool_node(const std::string& op, const Ints& k, int outputs = 1) {
  auto n = make_node(op, 1, outputs);
  set_attr(n, "kernel_shape", k);
  return n;
}

void expect_floats(const Floats& got, const Floats& want, double tol = 1e-6) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "at " << i;
}

// ---- Sliding-window pools: a direct oracle over explicit per-axis pads and extents. ----

struct Geometry {
  Ints in, k, s, d, pb, pe, out;
};

enum class Red { kMax, kAvg, kAvgPad, kLp2 };

// Pools plane-by-plane; pe bounds the region counted by count_include_pad.
std::vector<double> pool_oracle(const Geometry& g, int64_t planes, const Floats& x, Red r) {
  const size_t nsp = g.in.size();
  int64_t in_size = 1, out_size = 1, ktaps = 1;
  for (size_t i = 0; i < nsp; ++i) in_size *= g.in[i], out_size *= g.out[i], ktaps *= g.k[i];
  std::vector<double> y;
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t j = 0; j < out_size; ++j) {
      Ints o(nsp);
      for (int64_t r2 = j, i = nsp - 1; i >= 0; --i) o[i] = r2 % g.out[i], r2 /= g.out[i];
      double best = -INFINITY, sum = 0;
      int64_t n = 0, npad = 0;
      for (int64_t t = 0; t < ktaps; ++t) {
        bool inside = true, padded = true;
        int64_t off = 0;
        for (int64_t r2 = t, i = nsp - 1, mul = 1; i >= 0; --i) {
          const int64_t kk = r2 % g.k[i];
          r2 /= g.k[i];
          const int64_t xi = o[i] * g.s[i] + kk * g.d[i] - g.pb[i];
          inside &= xi >= 0 && xi < g.in[i];
          padded &= xi >= -g.pb[i] && xi < g.in[i] + g.pe[i];
          off += xi * mul;
          mul *= g.in[i];
        }
        npad += padded;
        if (!inside) continue;
        const double v = x[p * in_size + off];
        best = std::max(best, v), sum += r == Red::kLp2 ? v * v : v, ++n;
      }
      y.push_back(r == Red::kMax      ? best
                  : r == Red::kAvg    ? sum / n
                  : r == Red::kAvgPad ? sum / npad
                                      : std::sqrt(sum));
    }
  return y;
}

TEST(PoolMaxPool, HandComputed2D) {
  auto n = pool_node("MaxPool", {2, 2});
  set_attr(n, "strides", Ints{2, 2});
  Shape s;
  auto y = run1(
      n, {make_const<float>({1, 1, 4, 4}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})},
      &s);
  EXPECT_EQ(s, (Shape{1, 1, 2, 2}));
  expect_floats(y, {6, 8, 14, 16});
}

TEST(PoolMaxPool, IndicesRowAndColumnMajor) {
  Floats x(2 * 25);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i + 1);
  for (int order = 0; order <= 1; ++order) {
    auto n = pool_node("MaxPool", {2, 2}, 2);
    set_attr(n, "strides", Ints{2, 2});
    set_attr(n, "storage_order", int64_t{order});
    auto out = eval(n, {make_const<float>({1, 2, 5, 5}, x)}, 12);
    expect_floats(to_vector<float>(*out[0]), {7, 9, 17, 19, 32, 34, 42, 44});
    // Flat indices include the plane offset (n * C + c) * H * W.
    const Ints want =
        order == 0 ? Ints{6, 8, 16, 18, 31, 33, 41, 43} : Ints{6, 16, 8, 18, 31, 41, 33, 43};
    EXPECT_EQ(to_vector<int64_t>(*out[1]), want) << "storage_order " << order;
  }
}

TEST(PoolMaxPool, PaddingIsNeverTheMaximum) {
  auto n = pool_node("MaxPool", {3}, 2);
  set_attr(n, "pads", Ints{1, 1});
  auto out = eval(n, {make_const<float>({1, 1, 3}, {-5, -7, -6})}, 12);
  expect_floats(to_vector<float>(*out[0]), {-5, -5, -6});
  EXPECT_EQ(to_vector<int64_t>(*out[1]), (Ints{0, 0, 2}));
}

TEST(PoolMaxPool, Dilations) {
  auto n = pool_node("MaxPool", {2});
  set_attr(n, "dilations", Ints{2});
  expect_floats(run1(n, {make_const<float>({1, 1, 6}, {1, 6, 2, 5, 3, 4})}), {2, 6, 3, 5});
}

TEST(PoolMaxPool, CeilModeAndLastWindow) {
  // in 5, k 2, s 2: floor gives 2 windows, ceil 3 (the last one half outside).
  auto n = pool_node("MaxPool", {2});
  set_attr(n, "strides", Ints{2});
  set_attr(n, "ceil_mode", int64_t{1});
  Shape s;
  expect_floats(run1(n, {make_const<float>({1, 1, 5}, {1, 2, 3, 4, 5})}, &s), {2, 4, 5});
  EXPECT_EQ(s, (Shape{1, 1, 3}));
  // in 4 with one trailing pad: ceil would add a window starting in the end padding; the spec
  // (as PyTorch) drops a last window that starts past the input.
  set_attr(n, "pads", Ints{0, 1});
  expect_floats(run1(n, {make_const<float>({1, 1, 4}, {1, 2, 3, 4})}, &s), {2, 4});
  EXPECT_EQ(s, (Shape{1, 1, 2}));
}

TEST(PoolMaxPool, AutoPad) {
  Shape s;
  for (const char* mode : {"SAME_UPPER", "SAME_LOWER"}) {
    auto n = pool_node("MaxPool", {2});
    set_attr(n, "auto_pad", std::string(mode));
    auto y = run1(n, {make_const<float>({1, 1, 3}, {1, 3, 2})}, &s);
    EXPECT_EQ(s, (Shape{1, 1, 3}));
    // One pad in total: at the end for SAME_UPPER, at the start for SAME_LOWER.
    expect_floats(y, std::string(mode) == "SAME_UPPER" ? Floats{3, 3, 2} : Floats{1, 3, 3});
  }
  auto v = pool_node("MaxPool", {2});
  set_attr(v, "auto_pad", std::string("VALID"));
  set_attr(v, "strides", Ints{2});
  set_attr(v, "ceil_mode", int64_t{1});  // the spec's VALID formula ignores ceil_mode
  expect_floats(run1(v, {make_const<float>({1, 1, 5}, {1, 2, 3, 4, 5})}, &s), {2, 4});
}

TEST(PoolMaxPool, Int8AndUint8FromOpset12) {
  auto n = pool_node("MaxPool", {2});
  auto i8 = eval(n, {make_const<int8_t>({1, 1, 3}, {-128, -100, 127})}, 12);
  EXPECT_EQ(to_vector<int8_t>(*i8[0]), (std::vector<int8_t>{-100, 127}));
  auto u8 = eval(n, {make_const<uint8_t>({1, 1, 3}, {0, 255, 3})}, 12);
  EXPECT_EQ(to_vector<uint8_t>(*u8[0]), (std::vector<uint8_t>{255, 255}));
  EXPECT_THROW(eval(n, {make_const<uint8_t>({1, 1, 3}, {0, 255, 3})}, 11), Error);
}

TEST(PoolMaxPool, Float64AndFloat16) {
  auto n = pool_node("MaxPool", {2});
  auto d = eval(n, {make_const<double>({1, 1, 3}, {0.1, 0.3, 0.2})});
  EXPECT_EQ(to_vector<double>(*d[0]), (std::vector<double>{0.3, 0.3}));
  std::vector<uint16_t> h = {f32_to_f16(1.5f), f32_to_f16(-2.0f), f32_to_f16(0.25f)};
  auto hf = eval(n, {graph::Constant::copy_of(DType::kF16, Shape{1, 1, 3}, h.data())});
  auto hv = to_vector<uint16_t>(*hf[0]);
  EXPECT_EQ(f16_to_f32(hv[0]), 1.5f);
  EXPECT_EQ(f16_to_f32(hv[1]), 0.25f);
}

TEST(PoolMaxPool, RejectsBadAttributes) {
  auto x = make_const<float>({1, 1, 4}, {1, 2, 3, 4});
  auto no_kernel = make_node("MaxPool", 1);
  EXPECT_THROW(eval(no_kernel, {x}), Error);
  auto big_pad = pool_node("MaxPool", {2});
  set_attr(big_pad, "pads", Ints{2, 0});  // a window made only of padding
  EXPECT_THROW(eval(big_pad, {x}), Error);
  auto wrong_rank = pool_node("MaxPool", {2, 2});
  EXPECT_THROW(eval(wrong_rank, {x}), Error);
  auto zero_stride = pool_node("MaxPool", {2});
  set_attr(zero_stride, "strides", Ints{0});
  EXPECT_THROW(eval(zero_stride, {x}), Error);
  auto bad_pad_count = pool_node("MaxPool", {2});
  set_attr(bad_pad_count, "pads", Ints{1});
  EXPECT_THROW(eval(bad_pad_count, {x}), Error);
  auto bad_mode = pool_node("MaxPool", {2});
  set_attr(bad_mode, "auto_pad", std::string("SAME"));
  EXPECT_THROW(eval(bad_mode, {x}), Error);
  try {
    eval(big_pad, {x});
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("MaxPool 'MaxPool_test'"), std::string::npos);
  }
}

TEST(PoolAveragePool, CountIncludePad) {
  auto x = make_const<float>({1, 1, 3}, {1, 2, 3});
  auto n = pool_node("AveragePool", {2});
  set_attr(n, "pads", Ints{1, 1});
  expect_floats(run1(n, {x}), {1, 1.5, 2.5, 3});
  set_attr(n, "count_include_pad", int64_t{1});
  expect_floats(run1(n, {x}), {0.5, 1.5, 2.5, 1.5});
}

TEST(PoolAveragePool, CeilModeClipsToThePaddedExtent) {
  // The last ceil-mode window runs past the input and its (zero) padding: those taps never count.
  auto n = pool_node("AveragePool", {2});
  set_attr(n, "strides", Ints{2});
  set_attr(n, "ceil_mode", int64_t{1});
  set_attr(n, "count_include_pad", int64_t{1});
  expect_floats(run1(n, {make_const<float>({1, 1, 5}, {1, 2, 3, 4, 5})}), {1.5, 3.5, 5});
}

TEST(PoolAveragePool, DilationsAndSameLower) {
  auto n = pool_node("AveragePool", {2});
  set_attr(n, "dilations", Ints{2});
  expect_floats(run1(n, {make_const<float>({1, 1, 4}, {1, 2, 4, 8})}, nullptr, 19), {2.5, 5});
  auto s = pool_node("AveragePool", {3});
  set_attr(s, "auto_pad", std::string("SAME_LOWER"));
  set_attr(s, "strides", Ints{2});
  set_attr(s, "count_include_pad", int64_t{1});
  // in 4, out 2, total pad 1 -> at the start: windows [-1,0,1] and [1,2,3].
  expect_floats(run1(s, {make_const<float>({1, 1, 4}, {3, 6, 9, 12})}), {3, 9});
}

TEST(PoolWindow, RandomAgainstOracle) {
  struct Case {
    Ints in, k, s, d, pads;
    bool ceil;
  };
  const std::vector<Case> cases = {
      {{7, 9}, {3, 2}, {2, 1}, {1, 2}, {1, 0, 2, 1}, false},
      {{8, 6}, {3, 3}, {2, 3}, {1, 1}, {1, 1, 1, 2}, true},
      {{5, 6, 7}, {2, 3, 2}, {1, 2, 2}, {2, 1, 1}, {0, 1, 1, 1, 0, 0}, true},
      {{11}, {4}, {3}, {1}, {2, 3}, true},
  };
  uint32_t seed = 1;
  for (const auto& c : cases) {
    const size_t nsp = c.in.size();
    Geometry g{c.in, c.k, c.s, c.d, {}, {}, {}};
    Shape xs{2, 3};
    for (size_t i = 0; i < nsp; ++i) {
      xs.push(c.in[i]);
      g.pb.push_back(c.pads[i]), g.pe.push_back(c.pads[i + nsp]);
      const int64_t span = c.d[i] * (c.k[i] - 1) + 1,
                    num = c.in[i] + c.pads[i] + c.pads[i + nsp] - span;
      int64_t out = (c.ceil ? (num + c.s[i] - 1) / c.s[i] : num / c.s[i]) + 1;
      if (c.ceil && (out - 1) * c.s[i] >= c.in[i] + c.pads[i]) --out;
      g.out.push_back(out);
    }
    auto xv = random_floats(xs.numel(), seed++);
    auto x = make_const<float>(xs, xv);
    const std::pair<const char*, Red> ops[] = {{"MaxPool", Red::kMax},
                                               {"AveragePool", Red::kAvg},
                                               {"AveragePool", Red::kAvgPad},
                                               {"LpPool", Red::kLp2}};
    for (const auto& [op, red] : ops) {
      auto n = pool_node(op, c.k);
      set_attr(n, "strides", c.s);
      set_attr(n, "dilations", c.d);
      set_attr(n, "pads", c.pads);
      if (std::string(op) != "LpPool") set_attr(n, "ceil_mode", int64_t{c.ceil});
      if (red == Red::kAvgPad) set_attr(n, "count_include_pad", int64_t{1});
      if (std::string(op) == "LpPool" && c.ceil) continue;  // LpPool's ceil_mode is opset 18
      Shape ys;
      auto y = run1(n, {x}, &ys, 19);
      auto want = pool_oracle(g, 6, xv, red);
      ASSERT_EQ(y.size(), want.size()) << op;
      for (size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(y[i], want[i], 1e-6) << op << " at " << i;
      EXPECT_EQ(ys[0], 2);
    }
  }
}

TEST(PoolLpPool, HandComputedAndOpset1FloatP) {
  auto n = pool_node("LpPool", {2});
  auto x = make_const<float>({1, 1, 3}, {3, -4, 0});
  expect_floats(run1(n, {x}, nullptr, 11), {5, 4});  // p defaults to 2
  set_attr(n, "p", int64_t{1});
  expect_floats(run1(n, {x}, nullptr, 11), {7, 4});
  auto f = pool_node("LpPool", {2});
  set_attr(f, "p", 3.0f);  // opset 1 states p as a float
  expect_floats(run1(f, {x}, nullptr, 1), {static_cast<float>(std::cbrt(91.0)), 4}, 1e-5);
  set_attr(f, "p", 0.0f);
  EXPECT_THROW(run1(f, {x}, nullptr, 1), Error);
}

TEST(PoolGlobal, AverageMaxLp) {
  auto x = make_const<float>({1, 2, 2, 2}, {1, 2, 3, 4, -1, -2, -3, -4});
  Shape s;
  expect_floats(run1(make_node("GlobalAveragePool", 1), {x}, &s), {2.5, -2.5});
  EXPECT_EQ(s, (Shape{1, 2, 1, 1}));
  expect_floats(run1(make_node("GlobalMaxPool", 1), {x}), {4, -1});
  expect_floats(run1(make_node("GlobalLpPool", 1), {x}), {std::sqrt(30.0f), std::sqrt(30.0f)},
                1e-5);
  auto one = make_node("GlobalLpPool", 1);
  set_attr(one, "p", int64_t{1});
  expect_floats(run1(one, {x}), {10, 10});
  EXPECT_THROW(eval(make_node("GlobalMaxPool", 1), {make_const<int32_t>({1, 1, 2}, {1, 2})}),
               Error);
}

// ---- ConvTranspose: the oracle scatters into the full result, then crops [pb, pb + out). ----

struct CtCase {
  Ints x, w;  // [N, C, in...], [C, M/group, k...]
  int64_t group = 1;
  Ints s, d, out_pad, pb, out;  // resolved per axis by the test
};

std::vector<double> ct_oracle(const CtCase& c, const Floats& x, const Floats& w, const Floats& b) {
  const size_t nsp = c.x.size() - 2;
  const int64_t N = c.x[0], C = c.x[1], Mg = c.w[1], M = Mg * c.group, Cg = C / c.group;
  Ints full(nsp);
  int64_t in_size = 1, K = 1, out_size = 1, full_size = 1;
  for (size_t i = 0; i < nsp; ++i) {
    full[i] = c.s[i] * (c.x[i + 2] - 1) + c.out_pad[i] + c.d[i] * (c.w[i + 2] - 1) + 1;
    in_size *= c.x[i + 2], K *= c.w[i + 2], out_size *= c.out[i], full_size *= full[i];
  }
  std::vector<double> y(N * M * out_size);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t m = 0; m < M; ++m) {
      std::vector<double> f(full_size, 0.0);
      const int64_t g = m / Mg;
      for (int64_t ci = 0; ci < Cg; ++ci) {
        const int64_t ch = g * Cg + ci;
        for (int64_t p = 0; p < in_size; ++p)
          for (int64_t kk = 0; kk < K; ++kk) {
            int64_t off = 0;
            for (int64_t rp = p, rk = kk, i = nsp - 1, mul = 1; i >= 0; --i) {
              const int64_t xi = rp % c.x[i + 2], ki = rk % c.w[i + 2];
              rp /= c.x[i + 2], rk /= c.w[i + 2];
              off += (xi * c.s[i] + ki * c.d[i]) * mul;
              mul *= full[i];
            }
            f[off] += double(x[(n * C + ch) * in_size + p]) * w[(ch * Mg + (m % Mg)) * K + kk];
          }
      }
      for (int64_t j = 0; j < out_size; ++j) {
        int64_t off = 0;
        bool in = true;
        for (int64_t r = j, i = nsp - 1, mul = 1; i >= 0; --i) {
          const int64_t fi = r % c.out[i] + c.pb[i];
          r /= c.out[i];
          in &= fi >= 0 && fi < full[i];
          off += fi * mul;
          mul *= full[i];
        }
        y[(n * M + m) * out_size + j] = (b.empty() ? 0.0 : b[m]) + (in ? f[off] : 0.0);
      }
    }
  return y;
}

TEST(PoolConvTranspose, HandComputed1D) {
  auto x = make_const<float>({1, 1, 2}, {1, 2});
  auto w = make_const<float>({1, 1, 3}, {1, 1, 1});
  auto n = make_node("ConvTranspose", 2);
  Shape s;
  expect_floats(run1(n, {x, w}, &s), {1, 3, 3, 2});
  set_attr(n, "strides", Ints{2});
  expect_floats(run1(n, {x, w}), {1, 1, 3, 2, 2});
  set_attr(n, "output_padding", Ints{1});
  expect_floats(run1(n, {x, w}, &s), {1, 1, 3, 2, 2, 0});
  set_attr(n, "pads", Ints{1, 1});
  expect_floats(run1(n, {x, w}, &s), {1, 3, 2, 2});
  auto nb = make_node("ConvTranspose", 3);
  expect_floats(run1(nb, {x, w, make_const<float>({1}, {10})}), {11, 13, 13, 12});
}

TEST(PoolConvTranspose, OutputShapeAndAutoPadSplits) {
  auto x = make_const<float>({1, 1, 2}, {1, 2});
  auto w = make_const<float>({1, 1, 3}, {1, 1, 1});
  // Full result (stride 2): [1, 1, 3, 2, 2]. output_shape 4 leaves a total pad of 1: the spec puts
  // it at the start (NOTSET, SAME_LOWER) or the end (SAME_UPPER).
  auto n = make_node("ConvTranspose", 2);
  set_attr(n, "strides", Ints{2});
  set_attr(n, "output_shape", Ints{4});
  expect_floats(run1(n, {x, w}), {1, 3, 2, 2});
  auto u = make_node("ConvTranspose", 2);
  set_attr(u, "strides", Ints{2});
  set_attr(u, "auto_pad", std::string("SAME_UPPER"));  // out = in * stride = 4
  expect_floats(run1(u, {x, w}), {1, 1, 3, 2});
  set_attr(u, "auto_pad", std::string("SAME_LOWER"));
  expect_floats(run1(u, {x, w}), {1, 3, 2, 2});
  // An output_shape past the full result: the extra positions hold the bias only.
  set_attr(n, "output_shape", Ints{1, 1, 7});  // the whole shape is accepted too
  expect_floats(run1(n, {x, w}), {1, 1, 3, 2, 2, 0, 0});
  // SAME with a 1-tap kernel: full result [1, 0, 2], out = in * stride = 4.
  set_attr(u, "auto_pad", std::string("SAME_UPPER"));
  expect_floats(run1(u, {x, make_const<float>({1, 1, 1}, {1})}), {1, 0, 2, 0});
}

TEST(PoolConvTranspose, RandomAgainstOracle) {
  struct Case {
    Ints x, w;
    int64_t group;
    Ints s, d, out_pad, pads;
  };
  const std::vector<Case> cases = {
      {{2, 4, 5}, {4, 3, 3}, 2, {2}, {1}, {1}, {1, 0}},
      {{1, 3, 4, 5}, {3, 2, 3, 2}, 1, {2, 3}, {2, 1}, {1, 0}, {1, 2, 0, 1}},
      {{2, 6, 3, 4}, {6, 1, 2, 3}, 3, {1, 2}, {1, 1}, {0, 1}, {0, 0, 0, 0}},
      {{1, 2, 3, 2, 4}, {2, 2, 2, 3, 2}, 1, {2, 1, 2}, {1, 2, 1}, {1, 0, 0}, {1, 0, 0, 0, 1, 1}},
  };
  uint32_t seed = 10;
  for (const auto& c : cases) {
    const size_t nsp = c.x.size() - 2;
    CtCase oc{c.x, c.w, c.group, c.s, c.d, c.out_pad, {}, {}};
    Shape xs = Shape::from(c.x), ws = Shape::from(c.w);
    for (size_t i = 0; i < nsp; ++i) {
      oc.pb.push_back(c.pads[i]);
      oc.out.push_back(c.s[i] * (c.x[i + 2] - 1) + c.out_pad[i] + c.d[i] * (c.w[i + 2] - 1) + 1 -
                       c.pads[i] - c.pads[i + nsp]);
    }
    auto xv = random_floats(xs.numel(), seed++), wv = random_floats(ws.numel(), seed++);
    auto bv = random_floats(c.w[1] * c.group, seed++);
    auto n = make_node("ConvTranspose", 3);
    set_attr(n, "group", c.group);
    set_attr(n, "strides", c.s);
    set_attr(n, "dilations", c.d);
    set_attr(n, "output_padding", c.out_pad);
    set_attr(n, "pads", c.pads);
    Shape ys;
    auto y = run1(n,
                  {make_const<float>(xs, xv), make_const<float>(ws, wv),
                   make_const<float>({c.w[1] * c.group}, bv)},
                  &ys);
    auto want = ct_oracle(oc, xv, wv, bv);
    ASSERT_EQ(y.size(), want.size());
    for (size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(y[i], want[i], 1e-5) << "at " << i;
    EXPECT_EQ(ys[1], c.w[1] * c.group);
  }
}

TEST(PoolConvTranspose, RejectsMismatches) {
  auto x = make_const<float>({1, 2, 3}, {1, 2, 3, 4, 5, 6});
  auto w = make_const<float>({3, 1, 2}, {1, 1, 1, 1, 1, 1});
  EXPECT_THROW(eval(make_node("ConvTranspose", 2), {x, w}), Error);  // 2 channels vs 3
  auto w2 = make_const<float>({2, 1, 2}, {1, 1, 1, 1});
  auto n = make_node("ConvTranspose", 3);
  EXPECT_THROW(eval(n, {x, w2, make_const<float>({2}, {0, 0})}), Error);  // bias is [M] = [1]
  auto k = make_node("ConvTranspose", 2);
  set_attr(k, "kernel_shape", Ints{3});
  EXPECT_THROW(eval(k, {x, w2}), Error);
  auto p = make_node("ConvTranspose", 2);
  set_attr(p, "pads", Ints{3, 3});  // output extent 4 - 6 < 0
  EXPECT_THROW(eval(p, {x, w2}), Error);
  auto op = make_node("ConvTranspose", 2);
  set_attr(op, "strides", Ints{2});
  set_attr(op, "output_padding", Ints{2});  // must be less than the stride or the dilation
  EXPECT_THROW(eval(op, {x, w2}), Error);
}

// ---- Normalisations. ----

TEST(PoolBatchNorm, HandComputed) {
  auto n = make_node("BatchNormalization", 5);
  auto x = make_const<float>({1, 2, 1, 2}, {1, 2, 3, 4});
  auto scale = make_const<float>({2}, {2, 1});
  auto b = make_const<float>({2}, {0, 1});
  auto mean = make_const<float>({2}, {1, 3});
  auto var = make_const<float>({2}, {4, 0.25f});
  set_attr(n, "epsilon", 0.0f);
  for (int64_t opset : {7, 9, 14, 15})
    expect_floats(run1(n, {x, scale, b, mean, var}, nullptr, opset), {0, 1, 1, 3});
  // Opset 15: scale/B and mean/var may have their own float dtypes.
  auto dmean = make_const<double>({2}, {1, 3}), dvar = make_const<double>({2}, {4, 0.25});
  expect_floats(run1(n, {x, scale, b, dmean, dvar}, nullptr, 15), {0, 1, 1, 3});
  EXPECT_THROW(run1(n, {x, scale, b, dmean, dvar}, nullptr, 14), Error);
}

TEST(PoolBatchNorm, PerActivationAtOpset7) {
  auto n = make_node("BatchNormalization", 5);
  set_attr(n, "spatial", int64_t{0});
  set_attr(n, "epsilon", 0.0f);
  auto x = make_const<float>({2, 1, 2}, {1, 2, 3, 4});
  auto one = make_const<float>({1, 2}, {1, 1});
  auto zero = make_const<float>({1, 2}, {0, 0});
  auto mean = make_const<float>({1, 2}, {1, 2});
  expect_floats(run1(n, {x, one, zero, mean, one}, nullptr, 7), {0, 0, 2, 2});
}

TEST(PoolBatchNorm, TrainingRefused) {
  auto x = make_const<float>({1, 1, 2}, {1, 2});
  auto p = make_const<float>({1}, {1});
  auto t = make_node("BatchNormalization", 5);
  set_attr(t, "training_mode", int64_t{1});
  try {
    eval(t, {x, p, p, p, p}, 15);
    ADD_FAILURE() << "training_mode=1 accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("training_mode=1"), std::string::npos) << e.what();
  }
  auto stats = make_node("BatchNormalization", 5, 3);  // opset 9: statistics outputs = training
  EXPECT_THROW(eval(stats, {x, p, p, p, p}, 9), Error);
  auto old = make_node("BatchNormalization", 5);  // opset 6: is_test defaults to 0 (training)
  EXPECT_THROW(eval(old, {x, p, p, p, p}, 6), Error);
  set_attr(old, "is_test", int64_t{1});
  EXPECT_EQ(run1(old, {x, p, p, p, p}, nullptr, 6).size(), 2u);
}

TEST(PoolInstanceNorm, AgainstOracle) {
  const Shape xs{2, 3, 4, 5};
  auto xv = random_floats(xs.numel(), 3, -2, 5);
  auto sv = random_floats(3, 4), bv = random_floats(3, 5);
  auto n = make_node("InstanceNormalization", 3);
  set_attr(n, "epsilon", 0.01f);
  auto y =
      run1(n, {make_const<float>(xs, xv), make_const<float>({3}, sv), make_const<float>({3}, bv)});
  for (int64_t p = 0; p < 6; ++p) {
    double mean = 0, var = 0;
    for (int i = 0; i < 20; ++i) mean += xv[p * 20 + i];
    mean /= 20;
    for (int i = 0; i < 20; ++i) var += (xv[p * 20 + i] - mean) * (xv[p * 20 + i] - mean);
    var /= 20;
    for (int i = 0; i < 20; ++i) {
      const double want =
          sv[p % 3] * (xv[p * 20 + i] - mean) / std::sqrt(var + double(0.01f)) + bv[p % 3];
      EXPECT_NEAR(y[p * 20 + i], want, 1e-5);
    }
  }
  EXPECT_THROW(run1(n, {make_const<float>(xs, xv), make_const<float>({2}, {1, 1}),
                        make_const<float>({3}, bv)}),
               Error);
}

TEST(PoolLrn, AgainstOracle) {
  const Shape xs{2, 5, 2, 3};
  auto xv = random_floats(xs.numel(), 7);
  for (int64_t size : {1, 2, 3, 4}) {
    auto n = make_node("LRN", 1);
    set_attr(n, "size", size);
    set_attr(n, "alpha", 0.5f);
    set_attr(n, "beta", 0.6f);
    set_attr(n, "bias", 1.5f);
    auto y = run1(n, {make_const<float>(xs, xv)});
    for (int64_t b = 0; b < 2; ++b)
      for (int64_t c = 0; c < 5; ++c)
        for (int64_t s = 0; s < 6; ++s) {
          double sq = 0;
          for (int64_t k = c - (size - 1) / 2; k <= c + size / 2; ++k)
            if (k >= 0 && k < 5) sq += double(xv[(b * 5 + k) * 6 + s]) * xv[(b * 5 + k) * 6 + s];
          const double want = xv[(b * 5 + c) * 6 + s] /
                              std::pow(double(1.5f) + double(0.5f) / size * sq, double(0.6f));
          EXPECT_NEAR(y[(b * 5 + c) * 6 + s], want, 1e-6) << "size " << size;
        }
  }
  EXPECT_THROW(run1(make_node("LRN", 1), {make_const<float>(xs, xv)}), Error);  // size required
}

// ---- Symbolic shape inference. ----

struct Inferred {
  DType dt;
  SymShape s;
};

Inferred infer(graph::Model& m, const graph::Node& n, std::vector<DType> dts,
               std::vector<SymShape> shapes, int64_t opset = 18) {
  const ops::OpSchema* sc = ops::Registry::builtin().find("", n.op_type, opset);
  EXPECT_NE(sc, nullptr);
  std::vector<const TensorView*> vals(dts.size(), nullptr);
  DType odt[2] = {};
  SymShape os[2];
  ops::InferContext c(n, opset, dts, shapes, vals, {odt, n.outputs.size()}, {os, n.outputs.size()},
                      &m);
  sc->infer(c);
  return {odt[0], os[0]};
}

SymShape sym(std::initializer_list<Dim> d) {
  SymShape s;
  for (Dim x : d) s.push(x);
  return s;
}

TEST(PoolInfer, SymbolicDims) {
  graph::Model m;
  const Dim N = Dim::symbol(m.symbol("N")), T = Dim::symbol(m.symbol("T"));
  auto same = pool_node("MaxPool", {3});
  set_attr(same, "auto_pad", std::string("SAME_UPPER"));
  auto r = infer(m, same, {DType::kF32}, {sym({N, Dim::known(4), T})});
  EXPECT_TRUE(r.s[0] == N && r.s[2] == T);
  auto pads = pool_node("AveragePool", {3});
  set_attr(pads, "pads", Ints{1, 1});
  EXPECT_TRUE(infer(m, pads, {DType::kF32}, {sym({N, Dim::known(4), T})}).s[2] == T);
  auto strided = pool_node("MaxPool", {2});
  set_attr(strided, "strides", Ints{2});
  // kernel_shape has one entry: the input must have rank 3.
  EXPECT_THROW(infer(m, strided, {DType::kF32}, {sym({N, Dim::known(4), T, Dim::known(9)})}),
               Error);
}

TEST(PoolInfer, SymbolicShapes) {
  graph::Model m;
  const Dim N = Dim::symbol(m.symbol("N")), T = Dim::symbol(m.symbol("T"));
  auto strided = pool_node("MaxPool", {2, 2});
  set_attr(strided, "strides", Ints{2, 2});
  auto r = infer(m, strided, {DType::kF32}, {sym({N, Dim::known(4), T, Dim::known(9)})});
  ASSERT_EQ(r.s.rank, 4);
  EXPECT_TRUE(r.s[0] == N);
  EXPECT_FALSE(r.s[2].is_known() || r.s[2] == T);  // a fresh symbol
  EXPECT_TRUE(r.s[3] == Dim::known(4));
  // Unknown rank: kernel_shape still fixes it.
  r = infer(m, strided, {DType::kF32}, {SymShape{}});
  EXPECT_EQ(r.s.rank, 4);
  auto g = make_node("GlobalAveragePool", 1);
  r = infer(m, g, {DType::kF32}, {sym({N, Dim::known(4), T})});
  EXPECT_TRUE(r.s[0] == N && r.s[2] == Dim::known(1));
  auto ct = make_node("ConvTranspose", 2);
  set_attr(ct, "pads", Ints{1, 1});
  r = infer(m, ct, {DType::kF32, DType::kF32},
            {sym({N, Dim::known(4), T}), sym({Dim::known(4), Dim::known(2), Dim::known(3)})});
  EXPECT_TRUE(r.s[0] == N && r.s[1] == Dim::known(2) && r.s[2] == T);
  set_attr(ct, "group", int64_t{2});
  set_attr(ct, "strides", Ints{2});
  r = infer(m, ct, {DType::kF32, DType::kF32},
            {sym({N, Dim::known(4), Dim::known(5)}), sym({Dim::known(4), Dim::known(2), T})});
  EXPECT_TRUE(r.s[1] == Dim::known(4));
  EXPECT_FALSE(r.s[2].is_known());  // kernel extent unknown
  auto bn = make_node("BatchNormalization", 5);
  const SymShape p = sym({Dim::known(4)});
  r = infer(m, bn, std::vector<DType>(5, DType::kF32), {sym({N, Dim::known(4), T}), p, p, p, p},
            15);
  EXPECT_TRUE(r.s[0] == N && r.s[2] == T);
}

}  // namespace
}  // namespace wrun
