// Kernels must not assume input alignment: weights are mapped straight from the model file. Each
// case runs every kernel of an op on inputs placed at odd byte offsets and compares bit-exactly
// with the same kernel on 64-byte aligned copies (run under UBSan, a typed misaligned read aborts).
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "op_test_util.h"
#include "ops/registry.h"

namespace wrun {
namespace {

using namespace testing;  // tests/op_test_util.h

// One kernel input: the storage its view walks, with optional element strides (empty: contiguous).
struct Arg {
  DType dt = DType::kUndefined;  // kUndefined: an absent optional input
  Shape shape;
  std::vector<int64_t> strides;
  std::vector<char> bytes;
};

template <class T>
Arg arg(const Shape& s, const std::vector<T>& v, std::vector<int64_t> strides = {}) {
  Arg a;
  a.dt = DTypeOf<T>::value;
  a.shape = s;
  a.strides = std::move(strides);
  a.bytes.resize(v.size() * sizeof(T));
  if (!v.empty()) std::memcpy(a.bytes.data(), v.data(), a.bytes.size());
  if (a.strides.empty()) {
    EXPECT_EQ(static_cast<int64_t>(v.size()), s.numel());
  }
  return a;
}

template <class T>
std::vector<T> randoms(int64_t n, uint32_t seed) {
  const std::vector<float> f = random_floats(static_cast<size_t>(n), seed, -2, 2);
  std::vector<T> v(f.size());
  for (size_t i = 0; i < f.size(); ++i)
    v[i] = std::is_floating_point_v<T> ? static_cast<T>(f[i]) : static_cast<T>(f[i] * 20);
  return v;
}

// 64-byte aligned memory freed on scope exit.
struct Aligned {
  std::unique_ptr<char[]> keep;
  char* p = nullptr;
  Aligned(size_t bytes, size_t offset) : keep(new char[bytes + 128]()) {
    p = keep.get();
    p += (64 - reinterpret_cast<uintptr_t>(p) % 64) % 64 + offset;
  }
};

// Runs kernel k of the node's op with every input copied to `offset` bytes past a 64-byte
// boundary; returns the bytes of each output. Inputs are treated as constants at prepare time
// when `consts` (as constant folding does), else as runtime values (data unknown to prepare()).
std::vector<std::vector<char>> run_at(const graph::Node& n, int64_t opset,
                                      const std::vector<Arg>& args, size_t offset, int k,
                                      bool consts, bool* skipped) {
  const ops::OpSchema* s = ops::Registry::builtin().find(n.domain, n.op_type, opset);
  EXPECT_TRUE(s) << n.op_type;
  if (!s) return {};
  const size_t ni = args.size(), no = n.outputs.size();
  std::vector<Aligned> bufs;
  bufs.reserve(ni);
  std::vector<TensorView> ins(ni);
  std::vector<DType> in_dt(ni, DType::kUndefined);
  std::vector<SymShape> in_sh(ni);
  std::vector<const TensorView*> in_vals(ni, nullptr);
  for (size_t i = 0; i < ni; ++i) {
    const Arg& a = args[i];
    if (a.dt == DType::kUndefined) continue;
    bufs.emplace_back(a.bytes.size(), offset);
    char* p = bufs.back().p;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, offset);
    if (!a.bytes.empty()) std::memcpy(p, a.bytes.data(), a.bytes.size());
    ins[i] = make_view(p, a.dt, a.shape, a.bytes.size());
    for (size_t d = 0; d < a.strides.size(); ++d) ins[i].strides[d] = a.strides[d];
    in_dt[i] = a.dt;
    in_sh[i] = SymShape::of(a.shape);
    in_vals[i] = &ins[i];
  }
  std::vector<DType> out_dt(no, DType::kUndefined);
  std::vector<SymShape> out_sh(no);
  ops::InferContext ictx(n, opset, in_dt, in_sh, in_vals, out_dt, out_sh, nullptr);
  s->infer(ictx);

  const ops::KernelImpl& kernel = s->kernels[k];
  if (kernel.supports) {
    ops::SupportQuery q{n, opset, in_dt, in_sh, in_vals, arch::cpu_features()};
    if (!kernel.supports(q).empty()) {
      *skipped = true;
      return {};
    }
  }
  // Outputs are the runtime's (aligned) memory.
  std::vector<Aligned> out_bufs;
  out_bufs.reserve(no);
  std::vector<TensorView> outs(no);
  for (size_t o = 0; o < no; ++o) {
    if (out_dt[o] == DType::kUndefined) continue;
    EXPECT_TRUE(out_sh[o].fully_known());
    const Shape os = out_sh[o].concrete();
    out_bufs.emplace_back(static_cast<size_t>(os.numel()) * dtype_size(out_dt[o]), 0);
    outs[o] = make_view(out_bufs.back().p, out_dt[o], os);
  }
  std::vector<TensorView> bound = ins;
  if (!consts)
    for (TensorView& v : bound) v.data = nullptr;
  ops::PrepareContext pctx{n, opset, bound, outs, arch::cpu_features(), nullptr, 0};
  if (kernel.prepare) kernel.prepare(pctx);
  Aligned scratch(pctx.scratch_bytes, 0);
  void* sp = pctx.scratch_bytes ? scratch.p : nullptr;
  ops::RunContext r{n, opset, pctx.state.get(), ins, outs, sp, pctx.scratch_bytes, nullptr};
  kernel.run(r);
  std::vector<std::vector<char>> result(no);
  for (size_t o = 0; o < no; ++o)
    if (outs[o].present()) {
      const char* p = outs[o].as<const char>();
      result[o].assign(p, p + outs[o].bytes());
    }
  return result;
}

// Every kernel of the op, inputs as constants and as runtime values, at offsets 1 and 3: the
// outputs must equal those from aligned inputs bit for bit.
void expect_offset_invariant(const graph::Node& n, const std::vector<Arg>& args,
                             int64_t opset = 18) {
  const ops::OpSchema* s = ops::Registry::builtin().find(n.domain, n.op_type, opset);
  ASSERT_TRUE(s) << n.op_type;
  for (int k = 0; k < static_cast<int>(s->kernels.size()); ++k)
    for (bool consts : {true, false}) {
      bool skipped = false;
      const auto ref = run_at(n, opset, args, 0, k, consts, &skipped);
      if (skipped) continue;
      ASSERT_FALSE(ref.empty());
      for (size_t offset : {1, 3}) {
        const auto got = run_at(n, opset, args, offset, k, consts, &skipped);
        ASSERT_EQ(got.size(), ref.size());
        for (size_t o = 0; o < ref.size(); ++o)
          EXPECT_TRUE(got[o] == ref[o])
              << n.op_type << " kernel " << s->kernels[k].name << " output " << o << " offset "
              << offset << (consts ? " (constant inputs)" : "");
      }
    }
  // The harness itself: for contiguous inputs the aligned run is what evaluate() computes.
  bool contiguous = true;
  std::vector<testing::ConstPtr> cins;
  for (const Arg& a : args) {
    contiguous &= a.strides.empty();
    cins.push_back(a.dt == DType::kUndefined
                       ? nullptr
                       : graph::Constant::copy_of(a.dt, a.shape, a.bytes.data()));
  }
  if (!contiguous) return;
  bool skipped = false;
  const auto ref = run_at(n, opset, args, 0, 0, true, &skipped);
  const auto want = eval(n, cins, opset, 0);
  ASSERT_EQ(want.size(), ref.size());
  for (size_t o = 0; o < ref.size(); ++o) {
    if (!want[o]) continue;
    ASSERT_EQ(want[o]->nbytes, ref[o].size());
    EXPECT_EQ(std::memcmp(want[o]->data, ref[o].data(), ref[o].size()), 0) << n.op_type;
  }
}

// A row-major [rows, cols] matrix seen as its [cols, rows] transpose (strides {1, cols}).
template <class T>
Arg transposed(int64_t rows, int64_t cols, uint32_t seed) {
  return arg<T>({cols, rows}, randoms<T>(rows * cols, seed), {1, cols});
}

TEST(Misaligned, MatMul) {
  auto n = make_node("MatMul", 2);
  expect_offset_invariant(n, {arg<float>({2, 3, 37, 19}, randoms<float>(2 * 3 * 37 * 19, 1)),
                              arg<float>({19, 23}, randoms<float>(19 * 23, 2))});
  expect_offset_invariant(n, {arg<double>({5, 7}, randoms<double>(35, 3)),
                              arg<double>({3, 7, 18}, randoms<double>(3 * 7 * 18, 4))});
  expect_offset_invariant(n, {arg<int64_t>({6, 9}, randoms<int64_t>(54, 5)),
                              arg<int64_t>({9, 10}, randoms<int64_t>(90, 6))});
  expect_offset_invariant(n, {arg<int32_t>({17}, randoms<int32_t>(17, 7)),
                              arg<int32_t>({17, 4}, randoms<int32_t>(68, 8))});
  expect_offset_invariant(n, {arg<float>({4, 33}, randoms<float>(4 * 33, 9)),
                              arg<float>({33}, randoms<float>(33, 10))});
}

TEST(Misaligned, MatMulStrided) {
  auto n = make_node("MatMul", 2);
  // Transposed A and B (packed into scratch when B is a runtime value, read in place otherwise).
  expect_offset_invariant(n, {transposed<float>(21, 13, 11), transposed<float>(29, 21, 12)});
  expect_offset_invariant(n, {transposed<double>(9, 6, 13), transposed<double>(10, 9, 14)});
  // A KV cache view: [1, H, len, D] rows of a [1, H, cap, D] buffer, and its transpose.
  const int64_t H = 3, cap = 40, len = 11, D = 16, Q = 5;
  const std::vector<float> cache = randoms<float>(H * cap * D, 15);
  expect_offset_invariant(n, {arg<float>({1, H, Q, D}, randoms<float>(H * Q * D, 16)),
                              arg<float>({1, H, D, len}, cache, {H * cap * D, cap * D, 1, D})});
  expect_offset_invariant(n, {arg<float>({1, H, Q, len}, randoms<float>(H * Q * len, 17)),
                              arg<float>({1, H, len, D}, cache, {H * cap * D, cap * D, D, 1})});
}

TEST(Misaligned, Gemm) {
  const int64_t M = 19, K = 27, N = 22;
  for (int ta : {0, 1})
    for (int tb : {0, 1}) {
      auto n = make_node("Gemm", 3);
      set_attr(n, "transA", static_cast<int64_t>(ta));
      set_attr(n, "transB", static_cast<int64_t>(tb));
      set_attr(n, "alpha", 0.75f);
      set_attr(n, "beta", 1.5f);
      const Shape sa = ta ? Shape{K, M} : Shape{M, K}, sb = tb ? Shape{N, K} : Shape{K, N};
      expect_offset_invariant(n, {arg<float>(sa, randoms<float>(M * K, 20 + ta)),
                                  arg<float>(sb, randoms<float>(K * N, 22 + tb)),
                                  arg<float>({N}, randoms<float>(N, 24))});
      expect_offset_invariant(n, {arg<double>(sa, randoms<double>(M * K, 25)),
                                  arg<double>(sb, randoms<double>(K * N, 26)),
                                  arg<double>({M, N}, randoms<double>(M * N, 27))});
    }
  auto n = make_node("Gemm", 2);
  set_attr(n, "transB", int64_t{1});
  expect_offset_invariant(n, {arg<int64_t>({M, K}, randoms<int64_t>(M * K, 28)),
                              arg<int64_t>({N, K}, randoms<int64_t>(K * N, 29))});
}

TEST(Misaligned, Conv1D) {
  auto n = make_node("Conv", 3);
  set_attr(n, "pads", std::vector<int64_t>{1, 1});
  set_attr(n, "strides", std::vector<int64_t>{2});
  expect_offset_invariant(n, {arg<float>({2, 6, 50}, randoms<float>(2 * 6 * 50, 30)),
                              arg<float>({8, 6, 3}, randoms<float>(8 * 6 * 3, 31)),
                              arg<float>({8}, randoms<float>(8, 32))});
  // Pointwise: the GEMM reads the input directly instead of an im2col copy.
  auto p = make_node("Conv", 3);
  expect_offset_invariant(p, {arg<double>({1, 5, 33}, randoms<double>(5 * 33, 33)),
                              arg<double>({7, 5, 1}, randoms<double>(7 * 5, 34)),
                              arg<double>({7}, randoms<double>(7, 35))});
}

TEST(Misaligned, Conv2DGroups) {
  auto n = make_node("Conv", 3);
  set_attr(n, "group", int64_t{2});
  set_attr(n, "dilations", std::vector<int64_t>{1, 2});
  set_attr(n, "pads", std::vector<int64_t>{1, 2, 0, 1});
  expect_offset_invariant(n, {arg<float>({2, 4, 9, 11}, randoms<float>(2 * 4 * 9 * 11, 36)),
                              arg<float>({6, 2, 3, 3}, randoms<float>(6 * 2 * 9, 37)),
                              arg<float>({6}, randoms<float>(6, 38))});
  auto d = make_node("Conv", 2);
  set_attr(d, "group", int64_t{3});
  set_attr(d, "auto_pad", std::string("SAME_UPPER"));
  expect_offset_invariant(d, {arg<double>({1, 3, 7, 6}, randoms<double>(3 * 42, 39)),
                              arg<double>({3, 1, 2, 3}, randoms<double>(3 * 6, 40))});
}

TEST(Misaligned, Softmax) {
  for (const char* op : {"Softmax", "LogSoftmax"}) {
    auto last = make_node(op, 1);
    expect_offset_invariant(last, {arg<float>({3, 5, 37}, randoms<float>(3 * 5 * 37, 41))});
    auto mid = make_node(op, 1);
    set_attr(mid, "axis", int64_t{1});
    expect_offset_invariant(mid, {arg<double>({3, 5, 7}, randoms<double>(3 * 5 * 7, 42))});
    expect_offset_invariant(mid, {arg<float>({3, 5, 7}, randoms<float>(3 * 5 * 7, 43))}, 11);
  }
}

TEST(Misaligned, LayerNormalization) {
  auto n = make_node("LayerNormalization", 3, 3);
  expect_offset_invariant(
      n, {arg<float>({4, 6, 40}, randoms<float>(4 * 6 * 40, 44)),
          arg<float>({40}, randoms<float>(40, 45)), arg<float>({40}, randoms<float>(40, 46))});
  auto b = make_node("LayerNormalization", 3);
  set_attr(b, "axis", int64_t{-2});
  expect_offset_invariant(b, {arg<double>({3, 6, 8}, randoms<double>(3 * 6 * 8, 47)),
                              arg<double>({1, 8}, randoms<double>(8, 48)),
                              arg<double>({6, 1}, randoms<double>(6, 49))});
  auto s = make_node("LayerNormalization", 2);
  expect_offset_invariant(s, {arg<float>({5, 24}, randoms<float>(5 * 24, 50)),
                              arg<float>({24}, randoms<float>(24, 51))});
}

TEST(Misaligned, Reduce) {
  for (const char* op : {"ReduceMean", "ReduceSum", "ReduceMax"}) {
    auto n = make_node(op, 2);
    expect_offset_invariant(
        n, {arg<float>({4, 7, 9}, randoms<float>(4 * 7 * 9, 52)), arg<int64_t>({2}, {0, -1})});
    auto k = make_node(op, 2);
    set_attr(k, "keepdims", int64_t{0});
    expect_offset_invariant(
        k, {arg<double>({4, 7, 9}, randoms<double>(4 * 7 * 9, 53)), arg<int64_t>({1}, {1})});
    expect_offset_invariant(
        k, {arg<int64_t>({6, 5}, randoms<int64_t>(30, 54)), arg<int64_t>({1}, {-1})});
    auto all = make_node(op, 1);
    expect_offset_invariant(all, {arg<int32_t>({3, 11}, randoms<int32_t>(33, 55))});
    // A strided input (reduce kernels read through strides): columns of a wider matrix.
    expect_offset_invariant(n, {arg<float>({5, 6, 3}, randoms<float>(5 * 6 * 8, 56), {48, 8, 1}),
                                arg<int64_t>({1}, {1})});
  }
}

TEST(Misaligned, Elementwise) {
  auto add = make_node("Add", 2);
  expect_offset_invariant(add, {arg<float>({4, 1, 9}, randoms<float>(36, 60)),
                                arg<float>({5, 9}, randoms<float>(45, 61))});
  auto mul = make_node("Mul", 2);
  expect_offset_invariant(mul, {arg<int64_t>({3, 8}, randoms<int64_t>(24, 62)),
                                arg<int64_t>({8}, randoms<int64_t>(8, 63))});
  auto sqrt = make_node("Sqrt", 1);
  expect_offset_invariant(sqrt, {arg<double>({31}, randoms<double>(31, 64))});
  auto where = make_node("Where", 3);
  std::vector<bool> cond(12);
  for (size_t i = 0; i < cond.size(); ++i) cond[i] = i % 3 == 0;
  Arg c;
  c.dt = DType::kBool;
  c.shape = {12};
  for (bool b : cond) c.bytes.push_back(b ? 1 : 0);
  expect_offset_invariant(
      where, {c, arg<float>({12}, randoms<float>(12, 65)), arg<float>({1}, randoms<float>(1, 66))});
}

TEST(Misaligned, TensorOps) {
  auto tr = make_node("Transpose", 1);
  set_attr(tr, "perm", std::vector<int64_t>{2, 0, 1});
  expect_offset_invariant(tr, {arg<float>({3, 10, 12}, randoms<float>(360, 70))});
  auto cat = make_node("Concat", 3);
  set_attr(cat, "axis", int64_t{1});
  expect_offset_invariant(cat, {arg<double>({2, 3, 4}, randoms<double>(24, 71)),
                                arg<double>({2, 1, 4}, randoms<double>(8, 72)),
                                arg<double>({2, 5, 4}, randoms<double>(40, 73))});
  auto gather = make_node("Gather", 2);
  set_attr(gather, "axis", int64_t{1});
  expect_offset_invariant(gather, {arg<float>({3, 9, 4}, randoms<float>(108, 74)),
                                   arg<int64_t>({2, 3}, {0, 8, -1, 4, 4, 2})});
  auto g32 = make_node("Gather", 2);
  expect_offset_invariant(
      g32, {arg<int64_t>({7, 3}, randoms<int64_t>(21, 75)), arg<int32_t>({4}, {6, 0, -2, 3})});
}

}  // namespace
}  // namespace wrun
