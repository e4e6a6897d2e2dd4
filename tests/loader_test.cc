// Tests of the ONNX loader and writer: models are built with the protobuf classes, saved to a
// temporary folder and loaded back.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "graph/error.h"
#include "graph/mapped_file.h"
#include "graph/onnx_loader.h"
#include "onnx/onnx.pb.h"
#include "tests/onnx_builder.h"

namespace wrun::graph {
namespace {

namespace fs = std::filesystem;
using namespace wrun::test;  // NOLINT: model builders

std::shared_ptr<Model> load_proto(const TempDir& dir, const onnx::ModelProto& m,
                                  const std::string& name = "model.onnx") {
  write_file(dir.file(name), serialize(m));
  return load_onnx_file(dir.file(name));
}

const Value& value_named(const Graph& g, const std::string& name) {
  int v = g.find_value(name);
  EXPECT_GE(v, 0) << name;
  return g.values.at(v);
}

template <class T>
std::vector<T> const_values(const Graph& g, const std::string& name) {
  const auto& c = value_named(g, name).constant;
  EXPECT_TRUE(c) << name;
  std::vector<T> r(c->nbytes / sizeof(T));
  if (!r.empty()) std::memcpy(r.data(), c->data, c->nbytes);
  return r;
}

// Loading must throw wrun::Error whose message contains `part`.
template <class F>
void expect_error(F&& f, const std::string& part) {
  try {
    f();
    ADD_FAILURE() << "no error; expected one containing '" << part << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  }
}

// A model whose output sums one initializer of each storage form.
onnx::ModelProto storage_model() {
  auto m = new_model();
  auto& g = *m.mutable_graph();
  set_raw(add_init(g, "raw_f32", TP::FLOAT, {2, 2}), std::vector<float>{1, 2, 3, 4});
  auto* f = add_init(g, "float_data", TP::FLOAT, {3});
  for (float x : {0.5f, -1.5f, 2.0f}) f->add_float_data(x);
  auto* d = add_init(g, "double_data", TP::DOUBLE, {2});
  for (double x : {1e100, -2.0}) d->add_double_data(x);
  auto* i64 = add_init(g, "int64_data", TP::INT64, {2});
  for (int64_t x : {int64_t{1} << 40, int64_t{-7}}) i64->add_int64_data(x);
  auto* i32 = add_init(g, "int32_data", TP::INT32, {2});
  for (int32_t x : {-5, 1 << 30}) i32->add_int32_data(x);
  auto* i8 = add_init(g, "int8", TP::INT8, {3});
  for (int x : {-128, 0, 127}) i8->add_int32_data(x);
  auto* u8 = add_init(g, "uint8", TP::UINT8, {2});
  for (int x : {0, 255}) u8->add_int32_data(x);
  auto* i16 = add_init(g, "int16", TP::INT16, {2});
  for (int x : {-32768, 32767}) i16->add_int32_data(x);
  auto* u16 = add_init(g, "uint16", TP::UINT16, {1});
  u16->add_int32_data(65535);
  auto* b = add_init(g, "bool", TP::BOOL, {3});
  for (int x : {1, 0, 1}) b->add_int32_data(x);
  auto* h = add_init(g, "f16", TP::FLOAT16, {2});
  for (float x : {1.0f, -0.5f}) h->add_int32_data(f32_to_f16(x));
  auto* bf = add_init(g, "bf16", TP::BFLOAT16, {1});
  bf->add_int32_data(f32_to_bf16(3.0f));
  auto* u32 = add_init(g, "uint32", TP::UINT32, {1});
  u32->add_uint64_data(4000000000u);
  auto* u64 = add_init(g, "uint64", TP::UINT64, {1});
  u64->add_uint64_data(~uint64_t{0});
  add_init(g, "empty", TP::FLOAT, {0, 3});
  add_init(g, "scalar", TP::INT64, {})->add_int64_data(42);
  add_input(g, "x", TP::FLOAT, {"2", "2"});
  add_node(g, "Add", {"x", "raw_f32"}, {"y"});
  add_output(g, "y", TP::FLOAT, {"2", "2"});
  return m;
}

TEST(LoaderTensor, EveryStorageForm) {
  TempDir dir;
  auto model = load_proto(dir, storage_model());
  const Graph& g = *model->graph;
  EXPECT_EQ(const_values<float>(g, "raw_f32"), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(const_values<float>(g, "float_data"), (std::vector<float>{0.5f, -1.5f, 2.0f}));
  EXPECT_EQ(const_values<double>(g, "double_data"), (std::vector<double>{1e100, -2.0}));
  EXPECT_EQ(const_values<int64_t>(g, "int64_data"), (std::vector<int64_t>{1ll << 40, -7}));
  EXPECT_EQ(const_values<int32_t>(g, "int32_data"), (std::vector<int32_t>{-5, 1 << 30}));
  EXPECT_EQ(const_values<int8_t>(g, "int8"), (std::vector<int8_t>{-128, 0, 127}));
  EXPECT_EQ(const_values<uint8_t>(g, "uint8"), (std::vector<uint8_t>{0, 255}));
  EXPECT_EQ(const_values<int16_t>(g, "int16"), (std::vector<int16_t>{-32768, 32767}));
  EXPECT_EQ(const_values<uint16_t>(g, "uint16"), (std::vector<uint16_t>{65535}));
  EXPECT_EQ(const_values<uint8_t>(g, "bool"), (std::vector<uint8_t>{1, 0, 1}));
  auto h = const_values<uint16_t>(g, "f16");
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(f16_to_f32(h[0]), 1.0f);
  EXPECT_EQ(f16_to_f32(h[1]), -0.5f);
  EXPECT_EQ(bf16_to_f32(const_values<uint16_t>(g, "bf16").at(0)), 3.0f);
  EXPECT_EQ(const_values<uint32_t>(g, "uint32"), (std::vector<uint32_t>{4000000000u}));
  EXPECT_EQ(const_values<uint64_t>(g, "uint64"), (std::vector<uint64_t>{~uint64_t{0}}));
  EXPECT_EQ(value_named(g, "empty").constant->nbytes, 0u);
  EXPECT_EQ(value_named(g, "empty").constant->shape, (Shape{0, 3}));
  EXPECT_EQ(value_named(g, "scalar").constant->shape.rank, 0);
  EXPECT_EQ(const_values<int64_t>(g, "scalar"), (std::vector<int64_t>{42}));
  EXPECT_EQ(value_named(g, "f16").dtype, DType::kF16);
  EXPECT_EQ(value_named(g, "bool").dtype, DType::kBool);
  EXPECT_TRUE(value_named(g, "x").is_input);
  EXPECT_FALSE(value_named(g, "raw_f32").is_input);
  EXPECT_TRUE(value_named(g, "y").is_output);
}

TEST(LoaderTensor, RawDataIsReferencedInTheMappedFile) {
  TempDir dir;
  auto model = load_proto(dir, storage_model());
  const auto& c = *value_named(*model->graph, "raw_f32").constant;
  EXPECT_EQ(c.source, Constant::Source::kEmbedded);
  const MappedFile* mf = MappedFile::of(c.owner);
  ASSERT_NE(mf, nullptr);
  EXPECT_EQ(mf->path(), dir.file("model.onnx"));
  EXPECT_TRUE(mf->contains(c.data, c.nbytes));
  // Typed fields are decoded into owned memory.
  EXPECT_EQ(MappedFile::of(value_named(*model->graph, "float_data").constant->owner), nullptr);

  // From memory: one owned copy, still a mapping.
  auto m2 = load_onnx_bytes(serialize(storage_model()));
  const auto& c2 = *value_named(*m2->graph, "raw_f32").constant;
  ASSERT_NE(MappedFile::of(c2.owner), nullptr);
  EXPECT_TRUE(MappedFile::of(c2.owner)->contains(c2.data, c2.nbytes));
  EXPECT_EQ(const_values<float>(*m2->graph, "raw_f32"), (std::vector<float>{1, 2, 3, 4}));
}

TEST(LoaderTensor, BadTensorsFailClearly) {
  TempDir dir;
  auto with = [&](auto edit, const std::string& part) {
    auto m = storage_model();
    edit(*m.mutable_graph());
    expect_error([&] { load_proto(dir, m); }, part);
  };
  with([](onnx::GraphProto& g) { add_init(g, "s", TP::STRING, {1})->add_string_data("a"); },
       "'s' is a string tensor");
  with(
      [](onnx::GraphProto& g) { set_raw(add_init(g, "r", TP::FLOAT, {3}), std::vector<float>{1}); },
      "needs 12 bytes but raw_data has 4");
  with([](onnx::GraphProto& g) { add_init(g, "f", TP::FLOAT, {2})->add_float_data(1); },
       "has 1 values in float_data but its shape needs 2");
  with([](onnx::GraphProto& g) { add_init(g, "n", TP::FLOAT, {2, -1}); }, "negative dimension -1");
  with(
      [](onnx::GraphProto& g) {
        add_init(g, "o", TP::FLOAT, {1ll << 40, 1ll << 40});
      },
      "product overflows");
  with([](onnx::GraphProto& g) { add_init(g, "o", TP::FLOAT, {1ll << 62}); }, "overflows");
  with([](onnx::GraphProto& g) { add_init(g, "c", TP::COMPLEX64, {1}); },
       "unsupported data type 14");
  with([](onnx::GraphProto& g) { add_init(g, "raw_f32", TP::FLOAT, {0}); },
       "'raw_f32' is defined twice");
  with(
      [](onnx::GraphProto& g) {
        auto* s = g.add_sparse_initializer();
        s->mutable_values()->set_name("sp");
      },
      "sparse initializer 'sp'");
  // A huge claimed shape with little data must fail before allocating.
  with([](onnx::GraphProto& g) { add_init(g, "big", TP::FLOAT, {1ll << 40})->add_float_data(1); },
       "needs 1099511627776");
  auto m = storage_model();
  write_file(dir.file("m.onnx"), serialize(m));
  LoadLimits lim;
  lim.max_bytes = 40;  // below the file size
  expect_error([&] { load_onnx_file(dir.file("m.onnx"), lim); }, "above the limit");
}

// A model whose initializers "w" and "b" live in external files.
onnx::ModelProto external_model(const std::string& location, int64_t offset, int64_t length,
                                const std::string& location_b = "weights.bin") {
  auto m = new_model();
  auto& g = *m.mutable_graph();
  auto ext = [](TP* t, const std::string& loc, int64_t off, int64_t len) {
    t->set_data_location(TP::EXTERNAL);
    auto kv = [&](const char* k, const std::string& v) {
      auto* e = t->add_external_data();
      e->set_key(k);
      e->set_value(v);
    };
    kv("location", loc);
    if (off >= 0) kv("offset", std::to_string(off));
    if (len >= 0) kv("length", std::to_string(len));
  };
  ext(add_init(g, "w", TP::FLOAT, {4}), location, offset, length);
  ext(add_init(g, "b", TP::INT64, {2}), location_b, 16, -1);
  add_input(g, "x", TP::FLOAT, {"4"});
  add_node(g, "Add", {"x", "w"}, {"y"});
  add_output(g, "y", TP::FLOAT, {"4"});
  return m;
}

void write_weights(const TempDir& dir) {
  std::vector<float> w = {1.5f, 2.5f, 3.5f, 4.5f};
  std::vector<int64_t> b = {-3, 9};
  std::string bytes(32, '\0');
  std::memcpy(bytes.data(), w.data(), 16);
  std::memcpy(bytes.data() + 16, b.data(), 16);
  write_file(dir.file("weights.bin"), bytes);
}

TEST(LoaderExternal, ValidDataIsMappedAndShared) {
  TempDir dir;
  write_weights(dir);
  auto model = load_proto(dir, external_model("weights.bin", 0, 16));
  const Graph& g = *model->graph;
  EXPECT_EQ(const_values<float>(g, "w"), (std::vector<float>{1.5f, 2.5f, 3.5f, 4.5f}));
  EXPECT_EQ(const_values<int64_t>(g, "b"), (std::vector<int64_t>{-3, 9}));
  const auto& w = *value_named(g, "w").constant;
  const auto& b = *value_named(g, "b").constant;
  EXPECT_EQ(w.source, Constant::Source::kExternal);
  const MappedFile* mf = MappedFile::of(w.owner);
  ASSERT_NE(mf, nullptr);
  EXPECT_EQ(mf, MappedFile::of(b.owner));  // one mapping for both tensors
  EXPECT_TRUE(mf->contains(w.data, w.nbytes));
  EXPECT_EQ(static_cast<const uint8_t*>(b.data), mf->data() + 16);

  // Subfolders are fine; from memory with a folder too.
  fs::create_directory(dir.file("sub"));
  fs::copy_file(dir.file("weights.bin"), dir.file("sub/w.bin"));
  auto m2 = load_onnx_bytes(serialize(external_model("sub/w.bin", 0, -1)), dir.path);
  EXPECT_EQ(const_values<float>(*m2->graph, "w"), (std::vector<float>{1.5f, 2.5f, 3.5f, 4.5f}));
}

TEST(LoaderExternal, BadLocationsAndRangesFail) {
  TempDir dir;
  write_weights(dir);
  auto bad = [&](const onnx::ModelProto& m, const std::string& part) {
    expect_error([&] { load_proto(dir, m); }, part);
  };
  bad(external_model("weights.bin", 24, 16), "lies outside 'weights.bin'");
  bad(external_model("weights.bin", 33, -1), "lies outside");
  bad(external_model("weights.bin", 8, 8), "needs 16 bytes but its external data length is 8");
  bad(external_model("weights.bin", 0, int64_t{1} << 62), "lies outside");
  bad(external_model("weights.bin", 0, 16, "weights.bin\" "), "not found");
  bad(external_model("missing.bin", 0, 16), "external data file 'missing.bin' not found");
  bad(external_model("../weights.bin", 0, 16), "escapes the model's folder");
  bad(external_model("sub/../../weights.bin", 0, 16), "escapes the model's folder");
  bad(external_model(dir.file("weights.bin"), 0, 16), "is absolute");
  // A symlink inside the folder pointing outside it.
  TempDir other;
  write_weights(other);
  fs::create_symlink(other.file("weights.bin"), dir.file("link.bin"));
  bad(external_model("link.bin", 0, 16), "outside the model's folder");
  fs::create_directory_symlink(other.path, dir.file("linkdir"));
  bad(external_model("linkdir/weights.bin", 0, 16), "outside the model's folder");
  // A symlink that stays inside is fine.
  fs::create_symlink(dir.file("weights.bin"), dir.file("inside.bin"));
  EXPECT_NO_THROW(load_proto(dir, external_model("inside.bin", 0, 16)));
  // From memory without a folder.
  expect_error([&] { load_onnx_bytes(serialize(external_model("weights.bin", 0, 16))); },
               "has no folder");
}

TEST(LoaderModel, MetadataOpsetsAndSymbolicDims) {
  TempDir dir;
  auto m = new_model(17);
  m.set_producer_name("wrun-test");
  m.set_producer_version("1.2");
  m.set_domain("org.test");
  m.set_model_version(7);
  m.set_doc_string("a doc");
  auto* o = m.add_opset_import();
  o->set_domain("com.microsoft");
  o->set_version(1);
  for (auto [k, v] : {std::pair{"author", "me"}, std::pair{"license", "MIT"}}) {
    auto* kv = m.add_metadata_props();
    kv->set_key(k);
    kv->set_value(v);
  }
  auto& g = *m.mutable_graph();
  add_input(g, "x", TP::FLOAT, {"batch", "80", "", "frames"});
  add_input(g, "z", TP::FLOAT16, {"batch", ""});
  add_node(g, "Relu", {"x"}, {"y"});
  add_output(g, "y", TP::FLOAT, {"batch", "80", "", "frames"});
  auto model = load_proto(dir, m);
  EXPECT_EQ(model->ir_version, 8);
  EXPECT_EQ(model->producer_name, "wrun-test");
  EXPECT_EQ(model->producer_version, "1.2");
  EXPECT_EQ(model->domain, "org.test");
  EXPECT_EQ(model->model_version, 7);
  EXPECT_EQ(model->doc, "a doc");
  EXPECT_EQ(model->opset(""), 17);
  EXPECT_EQ(model->opset("ai.onnx"), 17);
  EXPECT_EQ(model->opset("com.microsoft"), 1);
  EXPECT_EQ(model->opset("ai.onnx.ml"), 0);
  ASSERT_EQ(model->metadata.size(), 2u);
  EXPECT_EQ(model->metadata[1].first, "license");
  EXPECT_EQ(model->metadata[1].second, "MIT");
  EXPECT_EQ(model->dir, dir.path);
  const Graph& gr = *model->graph;
  const Value& x = value_named(gr, "x");
  EXPECT_EQ(x.dtype, DType::kF32);
  ASSERT_EQ(x.shape.rank, 4);
  EXPECT_EQ(model->symbols.at(x.shape[0].sym), "batch");
  EXPECT_EQ(x.shape[1], Dim::known(80));
  EXPECT_FALSE(x.shape[2].is_known());
  EXPECT_EQ(model->symbols.at(x.shape[3].sym), "frames");
  const Value& z = value_named(gr, "z");
  EXPECT_EQ(z.shape[0], x.shape[0]);          // same name, same symbol
  EXPECT_NE(z.shape[1].sym, x.shape[2].sym);  // unnamed dims are distinct
  EXPECT_EQ(model->shape_str(value_named(gr, "y").shape), "[batch,80,?2,frames]");
  ASSERT_EQ(gr.inputs.size(), 2u);
  ASSERT_EQ(gr.outputs.size(), 1u);
  EXPECT_EQ(gr.values[gr.outputs[0]].name, "y");
}

TEST(LoaderModel, TypesFailNamingTheValue) {
  TempDir dir;
  auto m = new_model();
  auto& g = *m.mutable_graph();
  add_input(g, "x", TP::COMPLEX128, {"2"});
  add_node(g, "Relu", {"x"}, {"y"});
  add_output(g, "y");
  expect_error([&] { load_proto(dir, m); }, "value 'x' has unsupported element type 15");
  g.mutable_input(0)->mutable_type()->mutable_sequence_type();
  expect_error([&] { load_proto(dir, m); }, "value 'x' has a non-tensor type (sequence)");
  set_type(*g.mutable_input(0), "x", TP::FLOAT, {"2"});
  g.mutable_input(0)
      ->mutable_type()
      ->mutable_tensor_type()
      ->mutable_shape()
      ->mutable_dim(0)
      ->set_dim_value(-3);
  expect_error([&] { load_proto(dir, m); }, "value 'x' has negative dimension -3");
}

// then/else branches of an If read `a` (produced by a node of the main graph); the then branch
// holds a Loop whose body reads `w` (an initializer of the main graph) through two scopes.
onnx::ModelProto if_model() {
  auto m = new_model();
  auto& g = *m.mutable_graph();
  add_input(g, "cond", TP::BOOL, {});
  add_input(g, "x");
  set_raw(add_init(g, "w", TP::FLOAT, {2}), std::vector<float>{1, 2});
  auto* nif = add_node(g, "If", {"cond"}, {"r"}, "if");
  add_node(g, "Neg", {"x"}, {"a"}, "neg");  // after its implicit user in file order
  add_node(g, "Relu", {"r"}, {"out"}, "relu");
  add_output(g, "out");

  auto* then_g = add_attr(nif, "then_branch", onnx::AttributeProto::GRAPH)->mutable_g();
  then_g->set_name("then");
  auto* loop = add_node(*then_g, "Loop", {"", "", "a"}, {"loop_out"}, "loop");
  add_output(*then_g, "loop_out");
  auto* body = add_attr(loop, "body", onnx::AttributeProto::GRAPH)->mutable_g();
  body->set_name("body");
  add_input(*body, "iter", TP::INT64, {});
  add_input(*body, "c", TP::BOOL, {});
  add_input(*body, "acc");
  add_node(*body, "Add", {"acc", "w"}, {"acc2"});
  add_node(*body, "Identity", {"c"}, {"c2"});
  add_output(*body, "c2", TP::BOOL, {});
  add_output(*body, "acc2");

  auto* else_g = add_attr(nif, "else_branch", onnx::AttributeProto::GRAPH)->mutable_g();
  else_g->set_name("else");
  add_output(*else_g, "a");  // an outer value directly as the branch output
  return m;
}

TEST(LoaderGraph, SubgraphsCaptureOuterValues) {
  TempDir dir;
  auto model = load_proto(dir, if_model());
  const Graph& g = *model->graph;
  ASSERT_EQ(g.nodes.size(), 3u);
  EXPECT_EQ(g.nodes[0].name, "neg");  // the If's implicit input comes first
  EXPECT_EQ(g.nodes[1].name, "if");
  EXPECT_EQ(g.nodes[1].inputs.size(), 1u);  // implicit inputs are not listed
  const Graph& then_g = *g.nodes[1].attr("then_branch")->g;
  const Graph& else_g = *g.nodes[1].attr("else_branch")->g;
  EXPECT_EQ(then_g.parent, &g);
  const Value& a_then = value_named(then_g, "a");
  EXPECT_EQ(a_then.outer, g.find_value("a"));
  EXPECT_EQ(a_then.dtype, DType::kUndefined);
  const Value& a_else = value_named(else_g, "a");
  EXPECT_EQ(a_else.outer, g.find_value("a"));
  EXPECT_TRUE(a_else.is_output);
  // The body reads w from the main graph: the then branch exposes w too.
  const Graph& body = *then_g.nodes[0].attr("body")->g;
  EXPECT_EQ(body.parent, &then_g);
  const Value& w_body = value_named(body, "w");
  ASSERT_GE(w_body.outer, 0);
  const Value& w_then = then_g.values[w_body.outer];
  EXPECT_EQ(w_then.name, "w");
  EXPECT_EQ(w_then.outer, g.find_value("w"));
  EXPECT_EQ(w_body.dtype, DType::kF32);
  EXPECT_EQ(body.inputs.size(), 3u);
  EXPECT_TRUE(value_named(body, "iter").is_input);
  // Absent optional inputs are -1.
  EXPECT_EQ(then_g.nodes[0].inputs, (std::vector<int>{-1, -1, then_g.find_value("a")}));

  auto m = if_model();
  add_node(*m.mutable_graph()->mutable_node(0)->mutable_attribute(1)->mutable_g(), "Neg",
           {"nowhere"}, {"q"});
  expect_error([&] { load_proto(dir, m); }, "input 0 'nowhere' is not defined in subgraph 'else'");
}

TEST(LoaderGraph, ConstantNodeKeepsItsTensor) {
  TempDir dir;
  auto m = new_model();
  auto& g = *m.mutable_graph();
  auto* c = add_node(g, "Constant", {}, {"k"}, "const");
  auto* t = add_attr(c, "value", onnx::AttributeProto::TENSOR)->mutable_t();
  t->set_data_type(TP::INT64);
  t->add_dims(3);
  set_raw(t, std::vector<int64_t>{4, 5, 6});
  add_input(g, "x", TP::FLOAT, {"4", "5", "6"});
  add_node(g, "Reshape", {"x", "k"}, {"y"});
  add_output(g, "y", TP::FLOAT, {"4", "5", "6"});
  auto model = load_proto(dir, m);
  const Graph& gr = *model->graph;
  ASSERT_EQ(gr.nodes.size(), 2u);
  EXPECT_EQ(gr.nodes[0].op_type, "Constant");
  const Attribute* a = gr.nodes[0].attr("value");
  ASSERT_TRUE(a && a->kind == Attribute::Kind::kTensor && a->t);
  EXPECT_EQ(a->t->dtype, DType::kI64);
  std::vector<int64_t> v(3);
  std::memcpy(v.data(), a->t->data, 24);
  EXPECT_EQ(v, (std::vector<int64_t>{4, 5, 6}));
  EXPECT_FALSE(value_named(gr, "k").is_constant());
  EXPECT_EQ(value_named(gr, "k").producer, 0);
}

TEST(LoaderGraph, ShuffledNodesAreSorted) {
  TempDir dir;
  auto m = new_model();
  auto& g = *m.mutable_graph();
  add_input(g, "x");
  const int n = 12;
  std::vector<int> order(n);
  for (int i = 0; i < n; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937(5));
  // Built with append(): GCC 12 warns falsely on "literal" + std::string here.
  auto name = [](const char* p, int i) { return std::string(p).append(std::to_string(i)); };
  for (int i : order) {
    auto* nd = add_node(g, i % 2 ? "Relu" : "Neg", {i ? name("t", i - 1) : "x"}, {name("t", i)},
                        name("n", i));
    if (i == 3) nd->add_output("");  // unused optional output
  }
  add_output(g, name("t", n - 1));
  auto model = load_proto(dir, m);
  const Graph& gr = *model->graph;
  ASSERT_EQ(gr.nodes.size(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) EXPECT_EQ(gr.nodes[i].name, name("n", i));
  EXPECT_EQ(gr.nodes[3].outputs.size(), 2u);
  EXPECT_EQ(gr.nodes[3].outputs[1], -1);
  EXPECT_EQ(value_named(gr, "t5").producer, 5);
}

TEST(LoaderGraph, StructuralErrors) {
  TempDir dir;
  auto base = [] {
    auto m = new_model();
    add_input(*m.mutable_graph(), "x");
    return m;
  };
  auto m = base();
  add_node(*m.mutable_graph(), "Add", {"x", "c"}, {"b"}, "first");
  add_node(*m.mutable_graph(), "Neg", {"b"}, {"c"}, "second");
  add_output(*m.mutable_graph(), "c");
  expect_error([&] { load_proto(dir, m); }, "graph has a cycle");

  m = base();
  add_node(*m.mutable_graph(), "Neg", {"x"}, {"y"});
  add_node(*m.mutable_graph(), "Relu", {"x"}, {"y"});
  add_output(*m.mutable_graph(), "y");
  expect_error([&] { load_proto(dir, m); }, "value name 'y' is defined twice");

  m = base();
  add_node(*m.mutable_graph(), "Neg", {"x"}, {"x"});
  add_output(*m.mutable_graph(), "x");
  expect_error([&] { load_proto(dir, m); }, "value name 'x' is defined twice");

  m = base();
  add_input(*m.mutable_graph(), "x");
  expect_error([&] { load_proto(dir, m); }, "input 'x' is listed twice");

  m = base();
  add_node(*m.mutable_graph(), "Neg", {"ghost"}, {"y"}, "neg");
  add_output(*m.mutable_graph(), "y");
  expect_error([&] { load_proto(dir, m); }, "node 'neg' (Neg) input 0 'ghost' is not defined");

  m = base();
  add_output(*m.mutable_graph(), "nothing");
  expect_error([&] { load_proto(dir, m); }, "output 'nothing' is not defined");

  m = base();
  m.clear_graph();
  expect_error([&] { load_proto(dir, m); }, "has no graph");

  m = base();
  m.clear_opset_import();
  expect_error([&] { load_proto(dir, m); }, "imports no opset");

  m = base();
  auto* nd = add_node(*m.mutable_graph(), "Neg", {"x"}, {"y"}, "neg");
  add_attr(nd, "sp", onnx::AttributeProto::SPARSE_TENSOR);
  add_output(*m.mutable_graph(), "y");
  expect_error([&] { load_proto(dir, m); }, "attribute 'sp' of node 'neg' (Neg)");
}

TEST(LoaderModel, UnknownOpsAndEveryAttributeKind) {
  TempDir dir;
  auto m = new_model();
  auto& g = *m.mutable_graph();
  add_input(g, "x");
  auto* n = add_node(g, "MyOp", {"x"}, {"y"}, "custom");
  n->set_domain("com.example");
  using A = onnx::AttributeProto;
  add_attr(n, "f", A::FLOAT)->set_f(0.25f);
  add_attr(n, "i", A::INT)->set_i(-3);
  add_attr(n, "s", A::STRING)->set_s("hello");
  auto* fs_ = add_attr(n, "fs", A::FLOATS);
  fs_->add_floats(1.5f);
  fs_->add_floats(2.5f);
  auto* is = add_attr(n, "is", A::INTS);
  is->add_ints(7);
  auto* ss = add_attr(n, "ss", A::STRINGS);
  ss->add_strings("a");
  ss->add_strings("b");
  auto* ts = add_attr(n, "ts", A::TENSORS);
  auto* t0 = ts->add_tensors();
  t0->set_data_type(TP::FLOAT);
  t0->add_float_data(9);
  auto* gs = add_attr(n, "gs", A::GRAPHS);
  auto* sg = gs->add_graphs();
  sg->set_name("sub");
  add_node(*sg, "Identity", {"x"}, {"z"});
  add_output(*sg, "z");
  auto* legacy = n->add_attribute();  // no type field (old IR): inferred from the value
  legacy->set_name("legacy");
  legacy->set_i(11);
  add_output(g, "y");
  auto model = load_proto(dir, m);
  const Node& nd = model->graph->nodes.at(0);
  EXPECT_EQ(nd.domain, "com.example");
  EXPECT_EQ(nd.attr_f("f", 0), 0.25f);
  EXPECT_EQ(nd.attr_i("i", 0), -3);
  EXPECT_EQ(nd.attr_s("s", ""), "hello");
  EXPECT_EQ(nd.attr("fs")->floats, (std::vector<float>{1.5f, 2.5f}));
  EXPECT_EQ(*nd.attr_ints("is"), (std::vector<int64_t>{7}));
  EXPECT_EQ(nd.attr("ss")->strings, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(nd.attr("ts")->tensors.size(), 1u);
  EXPECT_EQ(nd.attr("ts")->tensors[0]->shape.rank, 0);
  ASSERT_EQ(nd.attr("gs")->graphs.size(), 1u);
  EXPECT_EQ(value_named(*nd.attr("gs")->graphs[0], "x").outer, model->graph->find_value("x"));
  EXPECT_EQ(nd.attr("legacy")->kind, Attribute::Kind::kInt);
  EXPECT_EQ(nd.attr_i("legacy", 0), 11);
}

// Compares two graphs by names (value indices may differ).
void expect_same_graph(const Model& ma, const Graph& a, const Model& mb, const Graph& b) {
  ASSERT_EQ(a.nodes.size(), b.nodes.size()) << a.name;
  EXPECT_EQ(a.name, b.name);
  auto name = [](const Graph& g, int v) {
    return v < 0 ? std::string("<none>") : g.values[v].name;
  };
  auto names = [&](const Graph& g, const std::vector<int>& vs) {
    std::vector<std::string> r;
    for (int v : vs) r.push_back(name(g, v));
    return r;
  };
  auto same_const = [](const Constant& x, const Constant& y) {
    EXPECT_EQ(x.dtype, y.dtype);
    EXPECT_EQ(x.shape, y.shape);
    ASSERT_EQ(x.nbytes, y.nbytes);
    EXPECT_EQ(std::memcmp(x.data, y.data, x.nbytes), 0);
  };
  EXPECT_EQ(names(a, a.inputs), names(b, b.inputs));
  EXPECT_EQ(names(a, a.outputs), names(b, b.outputs));
  for (size_t i = 0; i < a.nodes.size(); ++i) {
    const Node &x = a.nodes[i], &y = b.nodes[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.op_type, y.op_type);
    EXPECT_EQ(x.domain, y.domain);
    EXPECT_EQ(names(a, x.inputs), names(b, y.inputs));
    EXPECT_EQ(names(a, x.outputs), names(b, y.outputs));
    ASSERT_EQ(x.attrs.size(), y.attrs.size());
    for (const auto& [k, ax] : x.attrs) {
      const Attribute* ay = y.attr(k);
      ASSERT_TRUE(ay) << k;
      EXPECT_EQ(ax.kind, ay->kind);
      EXPECT_EQ(ax.f, ay->f);
      EXPECT_EQ(ax.i, ay->i);
      EXPECT_EQ(ax.s, ay->s);
      EXPECT_EQ(ax.floats, ay->floats);
      EXPECT_EQ(ax.ints, ay->ints);
      EXPECT_EQ(ax.strings, ay->strings);
      ASSERT_EQ(!ax.t, !ay->t);
      if (ax.t) same_const(*ax.t, *ay->t);
      ASSERT_EQ(ax.tensors.size(), ay->tensors.size());
      for (size_t k2 = 0; k2 < ax.tensors.size(); ++k2)
        same_const(*ax.tensors[k2], *ay->tensors[k2]);
      ASSERT_EQ(!ax.g, !ay->g);
      if (ax.g) expect_same_graph(ma, *ax.g, mb, *ay->g);
      ASSERT_EQ(ax.graphs.size(), ay->graphs.size());
      for (size_t k2 = 0; k2 < ax.graphs.size(); ++k2)
        expect_same_graph(ma, *ax.graphs[k2], mb, *ay->graphs[k2]);
    }
  }
  for (const Value& va : a.values) {
    if (va.name.empty()) continue;
    const int vb_i = b.find_value(va.name);
    ASSERT_GE(vb_i, 0) << va.name;
    const Value& vb = b.values[vb_i];
    EXPECT_EQ(va.dtype, vb.dtype) << va.name;
    EXPECT_EQ(ma.shape_str(va.shape), mb.shape_str(vb.shape)) << va.name;
    EXPECT_EQ(va.is_input, vb.is_input);
    EXPECT_EQ(va.is_output, vb.is_output);
    EXPECT_EQ(va.outer >= 0, vb.outer >= 0);
    ASSERT_EQ(va.is_constant(), vb.is_constant()) << va.name;
    if (va.is_constant()) same_const(*va.constant, *vb.constant);
  }
}

void expect_same_model(const Model& a, const Model& b) {
  EXPECT_EQ(a.ir_version, b.ir_version);
  EXPECT_EQ(a.producer_name, b.producer_name);
  EXPECT_EQ(a.model_version, b.model_version);
  ASSERT_EQ(a.opsets.size(), b.opsets.size());
  for (size_t i = 0; i < a.opsets.size(); ++i) {
    EXPECT_EQ(a.opsets[i].domain, b.opsets[i].domain);
    EXPECT_EQ(a.opsets[i].version, b.opsets[i].version);
  }
  EXPECT_EQ(a.metadata, b.metadata);
  EXPECT_EQ(a.symbols, b.symbols);
  expect_same_graph(a, *a.graph, b, *b.graph);
}

TEST(LoaderRoundTrip, SaveThenLoadGivesTheSameGraph) {
  TempDir dir;
  write_weights(dir);
  std::vector<onnx::ModelProto> models = {storage_model(), if_model(),
                                          external_model("weights.bin", 0, 16)};
  auto sym = new_model();
  sym.set_producer_name("p");
  auto* kv = sym.add_metadata_props();
  kv->set_key("k");
  kv->set_value("v");
  auto& g = *sym.mutable_graph();
  add_input(g, "x", TP::FLOAT, {"batch", "", "3"});
  auto* c = add_node(g, "Constant", {}, {"k"}, "const");
  auto* t = add_attr(c, "value", onnx::AttributeProto::TENSOR)->mutable_t();
  t->set_data_type(TP::FLOAT16);
  t->add_dims(1);
  t->add_int32_data(f32_to_f16(2.0f));
  auto* mul = add_node(g, "Mul", {"x", "k"}, {"h", ""}, "mul");
  add_attr(mul, "alpha", onnx::AttributeProto::FLOAT)->set_f(0.5f);
  add_attr(mul, "perm", onnx::AttributeProto::INTS)->add_ints(2);
  add_node(g, "Relu", {"h"}, {"y"}, "relu");
  set_type(*g.add_value_info(), "h", TP::FLOAT, {"batch", "", "3"});
  add_output(g, "y", TP::FLOAT, {"batch", "seq", "3"});
  models.push_back(sym);
  for (size_t i = 0; i < models.size(); ++i) {
    SCOPED_TRACE(i);
    auto a = load_proto(dir, models[i], "a.onnx");
    save_onnx_file(*a, dir.file("b.onnx"));
    auto b = load_onnx_file(dir.file("b.onnx"));
    expect_same_model(*a, *b);
    // Saving is deterministic and stable.
    EXPECT_EQ(save_onnx_bytes(*a), save_onnx_bytes(*b));
    // Written weights are raw_data, referenced in place.
    for (const auto& v : b->graph->values)
      if (v.is_constant() && v.constant->nbytes) {
        EXPECT_EQ(v.constant->source, Constant::Source::kEmbedded);
        EXPECT_NE(MappedFile::of(v.constant->owner), nullptr);
      }
  }
  // value_info of intermediates keeps its type; its unnamed dim is a symbol of its own.
  auto b = load_onnx_file(dir.file("b.onnx"));
  EXPECT_EQ(b->shape_str(value_named(*b->graph, "h").shape), "[batch,?1,3]");
}

TEST(LoaderMalformed, NeverCrashes) {
  TempDir dir;
  expect_error([&] { load_onnx_bytes(""); }, "empty");
  write_file(dir.file("empty.onnx"), "");
  expect_error([&] { load_onnx_file(dir.file("empty.onnx")); }, "empty");
  expect_error([&] { load_onnx_file(dir.file("nope.onnx")); }, "cannot open");
  expect_error([&] { load_onnx_file(dir.path); }, "not a regular file");
  std::mt19937 rng(1);
  for (int trial = 0; trial < 50; ++trial) {
    std::string junk(1 + rng() % 300, '\0');
    for (auto& ch : junk) ch = static_cast<char>(rng());
    EXPECT_THROW(load_onnx_bytes(junk), Error) << trial;
  }
  // A valid model (no fields after opset_import, so every prefix is invalid) cut short.
  auto m = if_model();
  set_raw(add_init(*m.mutable_graph(), "big", TP::FLOAT, {64}), std::vector<float>(64, 1.0f));
  const std::string good = serialize(m);
  ASSERT_NO_THROW(load_onnx_bytes(good));
  int cuts = 0;
  for (size_t n = 0; n < good.size(); n += 7, ++cuts) {
    write_file(dir.file("cut.onnx"), good.substr(0, n));
    EXPECT_THROW(load_onnx_file(dir.file("cut.onnx")), Error) << "cut at " << n;
  }
  EXPECT_GT(cuts, 20);
  // Random byte mutations: each either loads or throws wrun::Error (nothing else escapes).
  int mutated_ok = 0;
  for (int trial = 0; trial < 400; ++trial) {
    std::string bad = good;
    for (int k = 0; k < 1 + trial % 4; ++k) bad[rng() % bad.size()] = static_cast<char>(rng());
    try {
      load_onnx_bytes(bad);
      ++mutated_ok;
    } catch (const Error&) {
    }
  }
  std::printf("mutated models that still load: %d of 400\n", mutated_ok);
  // Hostile lengths: a graph field claiming 2^62 bytes.
  std::string hostile = "\x3a\xff\xff\xff\xff\xff\xff\xff\xff\x3f";
  expect_error([&] { load_onnx_bytes(hostile); }, "truncated");
  // Deeply nested groups.
  std::string groups(100000, '\x0b');  // field 1, start group
  EXPECT_THROW(load_onnx_bytes(groups), Error);
}

// Loads (and round-trips) every model.onnx under `root`; returns {loaded, unsupported}.
std::pair<int, int> load_all(const fs::path& root) {
  int loaded = 0, unsupported = 0;
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(root)) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  for (const auto& d : dirs) {
    const fs::path p = d / "model.onnx";
    if (!fs::exists(p)) continue;
    try {
      auto m = load_onnx_file(p.string());
      SCOPED_TRACE(p.string());
      expect_same_model(*m, *load_onnx_bytes(save_onnx_bytes(*m)));
      ++loaded;
    } catch (const Error& e) {
      const std::string msg = e.what();
      const bool clear = msg.find("string tensor") != std::string::npos ||
                         msg.find("sparse") != std::string::npos ||
                         msg.find("non-tensor type") != std::string::npos ||
                         msg.find("unsupported") != std::string::npos;
      EXPECT_TRUE(clear) << msg;
      std::printf("  unsupported: %s\n", msg.c_str());
      ++unsupported;
    }
  }
  std::printf("%s: %d loaded, %d unsupported\n", root.c_str(), loaded, unsupported);
  return {loaded, unsupported};
}

const fs::path kTestData = "/usr/share/libonnx-testdata/data";

TEST(LoaderOnnxTests, EveryNodeTestModelLoadsOrFailsClearly) {
  if (!fs::exists(kTestData / "node")) GTEST_SKIP() << "ONNX test data not installed";
  EXPECT_GT(load_all(kTestData / "node").first, 800);
}

TEST(LoaderOnnxTests, PytorchAndSimpleModelsLoad) {
  for (const char* sub : {"pytorch-converted", "pytorch-operator", "simple"}) {
    if (!fs::exists(kTestData / sub)) continue;
    EXPECT_GT(load_all(kTestData / sub).first, 0) << sub;
  }
}

}  // namespace
}  // namespace wrun::graph
