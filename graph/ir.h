// wrun's graph IR: a model owns a graph of nodes and values. Values are referenced by index.
// A model is immutable after load and shared by sessions.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "graph/dtype.h"
#include "graph/shape.h"
#include "graph/tensor.h"

namespace wrun::graph {

struct Graph;

// Constant tensor data. `data` points into memory that `owner` keeps alive: a memory-mapped
// model file, a protobuf string, or a buffer made by a pass. Never assume it is aligned.
struct Constant {
  DType dtype = DType::kUndefined;
  Shape shape;
  const void* data = nullptr;
  size_t nbytes = 0;
  std::shared_ptr<const void> owner;
  // Where the bytes came from when loaded from an ONNX file (for writing back and reports).
  enum class Source : uint8_t { kEmbedded, kExternal, kComputed } source = Source::kComputed;

  TensorView view() const { return make_view(const_cast<void*>(data), dtype, shape, nbytes); }
  // Makes a constant that owns a copy of the given bytes.
  static std::shared_ptr<Constant> copy_of(DType dt, const Shape& s, const void* bytes);
  // Makes a constant with zeroed storage of the right size, to be filled by the caller.
  static std::shared_ptr<Constant> allocate(DType dt, const Shape& s);
  void* mutable_data() const { return const_cast<void*>(data); }
};

// Quantization parameters: per-tensor when scale has one entry, else per-axis along `axis`.
struct QuantParams {
  std::vector<float> scale;
  std::vector<int32_t> zero_point;
  int axis = -1;
  bool empty() const { return scale.empty(); }
};

enum class Layout : uint8_t { kPlain = 0, kPacked = 1 };

struct Attribute {
  enum class Kind : uint8_t {
    kFloat,
    kInt,
    kString,
    kTensor,
    kGraph,
    kFloats,
    kInts,
    kStrings,
    kTensors,
    kGraphs
  };
  Kind kind = Kind::kInt;
  float f = 0;
  int64_t i = 0;
  std::string s;
  std::shared_ptr<Constant> t;
  std::shared_ptr<Graph> g;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
  std::vector<std::shared_ptr<Constant>> tensors;
  std::vector<std::shared_ptr<Graph>> graphs;
};

struct Value {
  std::string name;
  DType dtype = DType::kUndefined;
  SymShape shape;                      // as declared or inferred
  int producer = -1;                   // node index, -1 for inputs, constants and outer refs
  std::shared_ptr<Constant> constant;  // set for initializers and folded values
  int outer = -1;  // in a subgraph: index of the captured value in the parent graph
  QuantParams quant;
  Layout layout = Layout::kPlain;
  bool is_input = false;
  bool is_output = false;
  bool is_constant() const { return constant != nullptr; }
};

struct Node {
  std::string name;
  std::string op_type;
  std::string domain;        // "" is the default ONNX domain
  std::vector<int> inputs;   // value indices; -1 for an absent optional input
  std::vector<int> outputs;  // value indices; -1 for an unused optional output
  std::map<std::string, Attribute, std::less<>> attrs;
  std::string doc;

  const Attribute* attr(std::string_view key) const {
    auto it = attrs.find(key);
    return it == attrs.end() ? nullptr : &it->second;
  }
  int64_t attr_i(std::string_view key, int64_t def) const;
  float attr_f(std::string_view key, float def) const;
  std::string_view attr_s(std::string_view key, std::string_view def) const;
  // Ints attribute, or nullptr if absent.
  const std::vector<int64_t>* attr_ints(std::string_view key) const;
  int num_inputs() const { return static_cast<int>(inputs.size()); }
  bool has_input(int i) const { return i < num_inputs() && inputs[i] >= 0; }
};

struct Graph {
  std::string name;
  std::string doc;
  std::vector<Value> values;
  std::vector<Node> nodes;  // in topological order after load
  std::vector<int> inputs;  // graph inputs (not initializers)
  std::vector<int> outputs;
  Graph* parent = nullptr;  // for subgraphs

  int find_value(std::string_view name) const;  // -1 if absent (linear; use at load time only)
  int add_value(std::string name);
  const Value& value(int i) const { return values[i]; }
  Value& value(int i) { return values[i]; }
};

struct OpsetImport {
  std::string domain;
  int64_t version = 0;
};

struct Model {
  int64_t ir_version = 0;
  std::string producer_name, producer_version, domain, doc;
  int64_t model_version = 0;
  std::vector<OpsetImport> opsets;
  std::vector<std::pair<std::string, std::string>> metadata;
  std::vector<std::string> symbols;  // names of symbolic dims (Dim::sym indexes this)
  std::shared_ptr<Graph> graph;
  std::string dir;  // folder of the model file, for external data

  int64_t opset(std::string_view domain) const;  // 0 if not imported ("ai.onnx" == "")
  int32_t symbol(std::string_view name);         // finds or adds
  std::string dim_str(const Dim& d) const;
  std::string shape_str(const SymShape& s) const;
};

// Reorders g.nodes topologically (recursively for subgraphs); fails naming a node on a cycle.
void topo_sort(Graph& g);
// Checks structural validity: every input defined before use, value indices in range, names
// unique. Errors name the node, its op and the input index.
void validate(const Graph& g);
// Sets Value::producer from the nodes.
void relink(Graph& g);

}  // namespace wrun::graph
