// ModelProto -> IR. The model file is mapped; the top-level initializers' raw_data is located by
// a wire-format pass and dropped from the bytes given to protobuf, so weights are never copied.
#include "graph/onnx_loader.h"

#include <climits>
#include <unordered_map>
#include <unordered_set>

#include "graph/error.h"
#include "graph/mapped_file.h"
#include "graph/onnx_arity.h"
#include "graph/onnx_tensor.h"
#include "graph/wire_scan.h"
#include "onnx/onnx.pb.h"

namespace wrun::graph {
namespace {

struct Loader {
  Model& model;
  TensorContext ctx;
  std::shared_ptr<const MappedFile> file;  // the serialized model
  std::vector<RawRange> ranges;            // raw_data of the top-level initializers
  int fresh = 0;

  int32_t fresh_symbol() {
    for (;;) {
      std::string n = std::to_string(fresh++);
      n.insert(n.begin(), '?');  // '?' cannot clash with exporters' dim_param names
      bool used = false;
      for (const auto& s : model.symbols) used |= s == n;
      if (!used) return model.symbol(n);
    }
  }
};

// Names visible in one graph; unknown names are looked up in enclosing graphs and captured.
struct Scope {
  Graph* g;
  Scope* parent;
  std::unordered_map<std::string, int> names;

  int resolve(const std::string& name) {
    if (auto it = names.find(name); it != names.end()) return it->second;
    if (!parent) return -1;
    int p = parent->resolve(name);
    if (p < 0) return -1;
    int v = g->add_value(name);
    const Value& pv = parent->g->values[p];
    g->values[v].dtype = pv.dtype;
    g->values[v].shape = pv.shape;
    g->values[v].outer = p;
    names.emplace(name, v);
    return v;
  }
};

std::string graph_label(const Graph& g) {
  return g.parent ? "subgraph '" + g.name + "'" : "graph '" + g.name + "'";
}

std::string node_label(const Node& n) {
  return "node '" + n.name + "' (" + (n.domain.empty() ? "" : n.domain + ".") + n.op_type + ")";
}

const char* type_kind(const onnx::TypeProto& t) {
  switch (t.value_case()) {
    case onnx::TypeProto::kSequenceType:
      return "sequence";
    case onnx::TypeProto::kMapType:
      return "map";
    case onnx::TypeProto::kOptionalType:
      return "optional";
    case onnx::TypeProto::kSparseTensorType:
      return "sparse tensor";
    default:
      return "unset";
  }
}

// Applies a declared type to a value; for constants only checks that the element types agree.
void apply_type(Loader& L, const onnx::ValueInfoProto& vi, Value& v) {
  if (!vi.has_type()) return;
  const auto& tp = vi.type();
  WRUN_CHECK(tp.has_tensor_type(), "value '", vi.name(), "' has a non-tensor type (", type_kind(tp),
             "), which wrun does not support");
  const auto& tt = tp.tensor_type();
  const DType dt = dtype_from_onnx(tt.elem_type());
  WRUN_CHECK(dt != DType::kUndefined, "value '", vi.name(), "' has unsupported element type ",
             tt.elem_type());
  if (v.is_constant()) {
    WRUN_CHECK(dt == v.dtype, "initializer '", v.name, "' is ", dtype_name(v.dtype),
               " but is declared ", dtype_name(dt));
    return;
  }
  SymShape sh;
  if (tt.has_shape()) {
    const auto& dims = tt.shape().dim();
    WRUN_CHECK(dims.size() <= kMaxRank, "value '", vi.name(), "' has rank ", dims.size(),
               ", above ", kMaxRank);
    sh.rank = 0;
    for (const auto& d : dims) {
      if (d.has_dim_value()) {
        WRUN_CHECK(d.dim_value() >= 0, "value '", vi.name(), "' has negative dimension ",
                   d.dim_value());
        sh.push(Dim::known(d.dim_value()));
      } else if (d.has_dim_param() && !d.dim_param().empty()) {
        sh.push(Dim::symbol(L.model.symbol(d.dim_param())));
      } else {
        sh.push(Dim::symbol(L.fresh_symbol()));
      }
    }
  }
  v.dtype = dt;
  v.shape = sh;
}

onnx::AttributeProto::AttributeType infer_attr_type(const onnx::AttributeProto& a) {
  using A = onnx::AttributeProto;
  if (a.has_g()) return A::GRAPH;
  if (a.has_t()) return A::TENSOR;
  if (a.has_s()) return A::STRING;
  if (a.has_i()) return A::INT;
  if (a.has_f()) return A::FLOAT;
  if (a.graphs_size()) return A::GRAPHS;
  if (a.tensors_size()) return A::TENSORS;
  if (a.strings_size()) return A::STRINGS;
  if (a.ints_size()) return A::INTS;
  if (a.floats_size()) return A::FLOATS;
  return A::UNDEFINED;
}

// Names are quoted in one-line error messages, so a control character in one (a newline in a
// node name) is refused up front, before any message can quote it; the name is shown escaped.
void check_text(const std::string& s, const char* what) {
  auto is_control = [](unsigned char c) { return c < 0x20 || c == 0x7f; };
  bool bad = false;
  for (unsigned char c : s) bad |= is_control(c);
  if (!bad) return;
  std::string shown;
  for (unsigned char c : s) {
    if (!is_control(c)) {
      shown += static_cast<char>(c);
      continue;
    }
    const char* hex = "0123456789abcdef";
    shown += {'\\', 'x', hex[c >> 4], hex[c & 15]};
  }
  fail(what, " '", shown, "' contains a control character");
}

void check_texts(const onnx::TensorProto& t) {
  check_text(t.name(), "tensor name");
  for (const auto& kv : t.external_data()) check_text(kv.value(), "external data entry");
}

void check_texts(const onnx::ValueInfoProto& vi) {
  check_text(vi.name(), "value name");
  if (vi.type().has_tensor_type())
    for (const auto& d : vi.type().tensor_type().shape().dim())
      check_text(d.dim_param(), "dimension name");
}

void check_texts(const onnx::GraphProto& g) {
  check_text(g.name(), "graph name");
  for (const auto& t : g.initializer()) check_texts(t);
  for (const auto& s : g.sparse_initializer()) check_texts(s.values());
  for (const auto* list : {&g.input(), &g.output(), &g.value_info()})
    for (const auto& vi : *list) check_texts(vi);
  for (const auto& n : g.node()) {
    check_text(n.name(), "node name");
    check_text(n.op_type(), "op type");
    check_text(n.domain(), "domain");
    for (const auto* list : {&n.input(), &n.output()})
      for (const auto& v : *list) check_text(v, "value name");
    for (const auto& a : n.attribute()) {
      check_text(a.name(), "attribute name");
      if (a.has_t()) check_texts(a.t());
      for (const auto& t : a.tensors()) check_texts(t);
      if (a.has_g()) check_texts(a.g());
      for (const auto& sg : a.graphs()) check_texts(sg);
    }
  }
}

// Standard ops must list the inputs and outputs their schema requires: op inference and kernels
// rely on them being there.
void check_arity(const onnx::NodeProto& np, int64_t opset, const std::string& where) {
  const OpArity* a = onnx_arity(np.op_type(), opset);
  if (!a) return;
  WRUN_CHECK(np.input_size() >= a->min_inputs, where, " lists ", np.input_size(),
             " inputs; at opset ", opset, " it needs at least ", a->min_inputs);
  for (int i = 0; i < 32; ++i)
    WRUN_CHECK(!(a->required >> i & 1) || (i < np.input_size() && !np.input(i).empty()), where,
               ": required input ", i, " is missing");
  WRUN_CHECK(np.output_size() >= a->min_outputs, where, " lists ", np.output_size(),
             " outputs; at opset ", opset, " it needs at least ", a->min_outputs);
}

void build_graph(Loader& L, onnx::GraphProto& gp, Graph& g, Scope* parent);

std::shared_ptr<Graph> build_subgraph(Loader& L, onnx::GraphProto& gp, Scope& sc) {
  auto sub = std::make_shared<Graph>();
  sub->parent = sc.g;
  build_graph(L, gp, *sub, &sc);
  return sub;
}

Attribute parse_attr(Loader& L, onnx::AttributeProto& a, const std::string& where, Scope& sc) {
  using A = onnx::AttributeProto;
  using K = Attribute::Kind;
  Attribute r;
  auto type = a.type() == A::UNDEFINED ? infer_attr_type(a) : a.type();
  const std::string what = "attribute '" + a.name() + "' of " + where;
  switch (type) {
    case A::FLOAT:
      r.kind = K::kFloat;
      r.f = a.f();
      break;
    case A::INT:
      r.kind = K::kInt;
      r.i = a.i();
      break;
    case A::STRING:
      r.kind = K::kString;
      r.s = a.s();
      break;
    case A::TENSOR:
      r.kind = K::kTensor;
      r.t = tensor_from_onnx(*a.mutable_t(), what, L.ctx);
      break;
    case A::GRAPH:
      r.kind = K::kGraph;
      r.g = build_subgraph(L, *a.mutable_g(), sc);
      break;
    case A::FLOATS:
      r.kind = K::kFloats;
      r.floats.assign(a.floats().begin(), a.floats().end());
      break;
    case A::INTS:
      r.kind = K::kInts;
      r.ints.assign(a.ints().begin(), a.ints().end());
      break;
    case A::STRINGS:
      r.kind = K::kStrings;
      r.strings.assign(a.strings().begin(), a.strings().end());
      break;
    case A::TENSORS:
      r.kind = K::kTensors;
      for (int k = 0; k < a.tensors_size(); ++k)
        r.tensors.push_back(tensor_from_onnx(*a.mutable_tensors(k), what, L.ctx));
      break;
    case A::GRAPHS:
      r.kind = K::kGraphs;
      for (int k = 0; k < a.graphs_size(); ++k)
        r.graphs.push_back(build_subgraph(L, *a.mutable_graphs(k), sc));
      break;
    default:
      fail(what, " has unsupported type ", A::AttributeType_Name(type),
           type == A::UNDEFINED ? " (no value)" : "");
  }
  return r;
}

void build_graph(Loader& L, onnx::GraphProto& gp, Graph& g, Scope* parent) {
  Scope sc{&g, parent, {}};
  g.name = gp.name();
  g.doc = gp.doc_string();
  const std::string glabel = graph_label(g);
  WRUN_CHECK(gp.sparse_initializer_size() == 0, glabel, " has sparse initializer '",
             gp.sparse_initializer(0).values().name(), "', which wrun does not support");
  auto define = [&](const std::string& name, const std::string& what) {
    WRUN_CHECK(!name.empty(), glabel, ": ", what, " has no name");
    WRUN_CHECK(sc.names.emplace(name, static_cast<int>(g.values.size())).second, glabel,
               ": value name '", name, "' is defined twice (again as ", what, ")");
    return g.add_value(name);
  };

  for (int k = 0; k < gp.initializer_size(); ++k) {
    auto& t = *gp.mutable_initializer(k);
    const int v = define(t.name(), "initializer");
    MappedRaw raw;
    const bool top = parent == nullptr && L.file && k < static_cast<int>(L.ranges.size());
    if (top) raw = {L.file, L.ranges[k]};
    auto c = tensor_from_onnx(t, "initializer '" + t.name() + "'", L.ctx, top ? &raw : nullptr);
    Value& val = g.values[v];
    val.dtype = c->dtype;
    val.shape = SymShape::of(c->shape);
    val.constant = std::move(c);
  }
  std::unordered_set<std::string> input_names;
  for (const auto& vi : gp.input()) {
    WRUN_CHECK(input_names.insert(vi.name()).second, glabel, ": input '", vi.name(),
               "' is listed twice");
    auto it = sc.names.find(vi.name());
    if (it != sc.names.end() && g.values[it->second].is_constant()) {
      // Inputs with initializers (IR < 4 style) are constants here.
      apply_type(L, vi, g.values[it->second]);
      continue;
    }
    const int v = define(vi.name(), "graph input");
    g.values[v].is_input = true;
    g.inputs.push_back(v);
    apply_type(L, vi, g.values[v]);
  }

  g.nodes.resize(gp.node_size());
  for (int k = 0; k < gp.node_size(); ++k) {
    const auto& np = gp.node(k);
    Node& n = g.nodes[k];
    n.name = np.name();
    n.op_type = np.op_type();
    n.domain = np.domain();
    n.doc = np.doc_string();
    for (const auto& out : np.output())
      n.outputs.push_back(out.empty() ? -1 : define(out, "output of " + node_label(n)));
  }
  // Declared types of locally defined values, before subgraphs capture them.
  for (const auto* list : {&gp.output(), &gp.value_info()})
    for (const auto& vi : *list)
      if (auto it = sc.names.find(vi.name()); it != sc.names.end())
        apply_type(L, vi, g.values[it->second]);

  for (int k = 0; k < gp.node_size(); ++k) {
    auto& np = *gp.mutable_node(k);
    const std::string where = node_label(g.nodes[k]);
    if (np.domain().empty() || np.domain() == "ai.onnx")
      check_arity(np, L.model.opset(np.domain()), where);
    std::map<std::string, Attribute, std::less<>> attrs;
    for (auto& a : *np.mutable_attribute()) {
      Attribute at = parse_attr(L, a, where, sc);
      WRUN_CHECK(attrs.emplace(a.name(), std::move(at)).second, where, " has attribute '", a.name(),
                 "' twice");
    }
    Node& n = g.nodes[k];
    n.attrs = std::move(attrs);
    for (int i = 0; i < np.input_size(); ++i) {
      const std::string& in = np.input(i);
      int v = in.empty() ? -1 : sc.resolve(in);
      WRUN_CHECK(in.empty() || v >= 0, where, " input ", i, " '", in, "' is not defined in ",
                 glabel, parent ? " or an enclosing graph" : "");
      n.inputs.push_back(v);
    }
  }

  for (const auto& vi : gp.output()) {
    const bool local = sc.names.count(vi.name()) > 0;
    const int v = sc.resolve(vi.name());
    WRUN_CHECK(v >= 0, glabel, ": output '", vi.name(), "' is not defined");
    if (!local) apply_type(L, vi, g.values[v]);
    g.values[v].is_output = true;
    g.outputs.push_back(v);
  }
}

// Subgraphs read enclosing values implicitly. topo_sort and validate only follow node inputs,
// so the captured values are appended to the owning node's inputs while they run.
int implicit_inputs(const Node& n) {
  int c = 0;
  auto count = [&](const Graph& s) {
    for (const auto& v : s.values) c += v.outer >= 0;
  };
  for (const auto& [k, a] : n.attrs) {
    if (a.g) count(*a.g);
    for (const auto& s : a.graphs) count(*s);
  }
  return c;
}

void add_implicit_inputs(Graph& g) {
  for (auto& n : g.nodes) {
    auto add = [&](Graph& s) {
      add_implicit_inputs(s);
      for (const auto& v : s.values)
        if (v.outer >= 0) n.inputs.push_back(v.outer);
    };
    for (auto& [k, a] : n.attrs) {
      if (a.g) add(*a.g);
      for (auto& s : a.graphs) add(*s);
    }
  }
}

void drop_implicit_inputs(Graph& g) {
  for (auto& n : g.nodes) {
    n.inputs.resize(n.inputs.size() - implicit_inputs(n));
    for (auto& [k, a] : n.attrs) {
      if (a.g) drop_implicit_inputs(*a.g);
      for (auto& s : a.graphs) drop_implicit_inputs(*s);
    }
  }
}

std::shared_ptr<Model> load_mapped(std::shared_ptr<const MappedFile> file, const std::string& dir,
                                   const LoadLimits& limits) {
  WRUN_CHECK(file->size() > 0, "the model is empty (0 bytes)");
  WRUN_CHECK(!limits.max_bytes || file->size() <= limits.max_bytes, "the model has ", file->size(),
             " bytes, above the limit of ", limits.max_bytes);
  StrippedModel sm = strip_initializer_data(file->bytes());
  WRUN_CHECK(sm.bytes.size() <= static_cast<size_t>(INT_MAX),
             "the model's protobuf (without weights) exceeds 2 GB");
  onnx::ModelProto mp;
  WRUN_CHECK(mp.ParseFromArray(sm.bytes.data(), static_cast<int>(sm.bytes.size())),
             "not an ONNX ModelProto (protobuf parsing failed)");
  std::string().swap(sm.bytes);
  WRUN_CHECK(mp.has_graph(), "the model has no graph");
  for (const auto& o : mp.opset_import()) check_text(o.domain(), "opset domain");
  check_texts(mp.graph());
  WRUN_CHECK(mp.graph().initializer_size() == static_cast<int>(sm.ranges.size()),
             "internal error: wire scan found ", sm.ranges.size(), " initializers, protobuf ",
             mp.graph().initializer_size());
  WRUN_CHECK(mp.ir_version() < 3 || mp.opset_import_size() > 0,
             "the model imports no opset (required for IR version ", mp.ir_version(), ")");

  auto model = std::make_shared<Model>();
  Model& m = *model;
  m.ir_version = mp.ir_version();
  m.producer_name = mp.producer_name();
  m.producer_version = mp.producer_version();
  m.domain = mp.domain();
  m.model_version = mp.model_version();
  m.doc = mp.doc_string();
  m.dir = dir;
  for (const auto& o : mp.opset_import()) m.opsets.push_back({o.domain(), o.version()});
  for (const auto& kv : mp.metadata_props()) m.metadata.emplace_back(kv.key(), kv.value());

  Loader L{m, {dir, {}, limits, {}}, std::move(file), std::move(sm.ranges)};
  m.graph = std::make_shared<Graph>();
  build_graph(L, *mp.mutable_graph(), *m.graph, nullptr);
  add_implicit_inputs(*m.graph);
  topo_sort(*m.graph);
  validate(*m.graph);
  drop_implicit_inputs(*m.graph);
  return model;
}

}  // namespace

std::shared_ptr<Model> load_onnx_file(const std::string& path, const LoadLimits& limits) {
  try {
    auto file = MappedFile::open(path, limits.max_bytes);
    size_t slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    return load_mapped(std::move(file), dir, limits);
  } catch (const Error& e) {
    throw Error("'" + path + "': " + e.what());
  }
}

std::shared_ptr<Model> load_onnx_bytes(std::string_view bytes, const std::string& dir,
                                       const LoadLimits& limits) {
  try {
    WRUN_CHECK(!limits.max_bytes || bytes.size() <= limits.max_bytes, "the model has ",
               bytes.size(), " bytes, above the limit of ", limits.max_bytes);
    // One owned copy; constants point into it as they would into a mapped file.
    return load_mapped(MappedFile::copy_of(bytes), dir, limits);
  } catch (const Error& e) {
    throw Error(std::string("ONNX model: ") + e.what());
  }
}

}  // namespace wrun::graph
