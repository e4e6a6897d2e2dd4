// Building small ONNX models in tests with the protobuf classes, and temporary folders for them.
#pragma once
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "onnx/onnx.pb.h"

namespace wrun::test {

using TP = onnx::TensorProto;

// A fresh temporary folder, removed at the end of its scope.
struct TempDir {
  std::string path;
  TempDir() {
    std::string t = (std::filesystem::temp_directory_path() / "wrun_test_XXXXXX").string();
    path = mkdtemp(t.data());
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string file(const std::string& name) const { return path + "/" + name; }
};

inline void write_file(const std::string& path, std::string_view bytes) {
  std::ofstream(path, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string serialize(const onnx::ModelProto& m) {
  std::string s;
  EXPECT_TRUE(m.SerializeToString(&s));
  return s;
}

inline onnx::ModelProto new_model(int64_t opset = 18) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  auto* o = m.add_opset_import();
  o->set_domain("");
  o->set_version(opset);
  m.mutable_graph()->set_name("main");
  return m;
}

inline onnx::NodeProto* add_node(onnx::GraphProto& g, const std::string& op,
                                 std::vector<std::string> in, std::vector<std::string> out,
                                 const std::string& name = "") {
  auto* n = g.add_node();
  n->set_op_type(op);
  n->set_name(name.empty() ? op + "_" + std::to_string(g.node_size()) : name);
  for (auto& s : in) n->add_input(s);
  for (auto& s : out) n->add_output(s);
  return n;
}

// Dims: "" is an unnamed dim, digits a known extent, anything else a symbol.
inline void set_type(onnx::ValueInfoProto& vi, const std::string& name, int elem,
                     const std::vector<std::string>& dims) {
  vi.set_name(name);
  auto* tt = vi.mutable_type()->mutable_tensor_type();
  tt->set_elem_type(elem);
  auto* sh = tt->mutable_shape();
  for (const auto& d : dims) {
    auto* dim = sh->add_dim();
    if (d.empty()) continue;
    if (std::isdigit(static_cast<unsigned char>(d[0])))
      dim->set_dim_value(std::stoll(d));
    else
      dim->set_dim_param(d);
  }
}
inline void add_input(onnx::GraphProto& g, const std::string& name, int elem = TP::FLOAT,
                      const std::vector<std::string>& dims = {"2"}) {
  set_type(*g.add_input(), name, elem, dims);
}
inline void add_output(onnx::GraphProto& g, const std::string& name, int elem = TP::FLOAT,
                       const std::vector<std::string>& dims = {"2"}) {
  set_type(*g.add_output(), name, elem, dims);
}
// An output with an element type but no shape at all (rank unknown).
inline void add_output_unshaped(onnx::GraphProto& g, const std::string& name,
                                int elem = TP::FLOAT) {
  auto* vi = g.add_output();
  vi->set_name(name);
  vi->mutable_type()->mutable_tensor_type()->set_elem_type(elem);
}

inline TP* add_init(onnx::GraphProto& g, const std::string& name, int elem,
                    std::vector<int64_t> dims) {
  auto* t = g.add_initializer();
  t->set_name(name);
  t->set_data_type(elem);
  for (auto d : dims) t->add_dims(d);
  return t;
}

template <class T>
void set_raw(TP* t, const std::vector<T>& v) {
  t->set_raw_data(v.data(), v.size() * sizeof(T));
}

// A float initializer filled with one value.
inline void add_f32(onnx::GraphProto& g, const std::string& name, std::vector<int64_t> dims,
                    float v) {
  auto* t = add_init(g, name, TP::FLOAT, dims);
  int64_t n = 1;
  for (auto d : dims) n *= d;
  set_raw(t, std::vector<float>(static_cast<size_t>(n), v));
}
inline void add_i64(onnx::GraphProto& g, const std::string& name, std::vector<int64_t> values,
                    bool scalar = false) {
  auto* t = add_init(g, name, TP::INT64, {});
  if (!scalar) t->add_dims(static_cast<int64_t>(values.size()));
  for (auto v : values) t->add_int64_data(v);
}

inline onnx::AttributeProto* add_attr(onnx::NodeProto* n, const std::string& name,
                                      onnx::AttributeProto::AttributeType type) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(type);
  return a;
}

inline void add_metadata(onnx::ModelProto& m, const std::string& key, const std::string& value) {
  auto* p = m.add_metadata_props();
  p->set_key(key);
  p->set_value(value);
}

}  // namespace wrun::test
