// Einsum against direct loops: contractions, transposes, traces and diagonals, implicit output,
// broadcasting ellipsis, several operands, integers.
#include <cmath>

#include "op_test_util.h"

namespace wrun {
namespace {

using namespace testing;  // tests/op_test_util.h

ConstPtr einsum(const std::string& eq, const std::vector<ConstPtr>& in) {
  auto n = make_node("Einsum", static_cast<int>(in.size()));
  set_attr(n, "equation", eq);
  return eval(n, in, 12)[0];
}

void expect_near(const std::vector<float>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5) << "at " << i;
}

TEST(Einsum, BatchMatMulAndImplicit) {
  const int B = 2, I = 3, J = 4, K = 5;
  auto xv = random_floats(B * I * J, 1), yv = random_floats(B * J * K, 2);
  auto x = make_const<float>({B, I, J}, xv), y = make_const<float>({B, J, K}, yv);
  std::vector<double> want(B * I * K, 0.0);
  for (int b = 0; b < B; ++b)
    for (int i = 0; i < I; ++i)
      for (int k = 0; k < K; ++k)
        for (int j = 0; j < J; ++j)
          want[(b * I + i) * K + k] += double{xv[(b * I + i) * J + j]} * yv[(b * J + j) * K + k];
  auto r = einsum("bij, bjk -> bik", {x, y});
  EXPECT_EQ(r->shape, (Shape{B, I, K}));
  expect_near(to_vector<float>(*r), want);
  // Implicit output: letters used once, alphabetically (b appears twice: summed).
  auto s = einsum("bij,bjk", {x, y});
  EXPECT_EQ(s->shape, (Shape{I, K}));
  std::vector<double> summed(I * K, 0.0);
  for (int b = 0; b < B; ++b)
    for (int e = 0; e < I * K; ++e) summed[e] += want[b * I * K + e];
  expect_near(to_vector<float>(*s), summed);
  // Ellipsis with a broadcast batch dim.
  auto x1 = make_const<float>({1, I, J}, std::vector<float>(xv.begin(), xv.begin() + I * J));
  auto e = einsum("...ij,...jk->...ik", {x1, y});
  EXPECT_EQ(e->shape, (Shape{B, I, K}));
  auto ev = to_vector<float>(*e);
  for (int b = 0; b < B; ++b)
    for (int i = 0; i < I; ++i)
      for (int k = 0; k < K; ++k) {
        double w = 0;
        for (int j = 0; j < J; ++j) w += double{xv[i * J + j]} * yv[(b * J + j) * K + k];
        EXPECT_NEAR(ev[(b * I + i) * K + k], w, 1e-5);
      }
}

TEST(Einsum, TransposeTraceDiagonalSum) {
  auto x = make_const<float>({3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  EXPECT_EQ(to_vector<float>(*einsum("ij->ji", {x})),
            (std::vector<float>{1, 4, 7, 2, 5, 8, 3, 6, 9}));
  auto t = einsum("ii", {x});
  EXPECT_EQ(t->shape.rank, 0);
  EXPECT_EQ(to_vector<float>(*t)[0], 15);
  EXPECT_EQ(to_vector<float>(*einsum("ii->i", {x})), (std::vector<float>{1, 5, 9}));
  EXPECT_EQ(to_vector<float>(*einsum("ij->i", {x})), (std::vector<float>{6, 15, 24}));
  EXPECT_EQ(to_vector<float>(*einsum("ij->", {x}))[0], 45);
  EXPECT_EQ(to_vector<float>(*einsum("ji", {x})), (std::vector<float>{1, 4, 7, 2, 5, 8, 3, 6, 9}));
  auto b = make_const<float>({2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  auto d = einsum("...ii->...i", {b});
  EXPECT_EQ(d->shape, (Shape{2, 2}));
  EXPECT_EQ(to_vector<float>(*d), (std::vector<float>{1, 4, 5, 8}));
}

TEST(Einsum, OuterInnerThreeOperandsIntegers) {
  auto u = make_const<float>({2}, {1, 2}), v = make_const<float>({3}, {3, 4, 5});
  EXPECT_EQ(to_vector<float>(*einsum("i,j->ij", {u, v})), (std::vector<float>{3, 4, 5, 6, 8, 10}));
  EXPECT_EQ(to_vector<float>(*einsum("i,i", {u, u}))[0], 5);
  auto a = make_const<int64_t>({2, 2}, {1, 2, 3, 4});
  auto b = make_const<int64_t>({2, 2}, {0, 1, 1, 0});
  auto c = make_const<int64_t>({2, 2}, {2, 0, 0, 3});
  // (a @ b @ c) = [[2,1],[4,3]] @ c = [[4,3],[8,9]]
  EXPECT_EQ(to_vector<int64_t>(*einsum("ij,jk,kl->il", {a, b, c})),
            (std::vector<int64_t>{4, 3, 8, 9}));
  auto d = make_const<double>({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(to_vector<double>(*einsum("ij,ij->j", {d, d})), (std::vector<double>{17, 29, 45}));
  EXPECT_THROW(einsum("ij,jk->ik", {u, v}), Error);  // rank mismatch
  EXPECT_THROW(einsum("ij->k", {a}), Error);
}

TEST(Einsum, RowContractionMatchesGenericLoop) {
  // "ij,jk->ik" takes the two-operand row path; with a third all-ones operand the same sum runs
  // through the generic loop in the same order, so the results agree exactly.
  const int I = 33, J = 70, K = 300;
  auto x = make_const<float>({I, J}, random_floats(I * J, 3));
  auto y = make_const<float>({J, K}, random_floats(J * K, 4));
  auto ones = make_const<float>({K}, std::vector<float>(K, 1.0f));
  auto fast = to_vector<float>(*einsum("ij,jk->ik", {x, y}));
  auto slow = to_vector<float>(*einsum("ij,jk,k->ik", {x, y, ones}));
  EXPECT_EQ(fast, slow);
  auto tr = to_vector<float>(*einsum("ij,jk->ki", {x, y}));  // row path over operand 0
  for (int i = 0; i < I; ++i)
    for (int k = 0; k < K; ++k) ASSERT_EQ(tr[k * I + i], fast[i * K + k]);
}

}  // namespace
}  // namespace wrun
