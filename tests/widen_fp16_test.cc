// Loading float16 models widened to float32 (ModelOptions::widen_fp16, graph/widen_fp16.h):
// initializers, Constant and ConstantOfShape tensors, value types in the graph and in If
// branches, Cast(to=FLOAT16) and CastLike; and the one-line error for what cannot be widened.
#include "graph/widen_fp16.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "graph/error.h"
#include "graph/onnx_loader.h"
#include "onnx/onnx.pb.h"
#include "runtime/session.h"

namespace wrun {
namespace {

using TP = onnx::TensorProto;

void set_type(onnx::ValueInfoProto& vi, const std::string& name, int elem,
              const std::vector<int64_t>& dims) {
  vi.set_name(name);
  auto* tt = vi.mutable_type()->mutable_tensor_type();
  tt->set_elem_type(elem);
  auto* sh = tt->mutable_shape();
  for (auto d : dims) sh->add_dim()->set_dim_value(d);
}

onnx::NodeProto* add_node(onnx::GraphProto& g, const std::string& op, std::vector<std::string> in,
                          std::vector<std::string> out) {
  auto* n = g.add_node();
  n->set_op_type(op);
  n->set_name(op + "_" + std::to_string(g.node_size()));
  for (auto& s : in) n->add_input(s);
  for (auto& s : out) n->add_output(s);
  return n;
}

// A float16 tensor (raw_data) with these values.
void f16_tensor(TP* t, const std::string& name, const std::vector<int64_t>& dims,
                const std::vector<float>& v) {
  t->set_name(name);
  t->set_data_type(TP::FLOAT16);
  for (auto d : dims) t->add_dims(d);
  std::vector<uint16_t> h;
  for (float x : v) h.push_back(f32_to_f16(x));
  t->set_raw_data(h.data(), h.size() * 2);
}

void tensor_attr(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& dims,
                 const std::vector<float>& v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::TENSOR);
  f16_tensor(a->mutable_t(), "", dims, v);
}

void int_attr(onnx::NodeProto* n, const std::string& name, int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

const std::vector<float> kW = {0.1f, -2.5f, 3.0f};

// y = If(cond, then: s * 2, else: CastLike(Cast(s, INT64), w)) with
// s = Cast((x + w) * c, FLOAT16) + ConstantOfShape(Shape(x), 1.25), all float16.
std::string fp16_model() {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(18);
  auto& g = *m.mutable_graph();
  g.set_name("fp16");
  set_type(*g.add_input(), "x", TP::FLOAT16, {2, 3});
  set_type(*g.add_input(), "cond", TP::BOOL, {});
  f16_tensor(g.add_initializer(), "w", {3}, kW);
  tensor_attr(add_node(g, "Constant", {}, {"c"}), "value", {}, {0.5f});
  add_node(g, "Add", {"x", "w"}, {"a"});
  add_node(g, "Mul", {"a", "c"}, {"m"});
  int_attr(add_node(g, "Cast", {"m"}, {"mc"}), "to", TP::FLOAT16);
  add_node(g, "Shape", {"x"}, {"sx"});
  tensor_attr(add_node(g, "ConstantOfShape", {"sx"}, {"ones"}), "value", {1}, {1.25f});
  add_node(g, "Add", {"mc", "ones"}, {"s"});
  set_type(*g.add_value_info(), "m", TP::FLOAT16, {2, 3});

  onnx::GraphProto then_g, else_g;
  then_g.set_name("then");
  tensor_attr(add_node(then_g, "Constant", {}, {"two"}), "value", {}, {2.0f});
  add_node(then_g, "Mul", {"s", "two"}, {"t_out"});
  set_type(*then_g.add_output(), "t_out", TP::FLOAT16, {2, 3});
  else_g.set_name("else");
  int_attr(add_node(else_g, "Cast", {"s"}, {"si"}), "to", TP::INT64);
  add_node(else_g, "CastLike", {"si", "w"}, {"e_out"});
  set_type(*else_g.add_output(), "e_out", TP::FLOAT16, {2, 3});
  auto* iff = add_node(g, "If", {"cond"}, {"y"});
  auto* a = iff->add_attribute();
  a->set_name("then_branch");
  a->set_type(onnx::AttributeProto::GRAPH);
  *a->mutable_g() = then_g;
  a = iff->add_attribute();
  a->set_name("else_branch");
  a->set_type(onnx::AttributeProto::GRAPH);
  *a->mutable_g() = else_g;
  set_type(*g.add_output(), "y", TP::FLOAT16, {2, 3});
  std::string s;
  EXPECT_TRUE(m.SerializeToString(&s));
  return s;
}

std::vector<float> run(const std::shared_ptr<const Model>& model, std::vector<float> x, bool cond) {
  Session s(model);
  uint8_t c = cond;
  s.set_input("x", make_view(x.data(), DType::kF32, Shape{2, 3}));
  s.set_input("cond", make_view(&c, DType::kBool, Shape{}));
  s.run();
  TensorView y = s.output("y");
  EXPECT_EQ(y.dtype, DType::kF32);
  return std::vector<float>(y.as<float>(), y.as<float>() + y.numel());
}

TEST(WidenFp16Loader, RunsAsFloat32) {
  const std::string bytes = fp16_model();
  auto raw = Model::load_bytes(bytes);  // not widened: float16 as written
  EXPECT_EQ(raw->inputs()[0].dtype, DType::kF16);
  EXPECT_EQ(raw->outputs()[0].dtype, DType::kF16);

  ModelOptions o;
  o.widen_fp16 = true;
  auto model = Model::load_bytes(bytes, o);
  EXPECT_EQ(model->inputs()[0].dtype, DType::kF32);
  EXPECT_EQ(model->inputs()[1].dtype, DType::kBool);
  EXPECT_EQ(model->outputs()[0].dtype, DType::kF32);
  // Values float16 cannot hold: a Cast(to=FLOAT16) left in place would round them.
  const std::vector<float> x = {1.0f / 3, 0.1f, -7.3f, 1000.7f, 2e-4f, -1.0f};
  std::vector<float> s(6), then_y(6), else_y(6);
  for (int i = 0; i < 6; ++i) {
    const float w = f16_to_f32(f32_to_f16(kW[i % 3]));  // the weights are float16 values
    s[i] = (x[i] + w) * 0.5f + 1.25f;
    then_y[i] = s[i] * 2.0f;
    else_y[i] = std::trunc(s[i]);
  }
  // float16 rounding would be off by ~1e-3 relative; float32 (with or without fused multiply-add)
  // agrees to ~1e-7.
  auto expect_near = [](const std::vector<float>& got, const std::vector<float>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i)
      EXPECT_NEAR(got[i], want[i], 1e-6 * std::fabs(want[i])) << i;
  };
  expect_near(run(model, x, true), then_y);
  expect_near(run(model, x, false), else_y);
}

TEST(WidenFp16Loader, ReportsWhatItWidened) {
  auto ir = graph::load_onnx_bytes(fp16_model());
  const auto r = graph::widen_fp16(*ir);
  // w, the Constants c and two, and ConstantOfShape's value.
  EXPECT_EQ(r.constants, 4);
  EXPECT_EQ(r.dtype_attrs, 1);  // Cast(to=FLOAT16)
  EXPECT_GT(r.values, 0);
  std::function<void(const graph::Graph&)> check = [&](const graph::Graph& g) {
    for (const auto& v : g.values) {
      EXPECT_NE(v.dtype, DType::kF16) << v.name;
      if (v.constant) {
        EXPECT_NE(v.constant->dtype, DType::kF16) << v.name;
      }
    }
    for (const auto& n : g.nodes)
      for (const auto& [k, a] : n.attrs) {
        if (a.t) {
          EXPECT_EQ(a.t->dtype, DType::kF32) << n.name;
        }
        if (a.g) check(*a.g);
      }
  };
  check(*ir->graph);
  // Again: nothing left to widen.
  EXPECT_FALSE(graph::widen_fp16(*ir).changed());
}

TEST(WidenFp16Loader, Float32ModelUnchanged) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(18);
  auto& g = *m.mutable_graph();
  g.set_name("f32");
  set_type(*g.add_input(), "x", TP::FLOAT, {2});
  add_node(g, "Neg", {"x"}, {"y"});
  set_type(*g.add_output(), "y", TP::FLOAT, {2});
  std::string s;
  ASSERT_TRUE(m.SerializeToString(&s));
  EXPECT_FALSE(graph::widen_fp16(*graph::load_onnx_bytes(s)).changed());
}

TEST(WidenFp16Loader, ForeignOpOnFloat16IsAOneLineError) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(18);
  auto* o = m.add_opset_import();
  o->set_domain("com.example");
  o->set_version(1);
  auto& g = *m.mutable_graph();
  g.set_name("foreign");
  set_type(*g.add_input(), "x", TP::FLOAT16, {2});
  auto* n = add_node(g, "Frob", {"x"}, {"y"});
  n->set_domain("com.example");
  n->set_name("frob_node");
  set_type(*g.add_output(), "y", TP::FLOAT16, {2});
  std::string s;
  ASSERT_TRUE(m.SerializeToString(&s));
  ModelOptions opts;
  opts.widen_fp16 = true;
  try {
    Model::load_bytes(s, opts);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("'frob_node' (com.example.Frob)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("float16"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace wrun
