// LSTM, GRU and RNN against hand-computed steps and a plain double-precision oracle.
#include <cmath>
#include <string>
#include <vector>

#include "op_test_util.h"
#include "ops/rnn/rnn.h"
#include "runtime/session.h"
#include "tests/alloc_counter.h"

namespace wrun {
namespace {

using namespace testing;  // tests/op_test_util.h

double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

// ---------------------------------------------------------------------------------------------
// The oracle: one loop per (direction, batch), formulas written as in the ONNX spec, layout 0.

struct Case {
  std::string op = "LSTM";  // LSTM, GRU, RNN
  int64_t seq = 3, batch = 2, input = 3, hidden = 4;
  std::string direction = "forward";
  int layout = 0;
  bool bias = false, lens = false, init_h = false, init_c = false, peep = false;
  bool input_forget = false, lbr = false;
  float clip = 0;                 // 0: no clip attribute
  std::vector<std::string> acts;  // empty: defaults
  std::vector<float> alpha, beta;
  int64_t opset = 14;

  int dirs() const { return direction == "bidirectional" ? 2 : 1; }
  int gates() const { return op == "LSTM" ? 4 : op == "GRU" ? 3 : 1; }
  int acts_per_dir() const { return op == "LSTM" ? 3 : op == "GRU" ? 2 : 1; }
};

struct Inputs {
  std::vector<float> X, W, R, B, h0, c0, P;  // X and states in layout 0
  std::vector<int32_t> lens;
};

struct Outputs {
  std::vector<double> Y, Yh, Yc;  // layout 0
};

double act_fn(const std::string& name, double x, double a, double b) {
  if (name == "Sigmoid") return sigmoid(x);
  if (name == "Tanh") return std::tanh(x);
  if (name == "Relu") return std::max(0.0, x);
  if (name == "Affine") return a * x + b;
  if (name == "LeakyRelu") return x >= 0 ? x : a * x;
  if (name == "ThresholdedRelu") return x >= a ? x : 0;
  if (name == "ScaledTanh") return a * std::tanh(b * x);
  if (name == "HardSigmoid") return std::min(std::max(a * x + b, 0.0), 1.0);
  if (name == "Elu") return x >= 0 ? x : a * (std::exp(x) - 1);
  if (name == "Softsign") return x / (1 + std::fabs(x));
  if (name == "Softplus") return std::log(1 + std::exp(x));
  ADD_FAILURE() << "oracle: unknown activation " << name;
  return 0;
}

struct OracleAct {
  std::string name;
  double a = 0, b = 0;
  double operator()(double x) const { return act_fn(name, x, a, b); }
};

// Activations of direction d: the listed ones (alpha/beta taken in order by those using them),
// else the defaults.
std::vector<OracleAct> oracle_acts(const Case& c, int d) {
  std::vector<OracleAct> all;
  if (c.acts.empty()) {
    for (int k = 0; k < c.acts_per_dir() * c.dirs(); ++k)
      all.push_back({(k % c.acts_per_dir() == 0 && c.op != "RNN") ? "Sigmoid" : "Tanh"});
  } else {
    size_t ai = 0, bi = 0;
    for (const auto& n : c.acts) {
      OracleAct a{n};
      const bool ua = n == "Affine" || n == "LeakyRelu" || n == "ThresholdedRelu" ||
                      n == "ScaledTanh" || n == "HardSigmoid" || n == "Elu";
      const bool ub = n == "Affine" || n == "ScaledTanh" || n == "HardSigmoid";
      a.a = n == "LeakyRelu" ? 0.01 : n == "HardSigmoid" ? 0.2 : 1.0;
      a.b = n == "HardSigmoid" ? 0.5 : n == "ScaledTanh" ? 1.0 : 0.0;
      if (ua && ai < c.alpha.size()) a.a = c.alpha[ai++];
      if (ub && bi < c.beta.size()) a.b = c.beta[bi++];
      all.push_back(a);
    }
  }
  const int n = c.acts_per_dir();
  if (static_cast<int>(all.size()) == n) return all;
  return std::vector<OracleAct>(all.begin() + d * n, all.begin() + (d + 1) * n);
}

Outputs oracle(const Case& c, const Inputs& in) {
  const int64_t S = c.seq, N = c.batch, I = c.input, H = c.hidden, D = c.dirs(), G = c.gates();
  Outputs out;
  out.Y.assign(S * D * N * H, 0.0);
  out.Yh.assign(D * N * H, 0.0);
  out.Yc.assign(D * N * H, 0.0);
  auto clip = [&](double v) {
    return c.clip > 0 ? std::min(std::max(v, -double(c.clip)), double(c.clip)) : v;
  };
  for (int64_t d = 0; d < D; ++d) {
    const auto f = oracle_acts(c, static_cast<int>(d));
    auto Wm = [&](int64_t row, int64_t k) { return double(in.W[(d * G * H + row) * I + k]); };
    auto Rm = [&](int64_t row, int64_t k) { return double(in.R[(d * G * H + row) * H + k]); };
    auto Wb = [&](int64_t row) { return c.bias ? double(in.B[d * 2 * G * H + row]) : 0.0; };
    auto Rb = [&](int64_t row) { return c.bias ? double(in.B[d * 2 * G * H + G * H + row]) : 0.0; };
    auto Pm = [&](int64_t g, int64_t j) {
      return c.peep ? double(in.P[d * 3 * H + g * H + j]) : 0.0;
    };
    for (int64_t b = 0; b < N; ++b) {
      std::vector<double> h(H, 0.0), cs(H, 0.0);
      for (int64_t j = 0; j < H; ++j) {
        if (c.init_h) h[j] = in.h0[(d * N + b) * H + j];
        if (c.init_c) cs[j] = in.c0[(d * N + b) * H + j];
      }
      const int64_t L = c.lens ? in.lens[b] : S;
      for (int64_t s = 0; s < L; ++s) {
        const int64_t t = (c.direction == "reverse" || d == 1) ? L - 1 - s : s;
        auto xw = [&](int64_t row) {  // Xt*W^T + Wb for one row
          double v = Wb(row);
          for (int64_t k = 0; k < I; ++k) v += in.X[(t * N + b) * I + k] * Wm(row, k);
          return v;
        };
        auto hr = [&](int64_t row, const std::vector<double>& v) {  // v*R^T for one row
          double r = 0;
          for (int64_t k = 0; k < H; ++k) r += v[k] * Rm(row, k);
          return r;
        };
        std::vector<double> nh(H), nc(H);
        if (c.op == "RNN") {
          for (int64_t j = 0; j < H; ++j) nh[j] = f[0](clip(xw(j) + hr(j, h) + Rb(j)));
        } else if (c.op == "GRU") {
          std::vector<double> z(H), r(H), rh(H);
          for (int64_t j = 0; j < H; ++j) {
            z[j] = f[0](clip(xw(j) + hr(j, h) + Rb(j)));
            r[j] = f[0](clip(xw(H + j) + hr(H + j, h) + Rb(H + j)));
            rh[j] = r[j] * h[j];
          }
          for (int64_t j = 0; j < H; ++j) {
            const int64_t row = 2 * H + j;
            const double ht = c.lbr ? f[1](clip(xw(row) + r[j] * (hr(row, h) + Rb(row))))
                                    : f[1](clip(xw(row) + hr(row, rh) + Rb(row)));
            nh[j] = (1 - z[j]) * ht + z[j] * h[j];
          }
        } else {  // LSTM: W rows i, o, f, c; P i, o, f
          for (int64_t j = 0; j < H; ++j) {
            auto pre = [&](int g) { return xw(g * H + j) + hr(g * H + j, h) + Rb(g * H + j); };
            const double ig = f[0](clip(pre(0) + Pm(0, j) * cs[j]));
            const double fg = c.input_forget ? 1 - ig : f[0](clip(pre(2) + Pm(2, j) * cs[j]));
            const double cg = f[1](clip(pre(3)));
            nc[j] = fg * cs[j] + ig * cg;
            const double og = f[0](clip(pre(1) + Pm(1, j) * nc[j]));
            nh[j] = og * f[2](nc[j]);
          }
          cs = nc;
        }
        h = nh;
        for (int64_t j = 0; j < H; ++j) out.Y[((t * D + d) * N + b) * H + j] = h[j];
      }
      for (int64_t j = 0; j < H; ++j) {
        out.Yh[(d * N + b) * H + j] = h[j];
        out.Yc[(d * N + b) * H + j] = cs[j];
      }
    }
  }
  return out;
}

// Swaps the first two dims of a [a, b, rest] array (layout 0 <-> 1 for X and states).
template <class T>
std::vector<T> swap01(const std::vector<T>& v, int64_t a, int64_t b, int64_t rest) {
  std::vector<T> r(v.size());
  for (int64_t i = 0; i < a; ++i)
    for (int64_t j = 0; j < b; ++j)
      for (int64_t k = 0; k < rest; ++k) r[(j * a + i) * rest + k] = v[(i * b + j) * rest + k];
  return r;
}

// Y layout 0 [S, D, N, H] -> layout 1 [N, S, D, H].
std::vector<double> y_to_layout1(const std::vector<double>& y, int64_t S, int64_t D, int64_t N,
                                 int64_t H) {
  std::vector<double> r(y.size());
  for (int64_t t = 0; t < S; ++t)
    for (int64_t d = 0; d < D; ++d)
      for (int64_t n = 0; n < N; ++n)
        for (int64_t h = 0; h < H; ++h)
          r[((n * S + t) * D + d) * H + h] = y[((t * D + d) * N + n) * H + h];
  return r;
}

Inputs random_inputs(const Case& c, uint32_t seed) {
  const int64_t D = c.dirs(), G = c.gates(), H = c.hidden;
  Inputs in;
  in.X = random_floats(c.seq * c.batch * c.input, seed + 1, -2, 2);
  in.W = random_floats(D * G * H * c.input, seed + 2, -0.8f, 0.8f);
  in.R = random_floats(D * G * H * H, seed + 3, -0.8f, 0.8f);
  in.B = random_floats(D * 2 * G * H, seed + 4, -0.5f, 0.5f);
  in.h0 = random_floats(D * c.batch * H, seed + 5);
  in.c0 = random_floats(D * c.batch * H, seed + 6);
  in.P = random_floats(D * 3 * H, seed + 7);
  std::mt19937 rng(seed);
  for (int64_t b = 0; b < c.batch; ++b)
    in.lens.push_back(static_cast<int32_t>(std::uniform_int_distribution<int64_t>(0, c.seq)(rng)));
  if (c.batch > 0) in.lens[0] = static_cast<int32_t>(c.seq);  // at least one full sequence
  return in;
}

graph::Node make_rnn_node(const Case& c) {
  const int n_in = c.op == "LSTM" ? 8 : 6;
  auto n = make_node(c.op, n_in, c.op == "LSTM" ? 3 : 2);
  auto drop = [&](int i) { n.inputs[i] = -1; };
  if (!c.bias) drop(3);
  if (!c.lens) drop(4);
  if (!c.init_h) drop(5);
  if (c.op == "LSTM" && !c.init_c) drop(6);
  if (c.op == "LSTM" && !c.peep) drop(7);
  set_attr(n, "hidden_size", c.hidden);
  set_attr(n, "direction", c.direction);
  if (c.layout) set_attr(n, "layout", int64_t{c.layout});
  if (c.clip > 0) set_attr(n, "clip", c.clip);
  if (c.input_forget) set_attr(n, "input_forget", int64_t{1});
  if (c.op == "GRU") set_attr(n, "linear_before_reset", int64_t{c.lbr ? 1 : 0});
  if (!c.acts.empty()) {
    n.attrs["activations"].kind = graph::Attribute::Kind::kStrings;
    n.attrs["activations"].strings = c.acts;
  }
  if (!c.alpha.empty()) set_attr(n, "activation_alpha", c.alpha);
  if (!c.beta.empty()) set_attr(n, "activation_beta", c.beta);
  return n;
}

// Runs the op on `in` (converted to the case's layout and dtype T) and returns its outputs.
template <class T>
std::vector<ConstPtr> run_op(const Case& c, const Inputs& in) {
  const int64_t D = c.dirs(), G = c.gates(), H = c.hidden, N = c.batch;
  auto conv = [](const std::vector<float>& v) { return std::vector<T>(v.begin(), v.end()); };
  const bool l1 = c.layout == 1;
  const Shape xs = l1 ? Shape{N, c.seq, c.input} : Shape{c.seq, N, c.input};
  const Shape ss = l1 ? Shape{N, D, H} : Shape{D, N, H};
  std::vector<ConstPtr> args = {
      make_const<T>(xs, conv(l1 ? swap01(in.X, c.seq, N, c.input) : in.X)),
      make_const<T>({D, G * H, c.input}, conv(in.W)),
      make_const<T>({D, G * H, H}, conv(in.R)),
      c.bias ? make_const<T>({D, 2 * G * H}, conv(in.B)) : nullptr,
      c.lens ? make_const<int32_t>({N}, in.lens) : nullptr,
      c.init_h ? make_const<T>(ss, conv(l1 ? swap01(in.h0, D, N, H) : in.h0)) : nullptr};
  if (c.op == "LSTM") {
    args.push_back(c.init_c ? make_const<T>(ss, conv(l1 ? swap01(in.c0, D, N, H) : in.c0))
                            : nullptr);
    args.push_back(c.peep ? make_const<T>({D, 3 * H}, conv(in.P)) : nullptr);
  }
  return eval(make_rnn_node(c), args, c.opset);
}

// The oracle's outputs as constants in the case's layout and dtype.
template <class T>
std::vector<ConstPtr> oracle_consts(const Case& c, const Outputs& o) {
  const int64_t D = c.dirs(), H = c.hidden, N = c.batch, S = c.seq;
  auto conv = [](const std::vector<double>& v) { return std::vector<T>(v.begin(), v.end()); };
  if (c.layout == 1)
    return {make_const<T>({N, S, D, H}, conv(y_to_layout1(o.Y, S, D, N, H))),
            make_const<T>({N, D, H}, conv(swap01(o.Yh, D, N, H))),
            make_const<T>({N, D, H}, conv(swap01(o.Yc, D, N, H)))};
  return {make_const<T>({S, D, N, H}, conv(o.Y)), make_const<T>({D, N, H}, conv(o.Yh)),
          make_const<T>({D, N, H}, conv(o.Yc))};
}

template <class T>
void expect_matches_oracle(const Case& c, uint32_t seed, double tol) {
  const Inputs in = random_inputs(c, seed);
  const auto got = run_op<T>(c, in);
  const auto want = oracle_consts<T>(c, oracle(c, in));
  ASSERT_EQ(got.size(), c.op == "LSTM" ? 3u : 2u);
  for (size_t o = 0; o < got.size(); ++o)
    EXPECT_TRUE(within(*want[o], *got[o], tol)) << "output " << o;
}

std::string describe(const Case& c) {
  std::string s = c.op + " " + c.direction + " layout=" + std::to_string(c.layout);
  if (c.bias) s += " B";
  if (c.lens) s += " lens";
  if (c.init_h) s += " h0";
  if (c.init_c) s += " c0";
  if (c.peep) s += " P";
  if (c.clip > 0) s += " clip";
  if (c.input_forget) s += " input_forget";
  if (c.lbr) s += " lbr";
  return s + " opset=" + std::to_string(c.opset);
}

// Every op, direction and option combination that matters, against the oracle (float32).
void sweep(const std::string& op) {
  uint32_t seed = 100;
  for (const char* dir : {"forward", "reverse", "bidirectional"})
    for (int variant = 0; variant < 8; ++variant) {
      Case c;
      c.op = op;
      c.direction = dir;
      c.bias = variant != 0;
      c.lens = variant & 1;
      c.init_h = c.init_c = variant & 2;
      c.layout = (variant & 4) ? 1 : 0;
      c.clip = variant == 3 || variant == 6 ? 0.7f : 0;
      c.peep = op == "LSTM" && variant >= 2;
      c.input_forget = op == "LSTM" && variant == 5;
      c.lbr = op == "GRU" && (variant & 1);
      c.opset = c.layout ? 14 : (variant & 1 ? 7 : 14);
      c.seq = 2 + variant % 3;
      c.batch = 1 + variant % 3;
      c.input = 2 + variant % 2;
      c.hidden = 3 + variant % 2;
      SCOPED_TRACE(describe(c));
      expect_matches_oracle<float>(c, seed++, 2e-6);
    }
}

TEST(RnnLstm, RandomAgainstOracle) { sweep("LSTM"); }
TEST(RnnGru, RandomAgainstOracle) { sweep("GRU"); }
TEST(RnnSimple, RandomAgainstOracle) { sweep("RNN"); }

TEST(RnnAll, Float64AgainstOracle) {
  for (const char* op : {"LSTM", "GRU", "RNN"}) {
    Case c;
    c.op = op;
    c.direction = "bidirectional";
    c.bias = c.lens = c.init_h = c.init_c = true;
    c.peep = c.op == "LSTM";
    c.lbr = c.op == "GRU";
    c.seq = 4;
    SCOPED_TRACE(describe(c));
    expect_matches_oracle<double>(c, 7, 1e-12);
  }
}

TEST(RnnAll, LongerSequencesAgainstOracle) {
  for (const char* op : {"LSTM", "GRU", "RNN"}) {
    Case c;
    c.op = op;
    c.direction = "bidirectional";
    c.seq = 20, c.batch = 5, c.input = 7, c.hidden = 9;
    c.bias = c.lens = c.init_h = c.init_c = true;
    SCOPED_TRACE(describe(c));
    expect_matches_oracle<float>(c, 11, 1e-5);
  }
}

// Every listed activation, with given and default alpha/beta, per direction.
TEST(RnnAll, ActivationsAgainstOracle) {
  const std::vector<std::vector<std::string>> lists = {
      {"Relu"}, {"Affine"},   {"LeakyRelu"}, {"ThresholdedRelu"}, {"ScaledTanh"}, {"HardSigmoid"},
      {"Elu"},  {"Softsign"}, {"Softplus"},  {"Sigmoid"},         {"Tanh"}};
  uint32_t seed = 300;
  for (bool with_params : {false, true})
    for (const auto& l : lists) {
      Case c;
      c.op = "RNN";
      c.bias = true;
      c.acts = l;
      if (with_params) c.alpha = {0.3f}, c.beta = {0.4f};
      SCOPED_TRACE(l[0] + (with_params ? " alpha/beta" : " defaults"));
      expect_matches_oracle<float>(c, seed++, 2e-6);
    }
  // Per-direction lists; alpha/beta consumed in order by the functions that use them.
  Case g;
  g.op = "GRU";
  g.direction = "bidirectional";
  g.bias = true;
  g.acts = {"HardSigmoid", "LeakyRelu", "Sigmoid", "ScaledTanh"};
  g.alpha = {0.25f, 0.1f, 0.9f};
  g.beta = {0.45f, 1.3f};
  {
    SCOPED_TRACE("GRU mixed");
    expect_matches_oracle<float>(g, 400, 2e-6);
  }
  Case l;
  l.op = "LSTM";
  l.direction = "bidirectional";
  l.acts = {"Sigmoid", "Softsign", "Elu"};  // one direction's list serves both
  l.alpha = {0.5f};
  {
    SCOPED_TRACE("LSTM shared list");
    expect_matches_oracle<float>(l, 401, 2e-6);
  }
}

// ---------------------------------------------------------------------------------------------
// Hand-computed steps (hidden 1, input 1, batch 1).

TEST(RnnSimple, HandComputedTwoSteps) {
  // H1 = tanh(0.5*1 + 0.25*0 + 0.1 + 0.2), H2 = tanh(0.5*-2 + 0.25*H1 + 0.3).
  auto n = make_node("RNN", 4, 2);
  set_attr(n, "hidden_size", int64_t{1});
  auto out = eval(n,
                  {make_const<float>({2, 1, 1}, {1, -2}), make_const<float>({1, 1, 1}, {0.5f}),
                   make_const<float>({1, 1, 1}, {0.25f}), make_const<float>({1, 2}, {0.1f, 0.2f})},
                  14);
  const double h1 = std::tanh(0.8), h2 = std::tanh(-1.0 + 0.25 * h1 + 0.3);
  auto y = to_vector<float>(*out[0]);
  ASSERT_EQ(out[0]->shape, (Shape{2, 1, 1, 1}));
  EXPECT_NEAR(y[0], h1, 1e-7);
  EXPECT_NEAR(y[1], h2, 1e-7);
  EXPECT_NEAR(to_vector<float>(*out[1])[0], h2, 1e-7);
}

TEST(RnnLstm, HandComputedTwoSteps) {
  // W rows i, o, f, c; R likewise; no bias; H0 = C0 = 0.
  const double w[4] = {0.5, -0.3, 0.8, 1.2}, r[4] = {0.1, 0.2, -0.4, 0.6};
  const double x[2] = {1.0, 0.5};
  auto n = make_node("LSTM", 3, 3);
  set_attr(n, "hidden_size", int64_t{1});
  auto out = eval(n,
                  {make_const<float>({2, 1, 1}, {1.0f, 0.5f}),
                   make_const<float>({1, 4, 1}, {0.5f, -0.3f, 0.8f, 1.2f}),
                   make_const<float>({1, 4, 1}, {0.1f, 0.2f, -0.4f, 0.6f})},
                  14);
  double h = 0, c = 0, ys[2];
  for (int t = 0; t < 2; ++t) {
    const double i = sigmoid(w[0] * x[t] + r[0] * h), o = sigmoid(w[1] * x[t] + r[1] * h);
    const double f = sigmoid(w[2] * x[t] + r[2] * h), g = std::tanh(w[3] * x[t] + r[3] * h);
    c = f * c + i * g;
    h = o * std::tanh(c);
    ys[t] = h;
  }
  // Step 1 in closed form: C1 = sigmoid(0.5) * tanh(1.2), H1 = sigmoid(-0.3) * tanh(C1).
  EXPECT_NEAR(ys[0], sigmoid(-0.3) * std::tanh(sigmoid(0.5) * std::tanh(1.2)), 1e-12);
  auto y = to_vector<float>(*out[0]);
  EXPECT_NEAR(y[0], ys[0], 1e-7);
  EXPECT_NEAR(y[1], ys[1], 1e-7);
  EXPECT_NEAR(to_vector<float>(*out[1])[0], h, 1e-7);
  EXPECT_NEAR(to_vector<float>(*out[2])[0], c, 1e-7);
}

TEST(RnnGru, HandComputedOneStepBothResets) {
  // z = sigmoid(0.3 + 0.1*h0 + 0.2), r = sigmoid(-0.5 + 0.4*h0), h0 = 0.6, x = 1.
  // lbr=0: h~ = tanh(0.7 + 0.9*(r*h0) + 0.05); lbr=1: h~ = tanh(0.7 + r*(0.9*h0 + 0.05)).
  for (int lbr : {0, 1}) {
    auto n = make_node("GRU", 6, 2);
    n.inputs[4] = -1;
    set_attr(n, "hidden_size", int64_t{1});
    set_attr(n, "linear_before_reset", int64_t{lbr});
    auto out =
        eval(n,
             {make_const<float>({1, 1, 1}, {1}), make_const<float>({1, 3, 1}, {0.3f, -0.5f, 0.7f}),
              make_const<float>({1, 3, 1}, {0.1f, 0.4f, 0.9f}),
              make_const<float>({1, 6}, {0, 0, 0, 0.2f, 0, 0.05f}), nullptr,
              make_const<float>({1, 1, 1}, {0.6f})},
             14);
    const double h0 = 0.6, z = sigmoid(0.3 + 0.1 * h0 + 0.2), r = sigmoid(-0.5 + 0.4 * h0);
    const double ht =
        lbr ? std::tanh(0.7 + r * (0.9 * h0 + 0.05)) : std::tanh(0.7 + 0.9 * (r * h0) + 0.05);
    const double h1 = (1 - z) * ht + z * h0;
    EXPECT_NEAR(to_vector<float>(*out[0])[0], h1, 1e-7) << "lbr=" << lbr;
    EXPECT_NEAR(to_vector<float>(*out[1])[0], h1, 1e-7) << "lbr=" << lbr;
  }
}

TEST(RnnSimple, SequenceLensZeroAndShortReverse) {
  // Batch 0 has length 1 (reverse: only t=0 runs), batch 1 has length 0 (keeps initial_h).
  auto n = make_node("RNN", 6, 2);
  set_attr(n, "hidden_size", int64_t{1});
  set_attr(n, "direction", std::string("reverse"));
  auto out = eval(n,
                  {make_const<float>({2, 2, 1}, {1, 2, 3, 4}), make_const<float>({1, 1, 1}, {1}),
                   make_const<float>({1, 1, 1}, {0.5f}), nullptr, make_const<int32_t>({2}, {1, 0}),
                   make_const<float>({1, 2, 1}, {0.2f, -0.7f})},
                  14);
  const double h = std::tanh(1 + 0.5 * 0.2);
  auto y = to_vector<float>(*out[0]);  // [t, d, b, h]
  EXPECT_NEAR(y[0], h, 1e-7);
  EXPECT_EQ(y[1], 0.0f);
  EXPECT_EQ(y[2], 0.0f);
  EXPECT_EQ(y[3], 0.0f);
  auto yh = to_vector<float>(*out[1]);
  EXPECT_NEAR(yh[0], h, 1e-7);
  EXPECT_NEAR(yh[1], -0.7f, 0);
}

TEST(RnnLstm, ClipAndInputForgetByHand) {
  // One step, x = 2: pre-activations i = 2*2 = 4, o = 2*-3 = -6, f = 2*5 = 10, c = 2*3 = 6,
  // clipped to [-1, 1]; input_forget makes f = 1 - i.
  auto n = make_node("LSTM", 3, 3);
  set_attr(n, "hidden_size", int64_t{1});
  set_attr(n, "clip", 1.0f);
  set_attr(n, "input_forget", int64_t{1});
  auto out = eval(n,
                  {make_const<float>({1, 1, 1}, {2}), make_const<float>({1, 4, 1}, {2, -3, 5, 3}),
                   make_const<float>({1, 4, 1}, {0, 0, 0, 0})},
                  14);
  const double i = sigmoid(1), c = i * std::tanh(1), h = sigmoid(-1) * std::tanh(c);
  EXPECT_NEAR(to_vector<float>(*out[1])[0], h, 1e-7);
  EXPECT_NEAR(to_vector<float>(*out[2])[0], c, 1e-7);
}

// ---------------------------------------------------------------------------------------------
// Inference and errors.

TEST(RnnAll, InferSymbolicSeqAndBatch) {
  for (int layout : {0, 1}) {
    auto n = make_node("LSTM", 3, 3);
    set_attr(n, "direction", std::string("bidirectional"));
    set_attr(n, "layout", int64_t{layout});
    SymShape x;
    x.rank = 3;
    x.d[layout ? 1 : 0] = Dim::symbol(0);  // seq
    x.d[layout ? 0 : 1] = Dim::symbol(1);  // batch
    x.d[2] = Dim::known(5);
    const DType dts[3] = {DType::kF32, DType::kF32, DType::kF32};
    const SymShape shapes[3] = {x, SymShape::of(Shape{2, 24, 5}), SymShape::of(Shape{2, 24, 6})};
    const TensorView* vals[3] = {nullptr, nullptr, nullptr};
    DType out_dt[3];
    SymShape out_sh[3];
    ops::InferContext ctx(n, 14, dts, shapes, vals, out_dt, out_sh, nullptr);
    ops::rnn::lstm_infer(ctx);
    const SymShape& y = out_sh[0];
    ASSERT_EQ(y.rank, 4);
    if (layout) {
      EXPECT_EQ(y[0], Dim::symbol(1));
      EXPECT_EQ(y[1], Dim::symbol(0));
      EXPECT_EQ(y[2], Dim::known(2));
    } else {
      EXPECT_EQ(y[0], Dim::symbol(0));
      EXPECT_EQ(y[1], Dim::known(2));
      EXPECT_EQ(y[2], Dim::symbol(1));
    }
    EXPECT_EQ(y[3], Dim::known(6));  // hidden_size from R
    for (int o : {1, 2}) {
      ASSERT_EQ(out_sh[o].rank, 3);
      EXPECT_EQ(out_sh[o][layout ? 0 : 1], Dim::symbol(1));
      EXPECT_EQ(out_sh[o][layout ? 1 : 0], Dim::known(2));
      EXPECT_EQ(out_dt[o], DType::kF32);
    }
  }
}

void expect_error(const graph::Node& n, const std::vector<ConstPtr>& in, int64_t opset,
                  const std::string& needle) {
  try {
    eval(n, in, opset);
    ADD_FAILURE() << "no error, expected: " << needle;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(RnnAll, Errors) {
  const auto x = make_const<float>({1, 1, 1}, {1});
  const auto w = make_const<float>({1, 1, 1}, {1});
  auto n = make_node("RNN", 3, 2);
  n.name = "r0";
  n.attrs["activations"].kind = graph::Attribute::Kind::kStrings;
  n.attrs["activations"].strings = {"Swish"};
  expect_error(n, {x, w, w}, 14, "RNN 'r0': unknown activation 'Swish'");
  n.attrs.erase("activations");
  expect_error(n, {x, make_const<float>({1, 2, 1}, {1, 1}), w}, 14, "input W has 2 at dim 1");
  set_attr(n, "layout", int64_t{1});
  expect_error(n, {x, w, w}, 7, "layout needs opset 14");
  n.attrs.erase("layout");
  set_attr(n, "direction", std::string("sideways"));
  expect_error(n, {x, w, w}, 14, "unknown direction 'sideways'");
  n.attrs.erase("direction");
  auto s = make_node("RNN", 5, 2);
  s.inputs[3] = -1;
  expect_error(s, {x, w, w, nullptr, make_const<int32_t>({1}, {2})}, 14,
               "sequence_lens[0] = 2 is outside [0, 1]");
}

// A session's runs after the first allocate nothing (infer and run use only plan-time scratch).
TEST(RnnAll, SessionRunsDoNotAllocate) {
  const std::string dir = "/usr/share/libonnx-testdata/data/node/";
  for (const char* name : {"test_lstm_with_peepholes", "test_gru_seq_length", "test_lstm_batchwise",
                           "test_simple_rnn_with_initial_bias"}) {
    std::shared_ptr<const Model> model;
    try {
      model = Model::load(dir + name + "/model.onnx");
    } catch (const Error&) {
      GTEST_SKIP() << "libonnx-testdata is not installed";
    }
    SCOPED_TRACE(name);
    Session session(model);
    std::vector<std::vector<float>> floats;
    std::vector<std::vector<int32_t>> ints;
    for (const auto& in : model->inputs()) {
      ASSERT_TRUE(in.shape.fully_known());
      const Shape s = in.shape.concrete();
      if (in.dtype == DType::kI32) {  // sequence_lens: full length
        ints.emplace_back(s.numel(), static_cast<int32_t>(model->inputs()[0].shape[0].value));
        session.set_input(in.name, make_view(ints.back().data(), DType::kI32, s));
      } else {
        floats.push_back(random_floats(s.numel(), 5));
        session.set_input(in.name, make_view(floats.back().data(), DType::kF32, s));
      }
    }
    session.run();
    const uint64_t before = testing::allocation_count();
    session.run();
    session.run();
    EXPECT_EQ(testing::allocation_count() - before, 0u);
  }
}

}  // namespace
}  // namespace wrun
