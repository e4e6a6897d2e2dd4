// IR -> ModelProto. Weights are embedded as raw_data; symbolic dims are written as dim_param.
#include <cstdio>

#include "graph/error.h"
#include "graph/onnx_loader.h"
#include "graph/onnx_tensor.h"
#include "onnx/onnx.pb.h"

namespace wrun::graph {
namespace {

// The name under which graph `g` refers to value `v` (captured values use the enclosing name).
std::string value_name(const Graph& g, int v, int depth = 0) {
  if (v < 0) return {};
  const Value& x = g.values[v];
  if (x.outer >= 0 && g.parent) return value_name(*g.parent, x.outer, depth + 1);
  if (!x.name.empty()) return x.name;
  // Passes may leave values unnamed; ONNX links by name, so invent one.
  return "__wrun_" + std::to_string(depth) + "_" + std::to_string(v) + "_" +
         std::to_string(reinterpret_cast<uintptr_t>(&g) & 0xffffff);
}

void write_value_info(const Model& m, const Graph& g, int v, onnx::ValueInfoProto& vi) {
  const Value& x = g.values[v];
  vi.set_name(value_name(g, v));
  if (x.dtype == DType::kUndefined) return;
  auto* tt = vi.mutable_type()->mutable_tensor_type();
  tt->set_elem_type(dtype_to_onnx(x.dtype));
  if (x.shape.rank < 0) return;
  auto* sh = tt->mutable_shape();
  for (int i = 0; i < x.shape.rank; ++i) {
    const Dim& d = x.shape[i];
    auto* dim = sh->add_dim();
    if (d.is_known())
      dim->set_dim_value(d.value);
    else if (d.sym < static_cast<int32_t>(m.symbols.size()))
      dim->set_dim_param(m.symbols[d.sym]);
    // else: an unknown symbol stays an unnamed dim
  }
}

void write_graph(const Model& m, const Graph& g, onnx::GraphProto& gp);

void write_attr(const Model& m, const std::string& key, const Attribute& a,
                onnx::AttributeProto& ap) {
  using A = onnx::AttributeProto;
  using K = Attribute::Kind;
  ap.set_name(key);
  auto need = [&](bool ok) { WRUN_CHECK(ok, "attribute '", key, "' has no value to write"); };
  switch (a.kind) {
    case K::kFloat:
      ap.set_type(A::FLOAT);
      ap.set_f(a.f);
      break;
    case K::kInt:
      ap.set_type(A::INT);
      ap.set_i(a.i);
      break;
    case K::kString:
      ap.set_type(A::STRING);
      ap.set_s(a.s);
      break;
    case K::kTensor:
      need(a.t != nullptr);
      ap.set_type(A::TENSOR);
      tensor_to_onnx(*a.t, *ap.mutable_t());
      break;
    case K::kGraph:
      need(a.g != nullptr);
      ap.set_type(A::GRAPH);
      write_graph(m, *a.g, *ap.mutable_g());
      break;
    case K::kFloats:
      ap.set_type(A::FLOATS);
      for (float f : a.floats) ap.add_floats(f);
      break;
    case K::kInts:
      ap.set_type(A::INTS);
      for (int64_t i : a.ints) ap.add_ints(i);
      break;
    case K::kStrings:
      ap.set_type(A::STRINGS);
      for (const auto& s : a.strings) ap.add_strings(s);
      break;
    case K::kTensors:
      ap.set_type(A::TENSORS);
      for (const auto& t : a.tensors) {
        need(t != nullptr);
        tensor_to_onnx(*t, *ap.add_tensors());
      }
      break;
    case K::kGraphs:
      ap.set_type(A::GRAPHS);
      for (const auto& s : a.graphs) {
        need(s != nullptr);
        write_graph(m, *s, *ap.add_graphs());
      }
      break;
  }
}

void write_graph(const Model& m, const Graph& g, onnx::GraphProto& gp) {
  gp.set_name(g.name);
  if (!g.doc.empty()) gp.set_doc_string(g.doc);
  std::vector<char> produced(g.values.size(), 0);
  for (const Node& n : g.nodes) {
    auto* np = gp.add_node();
    for (int v : n.inputs) np->add_input(value_name(g, v));
    for (int v : n.outputs) {
      np->add_output(value_name(g, v));
      if (v >= 0) produced[v] = 1;
    }
    if (!n.name.empty()) np->set_name(n.name);
    np->set_op_type(n.op_type);
    if (!n.domain.empty()) np->set_domain(n.domain);
    if (!n.doc.empty()) np->set_doc_string(n.doc);
    for (const auto& [key, a] : n.attrs) write_attr(m, key, a, *np->add_attribute());
  }
  for (size_t v = 0; v < g.values.size(); ++v) {
    const Value& x = g.values[v];
    if (!x.is_constant() || produced[v] || x.outer >= 0) continue;
    auto* t = gp.add_initializer();
    tensor_to_onnx(*x.constant, *t);
    t->set_name(value_name(g, static_cast<int>(v)));
  }
  for (int v : g.inputs) write_value_info(m, g, v, *gp.add_input());
  for (int v : g.outputs) write_value_info(m, g, v, *gp.add_output());
  for (size_t v = 0; v < g.values.size(); ++v) {
    const Value& x = g.values[v];
    if (produced[v] && !x.is_output && !x.is_input && !x.is_constant() && x.outer < 0 &&
        x.dtype != DType::kUndefined)
      write_value_info(m, g, static_cast<int>(v), *gp.add_value_info());
  }
}

}  // namespace

std::string save_onnx_bytes(const Model& m) {
  WRUN_CHECK(m.graph, "cannot save a model without a graph");
  onnx::ModelProto mp;
  mp.set_ir_version(m.ir_version ? m.ir_version : static_cast<int64_t>(onnx::IR_VERSION));
  if (!m.producer_name.empty()) mp.set_producer_name(m.producer_name);
  if (!m.producer_version.empty()) mp.set_producer_version(m.producer_version);
  if (!m.domain.empty()) mp.set_domain(m.domain);
  if (m.model_version) mp.set_model_version(m.model_version);
  if (!m.doc.empty()) mp.set_doc_string(m.doc);
  for (const auto& o : m.opsets) {
    auto* op = mp.add_opset_import();
    op->set_domain(o.domain);
    op->set_version(o.version);
  }
  for (const auto& [k, v] : m.metadata) {
    auto* kv = mp.add_metadata_props();
    kv->set_key(k);
    kv->set_value(v);
  }
  write_graph(m, *m.graph, *mp.mutable_graph());
  std::string out;
  WRUN_CHECK(mp.SerializeToString(&out),
             "cannot serialize the model (protobuf's limit is 2 GB; use external data)");
  return out;
}

void save_onnx_file(const Model& m, const std::string& path) {
  const std::string bytes = save_onnx_bytes(m);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  WRUN_CHECK(f, "cannot create '", path, "'");
  const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  WRUN_CHECK(std::fclose(f) == 0 && ok, "cannot write '", path, "'");
}

}  // namespace wrun::graph
