// MatMul and Gemm reference kernels against hand-computed cases and a double-precision oracle.
#include <pthreadpool.h>

#include <chrono>

#include "op_test_util.h"
#include "ops/registry.h"

namespace wrun {
namespace {

using namespace testing;  // tests/op_test_util.h

// Double-precision numpy matmul on contiguous row-major data.
std::vector<double> matmul_oracle(const std::vector<float>& a, Shape as,
                                  const std::vector<float>& b, Shape bs, Shape* out_shape) {
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
  std::vector<double> y(static_cast<size_t>(batch.numel() * M * N), 0.0);
  int64_t idx[kMaxRank] = {};
  for (int64_t bi = 0; bi < batch.numel(); ++bi) {
    int64_t rest = bi;
    for (int d = nb - 1; d >= 0; --d) idx[d] = rest % batch[d], rest /= batch[d];
    auto base = [&](const Shape& s) {
      int64_t off = 0;
      for (int d = 0; d < s.rank - 2; ++d) {
        const int64_t i = idx[d + nb - (s.rank - 2)];
        off = off * s[d] + (s[d] == 1 ? 0 : i);
      }
      return off;
    };
    const int64_t oa = base(as) * M * K, ob = base(bs) * K * N;
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        double s = 0;
        for (int64_t k = 0; k < K; ++k) s += double(a[oa + i * K + k]) * b[ob + k * N + j];
        y[(bi * M + i) * N + j] = s;
      }
  }
  return y;
}

ConstPtr as_f32(const std::vector<double>& v, const Shape& s) {
  std::vector<float> f(v.begin(), v.end());
  return make_const(s, f);
}

TEST(LinalgMatMul, HandComputed) {
  auto n = make_node("MatMul", 2);
  auto y = eval(n, {make_const<float>({2, 3}, {1, 2, 3, 4, 5, 6}),
                    make_const<float>({3, 2}, {7, 8, 9, 10, 11, 12})});
  EXPECT_EQ(y[0]->shape, (Shape{2, 2}));
  EXPECT_EQ(testing::to_vector<float>(*y[0]), (std::vector<float>{58, 64, 139, 154}));
  auto yi = eval(n, {make_const<int64_t>({3}, {1, 2, 3}), make_const<int64_t>({3}, {4, 5, 6})});
  EXPECT_EQ(yi[0]->shape.rank, 0);
  EXPECT_EQ(testing::to_vector<int64_t>(*yi[0])[0], 32);
  auto yd = eval(n, {make_const<double>({1, 2}, {0.5, -1}), make_const<double>({2, 1}, {4, 2})});
  EXPECT_EQ(testing::to_vector<double>(*yd[0])[0], 0.0);
  auto y32 = eval(n, {make_const<int32_t>({1, 1}, {-3}), make_const<int32_t>({1, 2}, {5, 7})});
  EXPECT_EQ(testing::to_vector<int32_t>(*y32[0]), (std::vector<int32_t>{-15, -21}));
}

TEST(LinalgMatMul, RandomAgainstDoubleOracle) {
  const std::vector<std::pair<Shape, Shape>> cases = {{{1}, {1}},
                                                      {{3}, {3}},
                                                      {{3}, {3, 4}},
                                                      {{2, 3}, {3}},
                                                      {{1, 1}, {1, 1}},
                                                      {{5, 7}, {7, 9}},
                                                      {{17, 33}, {33, 1}},
                                                      {{2, 1, 5, 7}, {3, 7, 9}},
                                                      {{4, 5, 6}, {6}},
                                                      {{6}, {2, 6, 3}},
                                                      {{3, 37, 129}, {129, 65}},
                                                      {{2, 0, 3}, {3, 4}},
                                                      {{4, 0}, {0, 5}},
                                                      {{1, 2, 19, 300}, {2, 1, 300, 23}}};
  uint32_t seed = 1;
  for (const auto& [as, bs] : cases) {
    auto a = random_floats(as.numel(), seed++), b = random_floats(bs.numel(), seed++);
    Shape os;
    auto ref = matmul_oracle(a, as, b, bs, &os);
    auto y = eval(make_node("MatMul", 2), {make_const(as, a), make_const(bs, b)});
    EXPECT_TRUE(within(*as_f32(ref, os), *y[0], 1e-5)) << as.str() << " x " << bs.str();
  }
}

TEST(LinalgMatMul, InferKeepsSymbols) {
  auto n = make_node("MatMul", 2);
  SymShape a, b;
  a.rank = 3, a.d[0] = Dim::symbol(0), a.d[1] = Dim::symbol(1), a.d[2] = Dim::known(64);
  b.rank = 2, b.d[0] = Dim::known(64), b.d[1] = Dim::symbol(2);
  DType in_dt[2] = {DType::kF32, DType::kF32}, out_dt[1];
  SymShape in_sh[2] = {a, b}, out_sh[1];
  const TensorView* vals[2] = {nullptr, nullptr};
  ops::InferContext c(n, 18, in_dt, in_sh, vals, out_dt, out_sh, nullptr);
  ops::Registry::builtin().find("", "MatMul", 18)->infer(c);
  ASSERT_EQ(out_sh[0].rank, 3);
  EXPECT_EQ(out_sh[0][0], Dim::symbol(0));
  EXPECT_EQ(out_sh[0][1], Dim::symbol(1));
  EXPECT_EQ(out_sh[0][2], Dim::symbol(2));
  in_sh[1].d[0] = Dim::known(63);
  EXPECT_THROW(ops::Registry::builtin().find("", "MatMul", 18)->infer(c), Error);
}

TEST(LinalgMatMul, MismatchedInnerDimFails) {
  try {
    eval(make_node("MatMul", 2), {make_const<float>({2, 3}, std::vector<float>(6)),
                                  make_const<float>({4, 2}, std::vector<float>(8))});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("MatMul 'MatMul_test'"), std::string::npos) << e.what();
  }
}

// Runs the reference MatMul kernel on hand-made views (as the runtime does for a KV cache).
void run_matmul_views(const TensorView& a, const TensorView& b, TensorView& y, bool scratch) {
  auto node = make_node("MatMul", 2);
  const ops::OpSchema* s = ops::Registry::builtin().find("", "MatMul", 18);
  const ops::KernelImpl& k = s->kernels[0];
  ASSERT_TRUE(k.flags & ops::kStridedInputs);
  TensorView ins[2] = {a, b};
  TensorView bound_ins[2] = {a, b};
  bound_ins[0].data = bound_ins[1].data = nullptr;  // not constants
  TensorView outs[1] = {y};
  ops::PrepareContext p{node, 18, bound_ins, outs, arch::cpu_features(), nullptr, 0};
  if (k.prepare) k.prepare(p);
  std::vector<char> buf(scratch ? p.scratch_bytes : 0);
  ops::RunContext r{node, 18, p.state.get(), ins, outs, buf.data(), buf.size(), nullptr};
  k.run(r);
}

TEST(LinalgMatMul, StridedKvCacheViews) {
  const int64_t H = 6, cap = 448, len = 17, D = 64, Q = 3;
  auto kbuf = random_floats(H * cap * D, 11), vbuf = random_floats(H * cap * D, 12);
  auto q = random_floats(H * Q * D, 13);
  // Contiguous copies of the live part of the caches for the oracle.
  std::vector<float> kt(H * D * len), v(H * len * D);
  for (int64_t h = 0; h < H; ++h)
    for (int64_t t = 0; t < len; ++t)
      for (int64_t d = 0; d < D; ++d) {
        kt[(h * D + d) * len + t] = kbuf[(h * cap + t) * D + d];
        v[(h * len + t) * D + d] = vbuf[(h * cap + t) * D + d];
      }
  for (bool scratch : {true, false}) {
    // scores = Q [1,H,Q,D] x K^T, K^T a transposed view of the cache.
    TensorView qa = make_view(q.data(), DType::kF32, Shape{1, H, Q, D});
    TensorView kv = make_view(kbuf.data(), DType::kF32, Shape{1, H, D, len});
    const int64_t kstr[4] = {H * cap * D, cap * D, 1, D};
    std::copy(kstr, kstr + 4, kv.strides);
    std::vector<float> scores(H * Q * len);
    TensorView sv = make_view(scores.data(), DType::kF32, Shape{1, H, Q, len});
    run_matmul_views(qa, kv, sv, scratch);
    Shape os;
    auto ref = matmul_oracle(q, Shape{1, H, Q, D}, kt, Shape{1, H, D, len}, &os);
    EXPECT_TRUE(within(*as_f32(ref, os), *make_const(os, scores), 1e-5)) << "scores " << scratch;
    // out = scores [1,H,Q,len] x V, V a row-strided view [1,H,len,D] of the cache.
    TensorView vv = make_view(vbuf.data(), DType::kF32, Shape{1, H, len, D});
    const int64_t vstr[4] = {H * cap * D, cap * D, D, 1};
    std::copy(vstr, vstr + 4, vv.strides);
    std::vector<float> out(H * Q * D);
    TensorView ov = make_view(out.data(), DType::kF32, Shape{1, H, Q, D});
    run_matmul_views(sv, vv, ov, scratch);
    auto ref2 = matmul_oracle(scores, Shape{1, H, Q, len}, v, Shape{1, H, len, D}, &os);
    EXPECT_TRUE(within(*as_f32(ref2, os), *make_const(os, out), 1e-5)) << "values " << scratch;
  }
}

TEST(LinalgMatMul, ThreadCountInvariant) {
  pthreadpool_t pool = pthreadpool_create(2);
  ASSERT_NE(pool, nullptr);
  auto n = make_node("MatMul", 2);
  for (auto [as, bs] :
       std::vector<std::pair<Shape, Shape>>{{{67, 300}, {300, 45}}, {{3, 1, 33, 70}, {2, 70, 9}}}) {
    auto a = make_const(as, random_floats(as.numel(), 21));
    auto b = make_const(bs, random_floats(bs.numel(), 22));
    const graph::Constant* raw[2] = {a.get(), b.get()};
    ops::EvalOptions one, two;
    two.pool = pool;
    auto y1 = ops::evaluate(n, raw, one), y2 = ops::evaluate(n, raw, two);
    ASSERT_EQ(y1[0]->nbytes, y2[0]->nbytes);
    EXPECT_EQ(std::memcmp(y1[0]->data, y2[0]->data, y1[0]->nbytes), 0);
  }
  pthreadpool_destroy(pool);
}

TEST(LinalgMatMul, LargeIsFastEnough) {
  auto a = make_const<float>({384, 384}, random_floats(384 * 384, 31));
  auto b = make_const<float>({384, 1536}, random_floats(384 * 1536, 32));
  const auto t0 = std::chrono::steady_clock::now();
  auto y = eval(make_node("MatMul", 2), {a, b});
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // Generous bound: the machine is shared; typically ~0.1 s.
  EXPECT_LT(s, 2.0);
  std::vector<float> av = testing::to_vector<float>(*a), bv = testing::to_vector<float>(*b);
  double r = 0;
  for (int k = 0; k < 384; ++k) r += double(av[5 * 384 + k]) * bv[k * 1536 + 1000];
  EXPECT_NEAR(testing::to_vector<float>(*y[0])[5 * 1536 + 1000], r, 1e-4);
}

// Gemm oracle in double: alpha * op(A) op(B) + beta * C (C broadcast).
TEST(LinalgGemm, RandomAgainstDoubleOracle) {
  const int64_t M = 13, K = 21, N = 7;
  uint32_t seed = 40;
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb)
      for (const Shape& cs : std::vector<Shape>{Shape{-1}, Shape{}, Shape{N}, Shape{1, N},
                                                Shape{M, 1}, Shape{M, N}}) {
        const bool has_c = !(cs.rank == 1 && cs[0] < 0);
        auto a = random_floats(M * K, seed++), b = random_floats(K * N, seed++);
        auto c = random_floats(has_c ? cs.numel() : 0, seed++);
        const float alpha = 0.75f, beta = -1.5f;
        auto n = make_node("Gemm", has_c ? 3 : 2);
        set_attr(n, "transA", int64_t{ta});
        set_attr(n, "transB", int64_t{tb});
        set_attr(n, "alpha", alpha);
        set_attr(n, "beta", beta);
        std::vector<ConstPtr> in = {make_const(ta ? Shape{K, M} : Shape{M, K}, a),
                                    make_const(tb ? Shape{N, K} : Shape{K, N}, b)};
        if (has_c) in.push_back(make_const(cs, c));
        std::vector<double> ref(M * N);
        for (int64_t i = 0; i < M; ++i)
          for (int64_t j = 0; j < N; ++j) {
            double s = 0;
            for (int64_t k = 0; k < K; ++k)
              s += double(ta ? a[k * M + i] : a[i * K + k]) * (tb ? b[j * K + k] : b[k * N + j]);
            double cv = 0;
            if (has_c) {
              const int64_t ci = cs.rank == 2 ? (cs[0] == 1 ? 0 : i) : 0;
              const int64_t cj = cs.rank >= 1 && cs[cs.rank - 1] != 1 ? j : 0;
              cv = c[cs.rank == 2 ? ci * cs[1] + cj : cj];
            }
            ref[i * N + j] = alpha * s + beta * cv;
          }
        auto y = eval(n, in, 13);
        EXPECT_TRUE(within(*as_f32(ref, Shape{M, N}), *y[0], 1e-5))
            << "transA " << ta << " transB " << tb << " C " << cs.str();
      }
}

TEST(LinalgGemm, HandComputedAndErrors) {
  auto n = make_node("Gemm", 3);
  auto y = eval(n,
                {make_const<float>({1, 2}, {1, 2}), make_const<float>({2, 2}, {1, 0, 0, 1}),
                 make_const<float>({}, {10})},
                11);
  EXPECT_EQ(testing::to_vector<float>(*y[0]), (std::vector<float>{11, 12}));
  auto n2 = make_node("Gemm", 2);
  EXPECT_THROW(eval(n2, {make_const<float>({1, 1}, {1}), make_const<float>({1, 1}, {1})}, 9),
               Error);  // C required before opset 11
  EXPECT_THROW(eval(n, {make_const<float>({1, 2}, {1, 2}), make_const<float>({2, 2}, {1, 0, 0, 1}),
                        make_const<float>({3}, {1, 2, 3})}),
               Error);
}

}  // namespace
}  // namespace wrun
