// Tests of the indexing and padding tensor ops (Pad, Tile, GatherElements, GatherND, Scatter*,
// NonZero, Compress, CumSum, DepthToSpace, SpaceToDepth, EyeLike, OneHot): hand-computed cases,
// opset forms, strided input views, zero sizes and one-line error messages.
#include <gtest/gtest.h>

#include <cstdint>
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
ConstPtr i32(const Shape& s, const std::vector<int32_t>& v) { return make_const<int32_t>(s, v); }
ConstPtr f32(const Shape& s, const std::vector<float>& v) { return make_const<float>(s, v); }
ConstPtr boolv(const std::vector<bool>& v) {
  return make_const<bool>(Shape{static_cast<int64_t>(v.size())}, v);
}
ConstPtr iota_f(const Shape& s) {
  std::vector<float> v(static_cast<size_t>(s.numel()));
  std::iota(v.begin(), v.end(), 0.0f);
  return f32(s, v);
}
std::vector<float> fv(const ConstPtr& c) { return to_vector<float>(*c); }
std::vector<int64_t> iv(const ConstPtr& c) { return to_vector<int64_t>(*c); }
using F = std::vector<float>;
using I = std::vector<int64_t>;

// Expects evaluation to throw an Error whose one-line message names the node and contains `what`.
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

// Runs kernels[0] of the node's op on hand-built (possibly strided) views, as the runtime would.
void run_views(const graph::Node& n, std::vector<TensorView> in, std::vector<TensorView> out,
               int64_t opset = 18) {
  const ops::OpSchema* s = ops::Registry::builtin().find("", n.op_type, opset);
  ASSERT_NE(s, nullptr) << n.op_type;
  ASSERT_TRUE(s->kernels[0].flags & ops::kStridedInputs) << n.op_type;
  ops::RunContext ctx{n, opset, nullptr, in, out, nullptr, 0, nullptr};
  s->kernels[0].run(ctx);
}

// A [rows, cols] view of the top-left corner of a row-major buffer with `stride` columns.
TensorView corner(std::vector<float>& buf, int64_t rows, int64_t cols, int64_t stride) {
  TensorView v = make_view(buf.data(), DType::kF32, {rows, cols});
  v.strides[0] = stride;
  return v;
}

// ---- Pad ----

TEST(Tensor2Pad, AttributeFormOpset2) {
  auto n = make_node("Pad", 1);
  set_attr(n, "pads", std::vector<int64_t>{0, 2, 0, 0});
  set_attr(n, "value", 7.0f);
  auto out = eval(n, {f32({3, 2}, {1, 2, 3, 4, 5, 6})}, 2);
  EXPECT_EQ(out[0]->shape, (Shape{3, 4}));
  EXPECT_EQ(fv(out[0]), (F{7, 7, 1, 2, 7, 7, 3, 4, 7, 7, 5, 6}));
  auto p1 = make_node("Pad", 1);
  set_attr(p1, "paddings", std::vector<int64_t>{1, 0});
  EXPECT_EQ(fv(eval(p1, {f32({2}, {1, 2})}, 1)[0]), (F{0, 1, 2}));
}

TEST(Tensor2Pad, InputFormModes) {
  auto n = make_node("Pad", 3);
  auto data = f32({3, 2}, {1, 2, 3, 4, 5, 6});
  auto out = eval(n, {data, i64v({0, 2, 0, 0}), f32({}, {9})}, 11);
  EXPECT_EQ(fv(out[0]), (F{9, 9, 1, 2, 9, 9, 3, 4, 9, 9, 5, 6}));
  auto two = make_node("Pad", 2);
  EXPECT_EQ(fv(eval(two, {data, i64v({1, 0, 0, 0})}, 13)[0]), (F{0, 0, 1, 2, 3, 4, 5, 6}));
  set_attr(two, "mode", std::string("reflect"));
  EXPECT_EQ(fv(eval(two, {data, i64v({0, 2, 0, 0})}, 13)[0]),
            (F{1, 2, 1, 2, 3, 4, 3, 4, 5, 6, 5, 6}));
  // Pads larger than the extent reflect periodically, as numpy does.
  EXPECT_EQ(fv(eval(two, {f32({3}, {1, 2, 3}), i64v({5, 0})}, 13)[0]), (F{2, 1, 2, 3, 2, 1, 2, 3}));
  set_attr(two, "mode", std::string("edge"));
  EXPECT_EQ(fv(eval(two, {f32({3}, {1, 2, 3}), i64v({2, 1})}, 13)[0]), (F{1, 1, 1, 2, 3, 3}));
}

TEST(Tensor2Pad, WrapAtOpset19AndAxesAt18) {
  auto n = make_node("Pad", 2);
  set_attr(n, "mode", std::string("wrap"));
  EXPECT_EQ(fv(eval(n, {f32({3}, {1, 2, 3}), i64v({2, 1})}, 19)[0]), (F{2, 3, 1, 2, 3, 1}));
  expect_error(n, {f32({3}, {1, 2, 3}), i64v({2, 1})}, "unsupported mode 'wrap'", 18);
  auto a = make_node("Pad", 4);
  auto out = eval(a, {iota_f({2, 2}), i64v({1, 2}), f32({}, {-1}), i64v({-1})}, 18);
  EXPECT_EQ(out[0]->shape, (Shape{2, 5}));
  EXPECT_EQ(fv(out[0]), (F{-1, 0, 1, -1, -1, -1, 2, 3, -1, -1}));
}

TEST(Tensor2Pad, NegativePadsCrop) {
  auto n = make_node("Pad", 2);
  auto out = eval(n, {iota_f({3, 4}), i64v({-1, 1, 0, -2})}, 13);
  EXPECT_EQ(out[0]->shape, (Shape{2, 3}));
  EXPECT_EQ(fv(out[0]), (F{0, 4, 5, 0, 8, 9}));
  // Crop first, then reflect on what is left (as numpy.pad on the cropped array).
  set_attr(n, "mode", std::string("reflect"));
  out = eval(n, {iota_f({3, 4}), i64v({-1, 1, 0, 2})}, 13);
  EXPECT_EQ(fv(out[0]), (F{5, 4, 5, 6, 7, 6, 5, 9, 8, 9, 10, 11, 10, 9}));
}

TEST(Tensor2Pad, DtypesZeroSizeAndStrided) {
  auto n = make_node("Pad", 3);
  auto out =
      eval(n, {make_const<int8_t>({2}, {5, -6}), i64v({1, 1}), make_const<int8_t>({}, {3})}, 11);
  EXPECT_EQ(to_vector<int8_t>(*out[0]), (std::vector<int8_t>{3, 5, -6, 3}));
  auto d = eval(n, {make_const<double>({1}, {2.5}), i64v({0, 2}), make_const<double>({}, {1})}, 13);
  EXPECT_EQ(to_vector<double>(*d[0]), (std::vector<double>{2.5, 1, 1}));
  auto z = eval(n, {f32({0, 2}, {}), i64v({1, 0, 0, 0}), f32({}, {4})}, 13);
  EXPECT_EQ(z[0]->shape, (Shape{1, 2}));
  EXPECT_EQ(fv(z[0]), (F{4, 4}));
  std::vector<float> buf(12);
  std::iota(buf.begin(), buf.end(), 0.0f);
  std::vector<int64_t> pads{0, 1, 1, 0};
  std::vector<float> o(9, -1);
  auto e = make_node("Pad", 2);
  set_attr(e, "mode", std::string("edge"));
  run_views(e, {corner(buf, 2, 2, 4), make_view(pads.data(), DType::kI64, {4})},
            {make_view(o.data(), DType::kF32, {3, 3})}, 13);
  EXPECT_EQ(o, (F{0, 0, 1, 4, 4, 5, 4, 4, 5}));
}

TEST(Tensor2Pad, Errors) {
  auto n = make_node("Pad", 2);
  expect_error(n, {iota_f({2, 2}), i64v({1, 1})}, "pads has 2 entries, expected 4", 13);
  expect_error(n, {iota_f({2, 2}), i64v({-3, 0, 0, 0})}, "remove more than the extent", 13);
  set_attr(n, "mode", std::string("reflect"));
  expect_error(n, {f32({0}, {}), i64v({1, 1})}, "cannot pad the empty axis 0", 13);
  auto a = make_node("Pad", 4);
  expect_error(a, {iota_f({2, 2}), i64v({1, 1, 1, 1}), nullptr, i64v({0, -2})}, "given twice");
}

// ---- Tile ----

TEST(Tensor2Tile, RepeatsAndDtypes) {
  auto n = make_node("Tile", 2);
  auto out = eval(n, {iota_f({2, 2}), i64v({2, 3})});
  EXPECT_EQ(out[0]->shape, (Shape{4, 6}));
  EXPECT_EQ(fv(out[0]),
            (F{0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3, 0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3}));
  auto b = eval(n, {i64({3}, {1, 2, 3}), i64v({2})});
  EXPECT_EQ(iv(b[0]), (I{1, 2, 3, 1, 2, 3}));
  EXPECT_EQ(eval(n, {iota_f({2, 2}), i64v({0, 3})})[0]->shape, (Shape{0, 6}));
  auto s = eval(n, {f32({}, {4}), i64({0}, {})});
  EXPECT_EQ(fv(s[0]), (F{4}));
}

TEST(Tensor2Tile, StridedAndErrors) {
  std::vector<float> buf(12);
  std::iota(buf.begin(), buf.end(), 0.0f);
  std::vector<int64_t> reps{2, 2};
  std::vector<float> o(16, -1);
  auto n = make_node("Tile", 2);
  run_views(n, {corner(buf, 2, 2, 4), make_view(reps.data(), DType::kI64, {2})},
            {make_view(o.data(), DType::kF32, {4, 4})});
  EXPECT_EQ(o, (F{0, 1, 0, 1, 4, 5, 4, 5, 0, 1, 0, 1, 4, 5, 4, 5}));
  expect_error(n, {iota_f({2, 2}), i64v({2})}, "repeats has shape [1], expected [2]");
  expect_error(n, {iota_f({2}), i64v({-1})}, "repeats[0] is negative");
}

// ---- GatherElements ----

TEST(Tensor2GatherElements, AxesAndNegativeIndices) {
  auto n = make_node("GatherElements", 2);
  set_attr(n, "axis", int64_t{1});
  auto out = eval(n, {f32({2, 2}, {1, 2, 3, 4}), i64({2, 2}, {0, 0, 1, 0})});
  EXPECT_EQ(fv(out[0]), (F{1, 1, 4, 3}));
  set_attr(n, "axis", int64_t{0});
  out = eval(n, {iota_f({3, 3}), i32({2, 3}, {1, 2, 0, 2, 0, -3})});
  EXPECT_EQ(out[0]->shape, (Shape{2, 3}));
  EXPECT_EQ(fv(out[0]), (F{3, 7, 2, 6, 1, 2}));
  EXPECT_EQ(eval(n, {iota_f({3, 3}), i64({0, 3}, {})})[0]->shape, (Shape{0, 3}));
}

TEST(Tensor2GatherElements, StridedAndErrors) {
  std::vector<float> buf(12);
  std::iota(buf.begin(), buf.end(), 0.0f);
  std::vector<int64_t> ind{1, 0, 0, 1};
  std::vector<float> o(4, -1);
  auto n = make_node("GatherElements", 2);
  set_attr(n, "axis", int64_t{-1});
  run_views(n, {corner(buf, 2, 2, 4), make_view(ind.data(), DType::kI64, {2, 2})},
            {make_view(o.data(), DType::kF32, {2, 2})});
  EXPECT_EQ(o, (F{1, 0, 4, 5}));
  expect_error(n, {iota_f({2, 2}), i64({2, 1}, {0, 2})}, "index 2 out of range for axis 1");
  expect_error(n, {iota_f({2, 2}), i64({2}, {0, 1})}, "indices have rank 1 but data has rank 2");
  expect_error(n, {iota_f({2, 2}), i64({3, 1}, {0, 0, 0})}, "indices extent 3 on axis 0");
}

// ---- GatherND ----

TEST(Tensor2GatherND, SpecExamples) {
  auto n = make_node("GatherND", 2);
  auto out = eval(n, {i64({2, 2}, {0, 1, 2, 3}), i64({2, 2}, {0, 0, 1, 1})});
  EXPECT_EQ(iv(out[0]), (I{0, 3}));
  out = eval(n, {iota_f({2, 2, 2}), i64({2, 1, 2}, {0, 1, 1, 0})});
  EXPECT_EQ(out[0]->shape, (Shape{2, 1, 2}));
  EXPECT_EQ(fv(out[0]), (F{2, 3, 4, 5}));
  set_attr(n, "batch_dims", int64_t{1});
  out = eval(n, {iota_f({2, 2, 2}), i64({2, 1}, {1, 0})});
  EXPECT_EQ(out[0]->shape, (Shape{2, 2}));
  EXPECT_EQ(fv(out[0]), (F{2, 3, 4, 5}));
  out = eval(n, {iota_f({2, 2, 2}), i64({2, 2}, {-1, 0, 0, -1})});
  EXPECT_EQ(fv(out[0]), (F{2, 5}));
}

TEST(Tensor2GatherND, StridedAndErrors) {
  std::vector<float> buf(12);
  std::iota(buf.begin(), buf.end(), 0.0f);
  std::vector<int64_t> ind{1, 0};
  std::vector<float> o(4, -1);
  auto n = make_node("GatherND", 2);
  run_views(n, {corner(buf, 2, 2, 4), make_view(ind.data(), DType::kI64, {2, 1})},
            {make_view(o.data(), DType::kF32, {2, 2})});
  EXPECT_EQ(o, (F{4, 5, 0, 1}));
  expect_error(n, {iota_f({2, 2}), i64({1, 2}, {0, 2})}, "index 2 out of range for axis 1");
  expect_error(n, {iota_f({2, 2}), i64({1, 3}, {0, 0, 0})}, "index tuples have 3 entries");
  set_attr(n, "batch_dims", int64_t{1});
  expect_error(n, {iota_f({2, 2}), i64({3, 1}, {0, 0, 0})}, "batch dim 0 is 3 in indices");
}

// ---- ScatterElements / Scatter ----

TEST(Tensor2ScatterElements, BasicAndOldName) {
  auto n = make_node("ScatterElements", 3);
  set_attr(n, "axis", int64_t{1});
  auto data = f32({1, 5}, {1, 2, 3, 4, 5});
  auto out = eval(n, {data, i64({1, 2}, {1, -2}), f32({1, 2}, {1.1f, 2.1f})});
  EXPECT_EQ(fv(out[0]), (F{1, 1.1f, 3, 2.1f, 5}));
  auto old = make_node("Scatter", 3);
  set_attr(old, "axis", int64_t{1});
  EXPECT_EQ(fv(eval(old, {data, i64({1, 1}, {0}), f32({1, 1}, {9})}, 10)[0]), (F{9, 2, 3, 4, 5}));
  auto e = make_node("ScatterElements", 3);
  out = eval(e, {iota_f({3, 2}), i32({1, 2}, {2, 0}), f32({1, 2}, {7, 8})});
  EXPECT_EQ(fv(out[0]), (F{0, 8, 2, 3, 7, 5}));
}

TEST(Tensor2ScatterElements, Reductions) {
  auto n = make_node("ScatterElements", 3);
  set_attr(n, "axis", int64_t{1});
  set_attr(n, "reduction", std::string("add"));
  auto data = f32({1, 3}, {1, 2, 3});
  auto ind = i64({1, 3}, {1, 1, 0});
  auto upd = f32({1, 3}, {10, 20, 30});
  EXPECT_EQ(fv(eval(n, {data, ind, upd}, 16)[0]), (F{31, 32, 3}));
  set_attr(n, "reduction", std::string("mul"));
  EXPECT_EQ(fv(eval(n, {data, ind, upd}, 16)[0]), (F{30, 400, 3}));
  set_attr(n, "reduction", std::string("max"));
  EXPECT_EQ(fv(eval(n, {f32({1, 3}, {1, 25, 3}), ind, upd}, 18)[0]), (F{30, 25, 3}));
  expect_error(n, {data, ind, upd}, "unsupported reduction 'max' at opset 17", 17);
  set_attr(n, "reduction", std::string("min"));
  EXPECT_EQ(fv(eval(n, {f32({1, 3}, {1, 25, 3}), ind, upd}, 18)[0]), (F{1, 10, 3}));
  // Before opset 16 the attribute does not exist: a plain overwrite.
  EXPECT_EQ(fv(eval(n, {data, ind, upd}, 13)[0]), (F{30, 20, 3}));
  // Integers wrap instead of overflowing.
  set_attr(n, "reduction", std::string("add"));
  auto w = eval(
      n, {make_const<int8_t>({1, 1}, {120}), i64({1, 1}, {0}), make_const<int8_t>({1, 1}, {10})},
      16);
  EXPECT_EQ(to_vector<int8_t>(*w[0]), (std::vector<int8_t>{-126}));
}

TEST(Tensor2ScatterElements, ErrorsAndGaps) {
  auto n = make_node("ScatterElements", 3);
  expect_error(n, {iota_f({2}), i64v({2}), f32({1}, {1})}, "index 2 out of range for axis 0");
  expect_error(n, {iota_f({2}), i64v({0, 1}), f32({1}, {1})}, "updates must have the shape");
  set_attr(n, "reduction", std::string("add"));
  try {
    eval(n, {make_const<bool>({2}, {true, false}), i64v({0}), make_const<bool>({1}, {true})}, 16);
    ADD_FAILURE() << "bool add accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("reduction 'add' on bool"), std::string::npos) << e.what();
  }
}

// ---- ScatterND ----

TEST(Tensor2ScatterND, SlicesAndReductions) {
  auto n = make_node("ScatterND", 3);
  auto out = eval(n, {iota_f({8}), i64({2, 1}, {4, -1}), f32({2}, {10, 20})});
  EXPECT_EQ(fv(out[0]), (F{0, 1, 2, 3, 10, 5, 6, 20}));
  out = eval(n, {iota_f({2, 2, 2}), i64({1, 1}, {1}), f32({1, 2, 2}, {5, 6, 7, 8})});
  EXPECT_EQ(fv(out[0]), (F{0, 1, 2, 3, 5, 6, 7, 8}));
  set_attr(n, "reduction", std::string("add"));
  out = eval(n, {iota_f({2, 2}), i64({2, 1}, {0, 0}), f32({2, 2}, {1, 1, 2, 2})}, 16);
  EXPECT_EQ(fv(out[0]), (F{3, 4, 2, 3}));
  set_attr(n, "reduction", std::string("mul"));
  out = eval(n, {iota_f({2, 2}), i64({1, 2}, {1, 1}), f32({1}, {5})}, 16);
  EXPECT_EQ(fv(out[0]), (F{0, 1, 2, 15}));
  set_attr(n, "reduction", std::string("min"));
  out = eval(n, {iota_f({2, 2}), i64({1, 2}, {1, 1}), f32({1}, {-5})}, 18);
  EXPECT_EQ(fv(out[0]), (F{0, 1, 2, -5}));
}

TEST(Tensor2ScatterND, StridedAndErrors) {
  std::vector<float> buf(12);
  std::iota(buf.begin(), buf.end(), 0.0f);
  std::vector<int64_t> ind{1};
  std::vector<float> upd{-1, -2};
  std::vector<float> o(4, 0);
  auto n = make_node("ScatterND", 3);
  run_views(n,
            {corner(buf, 2, 2, 4), make_view(ind.data(), DType::kI64, {1, 1}),
             make_view(upd.data(), DType::kF32, {1, 2})},
            {make_view(o.data(), DType::kF32, {2, 2})});
  EXPECT_EQ(o, (F{0, 1, -1, -2}));
  expect_error(n, {iota_f({2, 2}), i64({1, 1}, {2}), f32({1, 2}, {0, 0})},
               "index 2 out of range for axis 0");
  expect_error(n, {iota_f({2, 2}), i64({1, 1}, {0}), f32({1, 3}, {0, 0, 0})},
               "updates must have shape indices.shape[:-1] + data.shape[1:]");
}

// ---- NonZero ----

TEST(Tensor2NonZero, CoordinatesAndZeros) {
  auto n = make_node("NonZero", 1);
  auto out = eval(n, {i64({2, 2}, {1, 0, 1, 1})});
  EXPECT_EQ(out[0]->shape, (Shape{2, 3}));
  EXPECT_EQ(iv(out[0]), (I{0, 1, 1, 0, 0, 1}));
  // -0.0 is zero, NaN is not.
  out = eval(n, {f32({4}, {-0.0f, 0.0f, std::nanf(""), 2})});
  EXPECT_EQ(iv(out[0]), (I{2, 3}));
  out = eval(n, {make_const<uint16_t>({3}, {0, 0x8000, 1})});  // as integers, 0x8000 is not 0
  EXPECT_EQ(iv(out[0]), (I{1, 2}));
  auto h =
      graph::Constant::copy_of(DType::kF16, Shape{2}, std::vector<uint16_t>{0x8000, 0x3c00}.data());
  EXPECT_EQ(iv(eval(n, {h})[0]), (I{1}));
  EXPECT_EQ(eval(n, {f32({}, {3})})[0]->shape, (Shape{0, 1}));  // a scalar: [0, n]
  EXPECT_EQ(eval(n, {f32({0, 3}, {})})[0]->shape, (Shape{2, 0}));
  EXPECT_EQ(eval(n, {make_const<bool>({3}, {false, false, false})})[0]->shape, (Shape{1, 0}));
}

TEST(Tensor2NonZero, Strided) {
  std::vector<float> buf{0, 1, 9, 9, 2, 0, 9, 9};
  std::vector<int64_t> o(4, -1);
  run_views(make_node("NonZero", 1), {corner(buf, 2, 2, 4)},
            {make_view(o.data(), DType::kI64, {2, 2})});
  EXPECT_EQ(o, (I{0, 1, 1, 0}));
}

// ---- Compress ----

TEST(Tensor2Compress, AxisFlattenAndShortCondition) {
  auto n = make_node("Compress", 2);
  set_attr(n, "axis", int64_t{0});
  auto out = eval(n, {iota_f({3, 2}), boolv({false, true, true})});
  EXPECT_EQ(out[0]->shape, (Shape{2, 2}));
  EXPECT_EQ(fv(out[0]), (F{2, 3, 4, 5}));
  set_attr(n, "axis", int64_t{-1});
  out = eval(n, {iota_f({3, 2}), boolv({false, true})});
  EXPECT_EQ(fv(out[0]), (F{1, 3, 5}));
  auto flat = make_node("Compress", 2);
  out = eval(flat, {iota_f({3, 2}), boolv({false, true, true, false, true})});
  EXPECT_EQ(out[0]->shape, (Shape{3}));
  EXPECT_EQ(fv(out[0]), (F{1, 2, 4}));
  EXPECT_EQ(eval(flat, {iota_f({3, 2}), boolv({false})})[0]->shape, (Shape{0}));
}

TEST(Tensor2Compress, StridedAndErrors) {
  std::vector<float> buf(12);
  std::iota(buf.begin(), buf.end(), 0.0f);
  std::vector<uint8_t> cond{0, 1};
  std::vector<float> o(2, -1);
  auto n = make_node("Compress", 2);
  set_attr(n, "axis", int64_t{1});
  run_views(n, {corner(buf, 2, 2, 4), make_view(cond.data(), DType::kBool, {2})},
            {make_view(o.data(), DType::kF32, {2, 1})});
  EXPECT_EQ(o, (F{1, 5}));
  expect_error(n, {iota_f({2, 2}), boolv({false, false, true})},
               "condition is true at 2, beyond the extent 2");
  expect_error(n, {iota_f({2, 2}), i64v({1})}, "condition must be bool");
}

// ---- CumSum ----

TEST(Tensor2CumSum, Modes) {
  auto n = make_node("CumSum", 2);
  auto x = f32({3}, {1, 2, 3});
  EXPECT_EQ(fv(eval(n, {x, i64({}, {0})})[0]), (F{1, 3, 6}));
  set_attr(n, "exclusive", int64_t{1});
  EXPECT_EQ(fv(eval(n, {x, i64({}, {0})})[0]), (F{0, 1, 3}));
  set_attr(n, "reverse", int64_t{1});
  EXPECT_EQ(fv(eval(n, {x, i32({}, {-1})})[0]), (F{5, 3, 0}));
  set_attr(n, "exclusive", int64_t{0});
  EXPECT_EQ(fv(eval(n, {x, i64({}, {0})})[0]), (F{6, 5, 3}));
}

TEST(Tensor2CumSum, AxesDtypesStrided) {
  auto n = make_node("CumSum", 2);
  EXPECT_EQ(fv(eval(n, {iota_f({2, 3}), i64({}, {1})})[0]), (F{0, 1, 3, 3, 7, 12}));
  EXPECT_EQ(fv(eval(n, {iota_f({2, 3}), i64({1}, {0})})[0]), (F{0, 1, 2, 3, 5, 7}));
  auto w = eval(n, {make_const<int32_t>({2}, {2147483647, 1}), i64({}, {0})});
  EXPECT_EQ(to_vector<int32_t>(*w[0]), (std::vector<int32_t>{2147483647, -2147483647 - 1}));
  auto u = eval(n, {make_const<uint64_t>({2}, {5, 7}), i64({}, {0})});
  EXPECT_EQ(to_vector<uint64_t>(*u[0]), (std::vector<uint64_t>{5, 12}));
  EXPECT_EQ(eval(n, {f32({0, 2}, {}), i64({}, {0})})[0]->shape, (Shape{0, 2}));
  std::vector<float> buf(12);
  std::iota(buf.begin(), buf.end(), 0.0f);
  int64_t axis = 0;
  std::vector<float> o(4, -1);
  run_views(n, {corner(buf, 2, 2, 4), make_view(&axis, DType::kI64, {})},
            {make_view(o.data(), DType::kF32, {2, 2})});
  EXPECT_EQ(o, (F{0, 1, 4, 6}));
  expect_error(n, {iota_f({2}), i64({}, {1})}, "axis 1 out of range for rank 1");
  expect_error(n, {make_const<bool>({1}, {true}), i64({}, {0})}, "unsupported dtype bool");
}

// ---- DepthToSpace / SpaceToDepth ----

TEST(Tensor2DepthToSpace, DcrAndCrd) {
  auto n = make_node("DepthToSpace", 1);
  set_attr(n, "blocksize", int64_t{2});
  auto x = iota_f({1, 8, 1, 2});
  auto out = eval(n, {x});
  EXPECT_EQ(out[0]->shape, (Shape{1, 2, 2, 4}));
  EXPECT_EQ(fv(out[0]), (F{0, 4, 1, 5, 8, 12, 9, 13, 2, 6, 3, 7, 10, 14, 11, 15}));
  set_attr(n, "mode", std::string("CRD"));
  EXPECT_EQ(fv(eval(n, {x})[0]), (F{0, 2, 1, 3, 4, 6, 5, 7, 8, 10, 9, 11, 12, 14, 13, 15}));
  expect_error(n, {iota_f({1, 6, 1, 1})}, "channels 6 is not divisible by 4");
  expect_error(n, {iota_f({8, 1, 1})}, "input must have rank 4");
}

TEST(Tensor2SpaceToDepth, InverseOfDcr) {
  auto s = make_node("SpaceToDepth", 1);
  set_attr(s, "blocksize", int64_t{2});
  auto out = eval(s, {iota_f({1, 2, 2, 2})});
  EXPECT_EQ(out[0]->shape, (Shape{1, 8, 1, 1}));
  EXPECT_EQ(fv(out[0]), (F{0, 4, 1, 5, 2, 6, 3, 7}));
  auto d = make_node("DepthToSpace", 1);
  set_attr(d, "blocksize", int64_t{2});
  auto x = iota_f({2, 3, 4, 6});
  EXPECT_EQ(fv(eval(d, {eval(s, {x})[0]})[0]), fv(x));
  expect_error(s, {iota_f({1, 1, 3, 2})}, "height 3 is not divisible by 2");
  // Strided: the [1,1,2,2] corner of a [1,1,2,4] buffer.
  std::vector<float> buf(8);
  std::iota(buf.begin(), buf.end(), 0.0f);
  TensorView in = make_view(buf.data(), DType::kF32, {1, 1, 2, 2});
  in.strides[0] = in.strides[1] = 8;
  in.strides[2] = 4;
  std::vector<float> o(4, -1);
  run_views(s, {in}, {make_view(o.data(), DType::kF32, {1, 4, 1, 1})});
  EXPECT_EQ(o, (F{0, 1, 4, 5}));
}

// ---- EyeLike ----

TEST(Tensor2EyeLike, DiagonalsAndDtype) {
  auto n = make_node("EyeLike", 1);
  EXPECT_EQ(fv(eval(n, {iota_f({2, 3})})[0]), (F{1, 0, 0, 0, 1, 0}));
  set_attr(n, "k", int64_t{-1});
  EXPECT_EQ(fv(eval(n, {iota_f({3, 2})})[0]), (F{0, 0, 1, 0, 0, 1}));
  set_attr(n, "k", int64_t{5});
  EXPECT_EQ(fv(eval(n, {iota_f({2, 2})})[0]), (F{0, 0, 0, 0}));
  set_attr(n, "k", int64_t{1});
  set_attr(n, "dtype", int64_t{7});
  auto out = eval(n, {iota_f({2, 3})});
  EXPECT_EQ(out[0]->dtype, DType::kI64);
  EXPECT_EQ(iv(out[0]), (I{0, 1, 0, 0, 0, 1}));
  set_attr(n, "dtype", int64_t{10});
  auto h = eval(n, {iota_f({1, 2})});
  EXPECT_EQ(to_vector<uint16_t>(*h[0]), (std::vector<uint16_t>{0, 0x3c00}));
  expect_error(n, {iota_f({2})}, "input must have rank 2");
}

// ---- OneHot ----

TEST(Tensor2OneHot, AxesAndRanges) {
  auto n = make_node("OneHot", 3);
  auto values = f32({2}, {0, 5});
  auto out = eval(n, {i64v({0, 2, 3, -1}), i64({}, {3}), values}, 11);
  EXPECT_EQ(out[0]->shape, (Shape{4, 3}));
  EXPECT_EQ(fv(out[0]), (F{5, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 5}));
  // Before opset 11 negative indices are out of range.
  out = eval(n, {i64v({-1}), i64({}, {3}), values}, 10);
  EXPECT_EQ(fv(out[0]), (F{0, 0, 0}));
  set_attr(n, "axis", int64_t{0});
  out = eval(n, {make_const<float>({2}, {1.7f, 0.0f}), make_const<float>({1}, {2.9f}), values}, 11);
  EXPECT_EQ(out[0]->shape, (Shape{2, 2}));
  EXPECT_EQ(fv(out[0]), (F{0, 5, 5, 0}));
  set_attr(n, "axis", int64_t{-2});
  out = eval(n, {i32({2, 1}, {1, 0}), i64({}, {2}), i64v({-1, 1})}, 11);
  EXPECT_EQ(out[0]->shape, (Shape{2, 2, 1}));
  EXPECT_EQ(iv(out[0]), (I{-1, 1, 1, -1}));
}

TEST(Tensor2OneHot, Errors) {
  auto n = make_node("OneHot", 3);
  expect_error(n, {i64v({0}), i64({}, {-2}), f32({2}, {0, 1})}, "depth must be a non-negative");
  expect_error(n, {i64v({0}), i64({}, {2}), f32({3}, {0, 1, 2})}, "values must have shape [2]");
  set_attr(n, "axis", int64_t{3});
  expect_error(n, {i64v({0}), i64({}, {2}), f32({2}, {0, 1})}, "axis 3 out of range for rank 2");
}

// ---- Symbolic inference (plan time: data-dependent extents are unknown) ----

TEST(Tensor2Infer, DataDependentExtents) {
  SymInfer t;
  const Dim B = t.sym("B");
  t.add(DType::kF32, sym_shape({B, k(3)}));
  t.run(make_node("NonZero", 1));
  EXPECT_EQ(t.odt[0], DType::kI64);
  ASSERT_EQ(t.osh[0].rank, 2);
  EXPECT_EQ(t.osh[0].d[0], k(2));
  EXPECT_TRUE(t.is_fresh(t.osh[0].d[1]));
  t.add(DType::kBool, sym_shape({k(3)}));
  auto c = make_node("Compress", 2);
  set_attr(c, "axis", int64_t{1});
  t.run(c);
  EXPECT_EQ(t.osh[0].d[0], B);
  EXPECT_TRUE(t.is_fresh(t.osh[0].d[1]));
  // A known condition gives a known extent even when other dims are symbolic.
  std::vector<uint8_t> cond{1, 0, 1};
  TensorView cv = make_view(cond.data(), DType::kBool, {3});
  t.vals[1] = &cv;
  t.run(c);
  EXPECT_EQ(t.osh[0].d[1], k(2));
}

TEST(Tensor2Infer, UnknownPadsRepeatsDepth) {
  SymInfer t;
  const Dim B = t.sym("B");
  std::vector<int64_t> pads{0, 1, 0, 2};
  TensorView pv = make_view(pads.data(), DType::kI64, {4});
  t.add(DType::kF32, sym_shape({B, k(3)}));
  t.add(DType::kI64, sym_shape({k(4)}), &pv);
  t.run(make_node("Pad", 2));
  EXPECT_EQ(t.osh[0].d[0], B);  // unpadded symbolic axes keep their symbol
  EXPECT_EQ(t.osh[0].d[1], k(6));
  t.vals[1] = nullptr;
  t.run(make_node("Pad", 2));
  EXPECT_TRUE(t.is_fresh(t.osh[0].d[0]) && t.is_fresh(t.osh[0].d[1]));
  t.run(make_node("Tile", 2));
  EXPECT_EQ(t.osh[0].rank, 2);
  EXPECT_TRUE(t.is_fresh(t.osh[0].d[1]));

  SymInfer o;
  o.add(DType::kI64, sym_shape({o.sym("N")}));
  o.add(DType::kI64, SymShape::scalar());
  o.add(DType::kF32, sym_shape({k(2)}));
  o.run(make_node("OneHot", 3), 11);
  ASSERT_EQ(o.osh[0].rank, 2);
  EXPECT_TRUE(o.is_fresh(o.osh[0].d[1]));
}

// ---- Registry ----

TEST(Tensor2Registry, OpsetRanges) {
  const auto& r = ops::Registry::builtin();
  for (const char* op :
       {"Pad", "Tile", "GatherElements", "GatherND", "ScatterElements", "ScatterND", "NonZero",
        "Compress", "CumSum", "DepthToSpace", "SpaceToDepth", "EyeLike", "OneHot"})
    EXPECT_NE(r.find("", op, ops::kLatestOpset), nullptr) << op;
  EXPECT_NE(r.find("", "Scatter", 9), nullptr);
  EXPECT_EQ(r.find("", "Scatter", 11), nullptr);  // deprecated: ScatterElements from 11
  EXPECT_EQ(r.find("", "Tile", 5), nullptr);
}

}  // namespace
}  // namespace wrun
