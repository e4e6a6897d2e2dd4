// Tests of the tensor (shape and data movement) ops: hand-computed cases, old and new opset
// forms, strided input views, error messages and symbolic inference.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "graph/ir.h"
#include "op_test_util.h"
#include "ops/registry.h"

namespace wrun {
namespace {

using namespace testing;  // tests/op_test_util.h

ConstPtr i64(const Shape& s, const std::vector<int64_t>& v) { return make_const<int64_t>(s, v); }
ConstPtr i64v(const std::vector<int64_t>& v) {
  return make_const<int64_t>(Shape{static_cast<int64_t>(v.size())}, v);
}
ConstPtr f32(const Shape& s, const std::vector<float>& v) { return make_const<float>(s, v); }
// 0, 1, 2, ... as float32 of the given shape.
ConstPtr iota_f(const Shape& s) {
  std::vector<float> v(static_cast<size_t>(s.numel()));
  std::iota(v.begin(), v.end(), 0.0f);
  return f32(s, v);
}
std::vector<float> fv(const ConstPtr& c) { return to_vector<float>(*c); }
std::vector<int64_t> iv(const ConstPtr& c) { return to_vector<int64_t>(*c); }

// Expects evaluation to throw an Error whose one-line message contains `what`.
void expect_error(const graph::Node& n, const std::vector<ConstPtr>& in, const std::string& what,
                  int64_t opset = 18) {
  try {
    eval(n, in, opset);
    ADD_FAILURE() << "no error, expected: " << what;
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(what), std::string::npos) << msg;
    EXPECT_NE(msg.find(n.op_type + " '" + n.name + "'"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

const ops::OpSchema& schema(const char* op, int64_t opset = 18) {
  const ops::OpSchema* s = ops::Registry::builtin().find("", op, opset);
  EXPECT_NE(s, nullptr) << op;
  return *s;
}

// Runs kernels[0] of `op` on hand-built (possibly strided) views, as the runtime would.
void run_views(const graph::Node& n, std::vector<TensorView> in, std::vector<TensorView> out,
               int64_t opset = 18) {
  const ops::OpSchema& s = schema(n.op_type.c_str(), opset);
  ASSERT_TRUE(s.kernels[0].flags & ops::kStridedInputs) << n.op_type;
  ops::RunContext ctx{n, opset, nullptr, in, out, nullptr, 0, nullptr};
  s.kernels[0].run(ctx);
}

// ---- Transpose ----

TEST(TensorTranspose, DefaultReversesAxes) {
  auto n = make_node("Transpose", 1);
  auto out = eval(n, {iota_f({2, 3})});
  EXPECT_EQ(out[0]->shape, (Shape{3, 2}));
  EXPECT_EQ(fv(out[0]), (std::vector<float>{0, 3, 1, 4, 2, 5}));
}

TEST(TensorTranspose, PermAndDtypes) {
  auto n = make_node("Transpose", 1);
  set_attr(n, "perm", std::vector<int64_t>{1, 2, 0});
  auto out = eval(n, {iota_f({2, 2, 3})});
  EXPECT_EQ(out[0]->shape, (Shape{2, 3, 2}));
  EXPECT_EQ(fv(out[0]), (std::vector<float>{0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11}));
  auto b = eval(n, {make_const<uint8_t>({1, 2, 1}, {7, 9})});
  EXPECT_EQ(b[0]->shape, (Shape{2, 1, 1}));
  EXPECT_EQ(to_vector<uint8_t>(*b[0]), (std::vector<uint8_t>{7, 9}));
  auto d = eval(n, {make_const<double>({2, 2, 1}, {1, 2, 3, 4})});
  EXPECT_EQ(to_vector<double>(*d[0]), (std::vector<double>{1, 3, 2, 4}));
}

TEST(TensorTranspose, LargeMatchesNaive) {
  // Large enough to take the tiled path; odd extents exercise partial tiles.
  const int64_t a = 37, b = 301, c = 67;
  auto n = make_node("Transpose", 1);
  set_attr(n, "perm", std::vector<int64_t>{2, 0, 1});
  auto in = iota_f({a, b, c});
  auto out = fv(eval(n, {in})[0]);
  const auto src = fv(in);
  bool ok = true;
  for (int64_t k = 0; k < c && ok; ++k)
    for (int64_t i = 0; i < a && ok; ++i)
      for (int64_t j = 0; j < b; ++j)
        if (out[(k * a + i) * b + j] != src[(i * b + j) * c + k]) {
          ok = false;
          break;
        }
  EXPECT_TRUE(ok);
}

TEST(TensorTranspose, ZeroSizeAndBadPerm) {
  auto n = make_node("Transpose", 1);
  auto out = eval(n, {f32({0, 3}, {})});
  EXPECT_EQ(out[0]->shape, (Shape{3, 0}));
  set_attr(n, "perm", std::vector<int64_t>{0, 0});
  expect_error(n, {iota_f({2, 3})}, "not a permutation");
}

TEST(TensorTranspose, StridedInput) {
  // A [2,3] view of rows 0..1, cols 0..2 inside a [4,5] buffer.
  std::vector<float> buf(20);
  std::iota(buf.begin(), buf.end(), 0.0f);
  TensorView in = make_view(buf.data(), DType::kF32, {2, 3});
  in.strides[0] = 5;
  std::vector<float> o(6);
  auto n = make_node("Transpose", 1);
  run_views(n, {in}, {make_view(o.data(), DType::kF32, {3, 2})});
  EXPECT_EQ(o, (std::vector<float>{0, 5, 1, 6, 2, 7}));
}

// ---- Reshape ----

TEST(TensorReshape, ZeroAndMinusOne) {
  auto n = make_node("Reshape", 2);
  auto out = eval(n, {iota_f({2, 3, 4}), i64v({0, -1})});
  EXPECT_EQ(out[0]->shape, (Shape{2, 12}));
  EXPECT_EQ(fv(out[0])[11], 11.0f);
  out = eval(n, {iota_f({2, 3, 4}), i64v({-1, 2, 2})});
  EXPECT_EQ(out[0]->shape, (Shape{6, 2, 2}));
}

TEST(TensorReshape, AllowZero) {
  auto n = make_node("Reshape", 2);
  set_attr(n, "allowzero", int64_t{1});
  auto out = eval(n, {f32({0, 3}, {}), i64v({3, 0})});
  EXPECT_EQ(out[0]->shape, (Shape{3, 0}));
  // Before opset 14 the attribute does not exist: 0 copies the input dim.
  out = eval(n, {f32({0, 3}, {}), i64v({0, 3})}, 13);
  EXPECT_EQ(out[0]->shape, (Shape{0, 3}));
}

TEST(TensorReshape, AttributeFormOpset4) {
  auto n = make_node("Reshape", 1);
  set_attr(n, "shape", std::vector<int64_t>{3, -1});
  auto out = eval(n, {iota_f({2, 3})}, 4);
  EXPECT_EQ(out[0]->shape, (Shape{3, 2}));
}

TEST(TensorReshape, Errors) {
  auto n = make_node("Reshape", 2);
  expect_error(n, {iota_f({5}), i64v({2, 2})}, "input has 5 elements but shape [2,2] has 4");
  expect_error(n, {iota_f({5}), i64v({-1, 2})}, "not divisible");
  expect_error(n, {iota_f({4}), i64v({-1, -1})}, "more than one -1");
}

TEST(TensorReshape, IsAlias) {
  for (const char* op : {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout"})
    EXPECT_TRUE(schema(op).alias_output0) << op;
  for (const char* op : {"Transpose", "Concat", "Slice", "Gather", "Expand"})
    EXPECT_FALSE(schema(op).alias_output0) << op;
}

TEST(TensorReshape, AliasRunSkipsCopyWhenSame) {
  std::vector<float> buf{1, 2, 3, 4};
  auto n = make_node("Reshape", 2);
  const ops::OpSchema& s = schema("Reshape");
  std::vector<int64_t> shp{4};
  TensorView in[2] = {make_view(buf.data(), DType::kF32, {2, 2}),
                      make_view(shp.data(), DType::kI64, {1})};
  TensorView out[1] = {make_view(buf.data(), DType::kF32, {4})};
  ops::RunContext ctx{n, 18, nullptr, in, out, nullptr, 0, nullptr};
  s.kernels[0].run(ctx);
  EXPECT_EQ(buf, (std::vector<float>{1, 2, 3, 4}));
}

// ---- Flatten ----

TEST(TensorFlatten, Axes) {
  auto n = make_node("Flatten", 1);
  EXPECT_EQ(eval(n, {iota_f({2, 3, 4})})[0]->shape, (Shape{2, 12}));
  set_attr(n, "axis", int64_t{0});
  EXPECT_EQ(eval(n, {iota_f({2, 3, 4})})[0]->shape, (Shape{1, 24}));
  set_attr(n, "axis", int64_t{3});
  EXPECT_EQ(eval(n, {iota_f({2, 3, 4})})[0]->shape, (Shape{24, 1}));
  set_attr(n, "axis", int64_t{-1});
  EXPECT_EQ(eval(n, {iota_f({2, 3, 4})})[0]->shape, (Shape{6, 4}));
  expect_error(n, {iota_f({2, 3, 4})}, "out of range", 9);  // negative axis is opset 11+
}

// ---- Squeeze / Unsqueeze ----

TEST(TensorSqueeze, Opset9AttrAndOpset13Input) {
  auto a = make_node("Squeeze", 1);
  set_attr(a, "axes", std::vector<int64_t>{0, 2});
  EXPECT_EQ(eval(a, {iota_f({1, 3, 1, 2})}, 9)[0]->shape, (Shape{3, 2}));
  auto b = make_node("Squeeze", 2);
  EXPECT_EQ(eval(b, {iota_f({1, 3, 1, 2}), i64v({-2})}, 13)[0]->shape, (Shape{1, 3, 2}));
  auto c = make_node("Squeeze", 1);
  EXPECT_EQ(eval(c, {iota_f({1, 3, 1, 2})}, 13)[0]->shape, (Shape{3, 2}));
  expect_error(b, {iota_f({1, 3}), i64v({1})}, "cannot squeeze axis 1 of extent 3", 13);
}

TEST(TensorUnsqueeze, Opset9AttrAndOpset13Input) {
  auto a = make_node("Unsqueeze", 1);
  set_attr(a, "axes", std::vector<int64_t>{0, 3});
  EXPECT_EQ(eval(a, {iota_f({3, 2})}, 9)[0]->shape, (Shape{1, 3, 2, 1}));
  auto b = make_node("Unsqueeze", 2);
  EXPECT_EQ(eval(b, {iota_f({3, 2}), i64v({-1, 1})}, 13)[0]->shape, (Shape{3, 1, 2, 1}));
  EXPECT_EQ(eval(b, {f32({}, {5}), i64v({0})}, 13)[0]->shape, (Shape{1}));
  expect_error(b, {iota_f({3}), i64v({0, 0})}, "given twice", 13);
}

// ---- Concat ----

TEST(TensorConcat, AxesAndNegative) {
  auto n = make_node("Concat", 2);
  set_attr(n, "axis", int64_t{1});
  auto out = eval(n, {iota_f({2, 2}), f32({2, 1}, {8, 9})});
  EXPECT_EQ(out[0]->shape, (Shape{2, 3}));
  EXPECT_EQ(fv(out[0]), (std::vector<float>{0, 1, 8, 2, 3, 9}));
  set_attr(n, "axis", int64_t{-2});
  out = eval(n, {iota_f({1, 2}), f32({1, 2}, {8, 9})});
  EXPECT_EQ(fv(out[0]), (std::vector<float>{0, 1, 8, 9}));
}

TEST(TensorConcat, ZeroSizeInputAndInt64) {
  auto n = make_node("Concat", 3);
  set_attr(n, "axis", int64_t{0});
  auto out = eval(n, {i64v({1, 2}), i64({0}, {}), i64v({3})});
  EXPECT_EQ(iv(out[0]), (std::vector<int64_t>{1, 2, 3}));
}

TEST(TensorConcat, Errors) {
  auto n = make_node("Concat", 2);
  set_attr(n, "axis", int64_t{0});
  expect_error(n, {iota_f({2, 2}), iota_f({2})}, "input 1 has rank 1 but the others have rank 2");
  expect_error(n, {iota_f({2, 2}), iota_f({2, 3})}, "extent 3 on axis 1");
}

TEST(TensorConcat, StridedInputs) {
  // KV-cache style: the past is a [1,3,2] view into a [1,8,2] buffer.
  std::vector<float> cache(16);
  std::iota(cache.begin(), cache.end(), 0.0f);
  TensorView past = make_view(cache.data(), DType::kF32, {1, 3, 2});
  past.strides[0] = 16;
  std::vector<float> cur{100, 101};
  TensorView now = make_view(cur.data(), DType::kF32, {1, 1, 2});
  std::vector<float> o(8, -1);
  auto n = make_node("Concat", 2);
  set_attr(n, "axis", int64_t{1});
  run_views(n, {past, now}, {make_view(o.data(), DType::kF32, {1, 4, 2})});
  EXPECT_EQ(o, (std::vector<float>{0, 1, 2, 3, 4, 5, 100, 101}));
  // A transposed view (strides swapped) is read element by element.
  TensorView t = make_view(cache.data(), DType::kF32, {2, 3});
  t.strides[0] = 1;
  t.strides[1] = 2;
  std::vector<float> o2(6);
  auto m = make_node("Concat", 1);
  set_attr(m, "axis", int64_t{0});
  run_views(m, {t}, {make_view(o2.data(), DType::kF32, {2, 3})});
  EXPECT_EQ(o2, (std::vector<float>{0, 2, 4, 1, 3, 5}));
}

// ---- Split ----

TEST(TensorSplit, Opset9AttrOpset13InputOpset18NumOutputs) {
  auto a = make_node("Split", 1, 2);
  set_attr(a, "split", std::vector<int64_t>{1, 3});
  auto out = eval(a, {iota_f({4})}, 9);
  EXPECT_EQ(fv(out[0]), (std::vector<float>{0}));
  EXPECT_EQ(fv(out[1]), (std::vector<float>{1, 2, 3}));
  auto b = make_node("Split", 2, 2);
  set_attr(b, "axis", int64_t{-1});
  out = eval(b, {iota_f({2, 3}), i64v({2, 1})}, 13);
  EXPECT_EQ(fv(out[0]), (std::vector<float>{0, 1, 3, 4}));
  EXPECT_EQ(fv(out[1]), (std::vector<float>{2, 5}));
  auto c = make_node("Split", 1, 3);
  out = eval(c, {iota_f({6})}, 13);
  EXPECT_EQ(fv(out[2]), (std::vector<float>{4, 5}));
  set_attr(c, "num_outputs", int64_t{3});
  out = eval(c, {iota_f({7})}, 18);
  EXPECT_EQ(out[0]->shape, (Shape{3}));
  EXPECT_EQ(fv(out[2]), (std::vector<float>{6}));
}

TEST(TensorSplit, ZeroSizeAndErrors) {
  auto a = make_node("Split", 2, 3);
  auto out = eval(a, {iota_f({3}), i64v({0, 3, 0})}, 13);
  EXPECT_EQ(out[0]->shape, (Shape{0}));
  EXPECT_EQ(fv(out[1]), (std::vector<float>{0, 1, 2}));
  expect_error(a, {iota_f({3}), i64v({1, 1, 2})}, "add up to 4", 13);
  auto b = make_node("Split", 1, 2);
  expect_error(b, {iota_f({3})}, "equal parts", 13);
}

// ---- Slice ----

TEST(TensorSlice, Opset9Attributes) {
  auto n = make_node("Slice", 1);
  set_attr(n, "starts", std::vector<int64_t>{1, 0});
  set_attr(n, "ends", std::vector<int64_t>{2, 3});
  auto out = eval(n, {iota_f({2, 4})}, 9);
  EXPECT_EQ(out[0]->shape, (Shape{1, 3}));
  EXPECT_EQ(fv(out[0]), (std::vector<float>{4, 5, 6}));
}

TEST(TensorSlice, NegativeStepsClampingAndIntMax) {
  const int64_t kMax = std::numeric_limits<int64_t>::max();
  const int64_t kMin = std::numeric_limits<int64_t>::min();
  auto n = make_node("Slice", 5);
  auto out = eval(n, {iota_f({5}), i64v({-1}), i64v({kMin}), i64v({0}), i64v({-2})});
  EXPECT_EQ(fv(out[0]), (std::vector<float>{4, 2, 0}));
  out = eval(n, {iota_f({2, 5}), i64v({1}), i64v({kMax}), i64v({-1}), i64v({1})});
  EXPECT_EQ(out[0]->shape, (Shape{2, 4}));
  out = eval(n, {iota_f({5}), i64v({-100}), i64v({100}), i64v({0}), i64v({3})});
  EXPECT_EQ(fv(out[0]), (std::vector<float>{0, 3}));
  out = eval(n, {iota_f({5}), i64v({10}), i64v({20}), i64v({0}), i64v({1})});  // empty
  EXPECT_EQ(out[0]->shape, (Shape{0}));
  out = eval(n, {iota_f({5}), i64v({1}), i64v({3}), i64v({0}), i64v({kMax})});
  EXPECT_EQ(fv(out[0]), (std::vector<float>{1}));
  auto m = make_node("Slice", 3);  // default axes and steps
  out = eval(m, {iota_f({3, 2}), i64v({1, 1}), i64v({3, 2})});
  EXPECT_EQ(fv(out[0]), (std::vector<float>{3, 5}));
  expect_error(n, {iota_f({5}), i64v({0}), i64v({1}), i64v({0}), i64v({0})}, "step is 0");
}

TEST(TensorSlice, StridedInput) {
  std::vector<float> buf(24);
  std::iota(buf.begin(), buf.end(), 0.0f);
  TensorView in = make_view(buf.data(), DType::kF32, {3, 4});
  in.strides[0] = 8;  // rows of a wider buffer
  std::vector<int64_t> st{2, 3}, en{-4, 0}, ax{0, 1}, sp{-1, -2};
  auto v = [](std::vector<int64_t>& x) {
    return make_view(x.data(), DType::kI64, {static_cast<int64_t>(x.size())});
  };
  std::vector<float> o(6);
  auto n = make_node("Slice", 5);
  run_views(n, {in, v(st), v(en), v(ax), v(sp)}, {make_view(o.data(), DType::kF32, {3, 2})});
  EXPECT_EQ(o, (std::vector<float>{19, 17, 11, 9, 3, 1}));
}

// ---- Gather ----

TEST(TensorGather, AxisAndNegativeIndices) {
  auto n = make_node("Gather", 2);
  auto out = eval(n, {iota_f({3, 2}), i64({2, 2}, {0, -1, 1, 1})});
  EXPECT_EQ(out[0]->shape, (Shape{2, 2, 2}));
  EXPECT_EQ(fv(out[0]), (std::vector<float>{0, 1, 4, 5, 2, 3, 2, 3}));
  set_attr(n, "axis", int64_t{-1});
  out = eval(n, {iota_f({2, 3}), make_const<int32_t>({}, {2})});
  EXPECT_EQ(out[0]->shape, (Shape{2}));
  EXPECT_EQ(fv(out[0]), (std::vector<float>{2, 5}));
  out = eval(n, {iota_f({2, 3}), i64({0}, {})});
  EXPECT_EQ(out[0]->shape, (Shape{2, 0}));
}

TEST(TensorGather, IndexOutOfRange) {
  auto n = make_node("Gather", 2);
  expect_error(n, {iota_f({3, 2}), i64v({3})}, "index 3 out of range for axis 0 of extent 3");
  expect_error(n, {iota_f({3, 2}), i64v({-4})}, "index -4 out of range");
}

TEST(TensorGather, StridedInputs) {
  std::vector<float> buf(12);
  std::iota(buf.begin(), buf.end(), 0.0f);
  TensorView data = make_view(buf.data(), DType::kF32, {3, 2});
  data.strides[0] = 4;  // a [3,2] window of a [3,4] buffer
  std::vector<int64_t> idx{2, 9, 0, 9};
  TensorView ind = make_view(idx.data(), DType::kI64, {2});
  ind.strides[0] = 2;  // every other element: {2, 0}
  std::vector<float> o(4);
  auto n = make_node("Gather", 2);
  run_views(n, {data, ind}, {make_view(o.data(), DType::kF32, {2, 2})});
  EXPECT_EQ(o, (std::vector<float>{8, 9, 0, 1}));
  auto m = make_node("Gather", 2);
  set_attr(m, "axis", int64_t{1});
  std::vector<int64_t> one{1};
  std::vector<float> o2(3);
  run_views(m, {data, make_view(one.data(), DType::kI64, {1})},
            {make_view(o2.data(), DType::kF32, {3, 1})});
  EXPECT_EQ(o2, (std::vector<float>{1, 5, 9}));
}

// ---- Expand, Shape, Size, ConstantOfShape, Range, Trilu ----

TEST(TensorExpand, Broadcasts) {
  auto n = make_node("Expand", 2);
  auto out = eval(n, {f32({3, 1}, {1, 2, 3}), i64v({2, 1, 2})});
  EXPECT_EQ(out[0]->shape, (Shape{2, 3, 2}));
  EXPECT_EQ(fv(out[0]), (std::vector<float>{1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3}));
  out = eval(n, {f32({3}, {1, 2, 3}), i64v({1})});  // shape smaller than the input
  EXPECT_EQ(out[0]->shape, (Shape{3}));
  expect_error(n, {f32({3}, {1, 2, 3}), i64v({2})}, "cannot be broadcast");
}

TEST(TensorShape, StartEndAtOpset15) {
  auto n = make_node("Shape", 1);
  EXPECT_EQ(iv(eval(n, {iota_f({2, 3, 4})})[0]), (std::vector<int64_t>{2, 3, 4}));
  set_attr(n, "start", int64_t{-2});
  EXPECT_EQ(iv(eval(n, {iota_f({2, 3, 4})}, 15)[0]), (std::vector<int64_t>{3, 4}));
  // The attributes do not exist before opset 15.
  EXPECT_EQ(iv(eval(n, {iota_f({2, 3, 4})}, 13)[0]), (std::vector<int64_t>{2, 3, 4}));
  set_attr(n, "end", int64_t{1});
  EXPECT_EQ(eval(n, {iota_f({2, 3, 4})}, 15)[0]->shape, (Shape{0}));
  auto s = make_node("Size", 1);
  auto out = eval(s, {f32({2, 0}, {})});
  EXPECT_EQ(out[0]->shape, (Shape{}));
  EXPECT_EQ(iv(out[0]), (std::vector<int64_t>{0}));
  EXPECT_EQ(iv(eval(s, {iota_f({2, 3})})[0]), (std::vector<int64_t>{6}));
}

TEST(TensorConstantOfShape, ValueAndDefault) {
  auto n = make_node("ConstantOfShape", 1);
  auto out = eval(n, {i64v({2, 2})});
  EXPECT_EQ(out[0]->dtype, DType::kF32);
  EXPECT_EQ(fv(out[0]), (std::vector<float>(4, 0.0f)));
  n.attrs["value"].kind = graph::Attribute::Kind::kTensor;
  n.attrs["value"].t = i64({1}, {7});
  out = eval(n, {i64v({3})});
  EXPECT_EQ(iv(out[0]), (std::vector<int64_t>{7, 7, 7}));
  EXPECT_EQ(eval(n, {i64v({0})})[0]->shape, (Shape{0}));
}

TEST(TensorConstant, AttributeForms) {
  auto n = make_node("Constant", 0);
  n.attrs["value"].kind = graph::Attribute::Kind::kTensor;
  n.attrs["value"].t = f32({2}, {1.5f, 2.5f});
  EXPECT_EQ(fv(eval(n, {})[0]), (std::vector<float>{1.5f, 2.5f}));
  auto f = make_node("Constant", 0);
  set_attr(f, "value_float", 3.0f);
  EXPECT_EQ(eval(f, {})[0]->shape, (Shape{}));
  EXPECT_EQ(fv(eval(f, {})[0]), (std::vector<float>{3.0f}));
  auto fs = make_node("Constant", 0);
  set_attr(fs, "value_floats", std::vector<float>{1, 2});
  EXPECT_EQ(fv(eval(fs, {})[0]), (std::vector<float>{1, 2}));
  auto i = make_node("Constant", 0);
  set_attr(i, "value_int", int64_t{-4});
  EXPECT_EQ(iv(eval(i, {})[0]), (std::vector<int64_t>{-4}));
  auto is = make_node("Constant", 0);
  set_attr(is, "value_ints", std::vector<int64_t>{5, 6, 7});
  EXPECT_EQ(iv(eval(is, {})[0]), (std::vector<int64_t>{5, 6, 7}));
  auto s = make_node("Constant", 0);
  set_attr(s, "value_string", std::string("hi"));
  expect_error(s, {}, "'value_string' is not supported");
  EXPECT_NE(schema("Constant").notes.find("value_string"), std::string_view::npos);
}

TEST(TensorRange, IntAndFloat) {
  auto n = make_node("Range", 3);
  auto out = eval(n, {make_const<int32_t>({}, {10}), make_const<int32_t>({}, {4}),
                      make_const<int32_t>({}, {-3})});
  EXPECT_EQ(to_vector<int32_t>(*out[0]), (std::vector<int32_t>{10, 7}));
  out = eval(n, {f32({}, {1}), f32({}, {2}), f32({}, {0.25f})});
  EXPECT_EQ(fv(out[0]), (std::vector<float>{1, 1.25f, 1.5f, 1.75f}));
  out = eval(n, {i64({}, {5}), i64({}, {1}), i64({}, {1})});
  EXPECT_EQ(out[0]->shape, (Shape{0}));
  expect_error(n, {i64({}, {0}), i64({}, {1}), i64({}, {0})}, "delta is 0");
}

TEST(TensorTrilu, UpperLowerAndK) {
  auto n = make_node("Trilu", 1);
  EXPECT_EQ(fv(eval(n, {iota_f({3, 3})})[0]), (std::vector<float>{0, 1, 2, 0, 4, 5, 0, 0, 8}));
  set_attr(n, "upper", int64_t{0});
  EXPECT_EQ(fv(eval(n, {iota_f({2, 3})})[0]), (std::vector<float>{0, 0, 0, 3, 4, 0}));
  auto k = make_node("Trilu", 2);
  EXPECT_EQ(fv(eval(k, {iota_f({2, 3}), i64({}, {1})})[0]), (std::vector<float>{0, 1, 2, 0, 0, 5}));
  EXPECT_EQ(fv(eval(k, {iota_f({2, 3}), i64({}, {-5})})[0]),
            (std::vector<float>{0, 1, 2, 3, 4, 5}));
}

TEST(TensorDropout, InferenceIdentityWithMask) {
  auto n = make_node("Dropout", 1, 2);
  auto out = eval(n, {iota_f({2, 2})});
  EXPECT_EQ(fv(out[0]), (std::vector<float>{0, 1, 2, 3}));
  EXPECT_EQ(out[1]->dtype, DType::kBool);
  EXPECT_EQ(to_vector<uint8_t>(*out[1]), (std::vector<uint8_t>{1, 1, 1, 1}));
  out = eval(n, {iota_f({2})}, 7);  // before opset 10 the mask has the input's dtype
  EXPECT_EQ(fv(out[1]), (std::vector<float>{1, 1}));
  auto t = make_node("Dropout", 3, 1);
  expect_error(t, {iota_f({2}), f32({}, {0.5f}), make_const<bool>({}, {true})}, "training_mode");
  EXPECT_EQ(fv(eval(t, {iota_f({2}), f32({}, {0.f}), make_const<bool>({}, {true})})[0]),
            (std::vector<float>{0, 1}));
}

TEST(TensorIdentity, Copies) {
  auto n = make_node("Identity", 1);
  auto out = eval(n, {make_const<bool>({3}, {true, false, true})});
  EXPECT_EQ(to_vector<uint8_t>(*out[0]), (std::vector<uint8_t>{1, 0, 1}));
  auto h = graph::Constant::copy_of(DType::kF16, {2}, std::vector<uint16_t>{0x3C00, 0x4000}.data());
  EXPECT_EQ(to_vector<uint16_t>(*eval(n, {h})[0]), (std::vector<uint16_t>{0x3C00, 0x4000}));
}

// ---- Symbolic inference ----

TEST(TensorInfer, ReshapeKeepsSymbols) {
  SymInfer t;
  const Dim B = t.sym("B"), T = t.sym("T");
  std::vector<int64_t> target{0, -1, 64};
  TensorView tv = make_view(target.data(), DType::kI64, {3});
  t.add(DType::kF32, sym_shape({B, T, k(384)}));
  t.add(DType::kI64, sym_shape({k(3)}), &tv);
  t.run(make_node("Reshape", 2));
  ASSERT_EQ(t.osh[0].rank, 3);
  EXPECT_EQ(t.osh[0].d[0], B);
  EXPECT_TRUE(t.is_fresh(t.osh[0].d[1]));  // T * 6 is not expressible
  EXPECT_EQ(t.osh[0].d[2], k(64));
  // [B, T, 384] -> [0, -1, 6, 64]: the -1 cancels to T.
  std::vector<int64_t> t2{0, -1, 6, 64};
  TensorView tv2 = make_view(t2.data(), DType::kI64, {4});
  t.vals[1] = &tv2;
  t.shapes[1] = sym_shape({k(4)});
  t.run(make_node("Reshape", 2));
  EXPECT_EQ(t.osh[0].d[1], T);
  // Unknown target value: rank from the target's length, extents unknown.
  t.vals[1] = nullptr;
  t.run(make_node("Reshape", 2));
  EXPECT_EQ(t.osh[0].rank, 4);
  EXPECT_TRUE(t.is_fresh(t.osh[0].d[0]));
}

TEST(TensorInfer, SliceConcatTransposeGather) {
  SymInfer t;
  const Dim B = t.sym("B"), T = t.sym("T");
  std::vector<int64_t> st{0}, en{std::numeric_limits<int64_t>::max()}, ax{1}, en2{1};
  TensorView vs = make_view(st.data(), DType::kI64, {1});
  TensorView ve = make_view(en.data(), DType::kI64, {1});
  TensorView va = make_view(ax.data(), DType::kI64, {1});
  TensorView ve2 = make_view(en2.data(), DType::kI64, {1});
  t.add(DType::kF32, sym_shape({B, T, k(8)}));
  t.add(DType::kI64, sym_shape({k(1)}), &vs);
  t.add(DType::kI64, sym_shape({k(1)}), &ve);
  t.add(DType::kI64, sym_shape({k(1)}), &va);
  t.run(make_node("Slice", 4));
  EXPECT_EQ(t.osh[0].d[1], T);
  t.vals[2] = &ve2;
  t.run(make_node("Slice", 4));
  EXPECT_EQ(t.osh[0].d[0], B);
  EXPECT_TRUE(t.is_fresh(t.osh[0].d[1]));  // min(T, 1): T might be 0
  t.vals[1] = nullptr;                     // unknown starts: only the sliced axis becomes unknown
  t.run(make_node("Slice", 4));
  EXPECT_EQ(t.osh[0].d[0], B);
  EXPECT_TRUE(t.is_fresh(t.osh[0].d[1]));
  EXPECT_EQ(t.osh[0].d[2], k(8));

  SymInfer c;
  const Dim cB = c.sym("B"), cT = c.sym("T");
  c.add(DType::kF32, sym_shape({cB, cT, k(8)}));
  c.add(DType::kF32, sym_shape({cB, k(0), k(8)}));
  auto cat = make_node("Concat", 2);
  set_attr(cat, "axis", int64_t{1});
  c.run(cat);
  EXPECT_EQ(c.osh[0].d[0], cB);
  EXPECT_EQ(c.osh[0].d[1], cT);  // T + 0
  c.shapes[1] = sym_shape({cB, k(1), k(8)});
  c.run(cat);
  EXPECT_TRUE(c.is_fresh(c.osh[0].d[1]));  // T + 1

  auto tr = make_node("Transpose", 1);
  set_attr(tr, "perm", std::vector<int64_t>{0, 2, 1});
  c.run(tr);
  EXPECT_EQ(c.osh[0].d[1], k(8));
  EXPECT_EQ(c.osh[0].d[2], cT);

  SymInfer g;
  const Dim N = g.sym("N");
  g.add(DType::kF32, sym_shape({k(51865), k(384)}));
  g.add(DType::kI64, sym_shape({k(1), N}));
  g.run(make_node("Gather", 2));
  ASSERT_EQ(g.osh[0].rank, 3);
  EXPECT_EQ(g.osh[0].d[1], N);
  EXPECT_EQ(g.osh[0].d[2], k(384));
}

TEST(TensorInfer, UnknownValuesGiveUnknownDims) {
  SymInfer t;
  const Dim B = t.sym("B");
  t.add(DType::kI64, sym_shape({k(3)}));  // ConstantOfShape: value unknown, rank known
  t.run(make_node("ConstantOfShape", 1));
  ASSERT_EQ(t.osh[0].rank, 3);
  EXPECT_TRUE(t.is_fresh(t.osh[0].d[2]));

  SymInfer e;
  e.add(DType::kF32, sym_shape({k(1), k(5)}));
  e.add(DType::kI64, sym_shape({k(3)}));
  e.run(make_node("Expand", 2));
  ASSERT_EQ(e.osh[0].rank, 3);
  EXPECT_TRUE(e.is_fresh(e.osh[0].d[1]));
  EXPECT_EQ(e.osh[0].d[2], k(5));

  SymInfer u;
  const Dim uB = u.sym("B");
  u.add(DType::kF32, sym_shape({uB, k(4)}));
  u.add(DType::kI64, sym_shape({k(2)}));
  u.run(make_node("Unsqueeze", 2), 13);
  EXPECT_EQ(u.osh[0].rank, 4);
  std::vector<int64_t> axes{0};
  TensorView av = make_view(axes.data(), DType::kI64, {1});
  u.vals[1] = &av;
  u.shapes[1] = sym_shape({k(1)});
  u.run(make_node("Unsqueeze", 2), 13);
  EXPECT_EQ(u.osh[0].d[1], uB);

  SymInfer r;
  r.add(DType::kI64, SymShape::scalar());
  r.add(DType::kI64, SymShape::scalar());
  r.add(DType::kI64, SymShape::scalar());
  r.run(make_node("Range", 3));
  EXPECT_EQ(r.osh[0].rank, 1);
  EXPECT_TRUE(r.is_fresh(r.osh[0].d[0]));

  SymInfer s;
  const Dim sB = s.sym("B");
  s.add(DType::kF32, sym_shape({sB, k(3)}));
  s.run(make_node("Shape", 1));
  EXPECT_EQ(s.odt[0], DType::kI64);
  EXPECT_EQ(s.osh[0].d[0], k(2));
  auto fl = make_node("Flatten", 1);
  s.run(fl);
  EXPECT_EQ(s.osh[0].d[0], sB);
  EXPECT_EQ(s.osh[0].d[1], k(3));
  (void)B;
}

TEST(TensorInfer, SplitSymbolic) {
  SymInfer t;
  const Dim T = t.sym("T");
  t.add(DType::kF32, sym_shape({T, k(6)}));
  auto n = make_node("Split", 1, 2);
  set_attr(n, "axis", int64_t{1});
  t.run(n, 13);
  EXPECT_EQ(t.osh[0].d[0], T);
  EXPECT_EQ(t.osh[1].d[1], k(3));
  set_attr(n, "axis", int64_t{0});
  t.run(n, 13);
  EXPECT_TRUE(t.is_fresh(t.osh[0].d[0]));
}

}  // namespace
}  // namespace wrun
