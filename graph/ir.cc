#include "graph/ir.h"

#include <cstdlib>
#include <cstring>
#include <unordered_map>

#include "graph/error.h"

namespace wrun::graph {

std::shared_ptr<Constant> Constant::copy_of(DType dt, const Shape& s, const void* bytes) {
  auto c = allocate(dt, s);
  if (c->nbytes) std::memcpy(c->mutable_data(), bytes, c->nbytes);
  return c;
}

std::shared_ptr<Constant> Constant::allocate(DType dt, const Shape& s) {
  auto c = std::make_shared<Constant>();
  c->dtype = dt;
  c->shape = s;
  c->nbytes = checked_bytes(s, dtype_size(dt));
  // 64-byte aligned so that computed constants can be read with vector loads.
  size_t alloc = (c->nbytes + 63) / 64 * 64 + 64;
  void* p = std::aligned_alloc(64, alloc);
  WRUN_CHECK(p, "out of memory allocating ", c->nbytes, " bytes for a constant");
  std::memset(p, 0, alloc);
  c->owner = std::shared_ptr<const void>(p, [](const void* q) { std::free(const_cast<void*>(q)); });
  c->data = p;
  c->source = Source::kComputed;
  return c;
}

int64_t Node::attr_i(std::string_view key, int64_t def) const {
  const Attribute* a = attr(key);
  return a ? a->i : def;
}
float Node::attr_f(std::string_view key, float def) const {
  const Attribute* a = attr(key);
  return a ? a->f : def;
}
std::string_view Node::attr_s(std::string_view key, std::string_view def) const {
  const Attribute* a = attr(key);
  return a ? std::string_view(a->s) : def;
}
const std::vector<int64_t>* Node::attr_ints(std::string_view key) const {
  const Attribute* a = attr(key);
  return a ? &a->ints : nullptr;
}

int Graph::find_value(std::string_view n) const {
  for (size_t i = 0; i < values.size(); ++i)
    if (values[i].name == n) return static_cast<int>(i);
  return -1;
}

int Graph::add_value(std::string n) {
  values.emplace_back();
  values.back().name = std::move(n);
  return static_cast<int>(values.size()) - 1;
}

int64_t Model::opset(std::string_view d) const {
  if (d == "ai.onnx") d = "";
  for (const auto& o : opsets)
    if (o.domain == d || (d.empty() && o.domain == "ai.onnx")) return o.version;
  return 0;
}

int32_t Model::symbol(std::string_view n) {
  for (size_t i = 0; i < symbols.size(); ++i)
    if (symbols[i] == n) return static_cast<int32_t>(i);
  symbols.emplace_back(n);
  return static_cast<int32_t>(symbols.size()) - 1;
}

std::string Model::dim_str(const Dim& d) const {
  if (d.is_known()) return std::to_string(d.value);
  if (d.sym < static_cast<int32_t>(symbols.size())) return symbols[d.sym];
  return "?";
}

std::string Model::shape_str(const SymShape& s) const {
  if (s.rank < 0) return "[?]";
  std::string r = "[";
  for (int i = 0; i < s.rank; ++i) {
    if (i) r += ",";
    r += dim_str(s.d[i]);
  }
  return r + "]";
}

void relink(Graph& g) {
  for (auto& v : g.values) v.producer = -1;
  for (size_t n = 0; n < g.nodes.size(); ++n)
    for (int o : g.nodes[n].outputs)
      if (o >= 0) g.values[o].producer = static_cast<int>(n);
}

static std::string node_label(const Node& n, size_t idx) {
  return "node " + std::to_string(idx) + " '" + n.name + "' (" +
         (n.domain.empty() ? "" : n.domain + ".") + n.op_type + ")";
}

void topo_sort(Graph& g) {
  const size_t nv = g.values.size(), nn = g.nodes.size();
  std::vector<int> producer(nv, -1);
  for (size_t n = 0; n < nn; ++n)
    for (int o : g.nodes[n].outputs) {
      if (o < 0) continue;
      WRUN_CHECK(o < static_cast<int>(nv), node_label(g.nodes[n], n),
                 ": output index out of range");
      WRUN_CHECK(producer[o] < 0, "value '", g.values[o].name,
                 "' is produced by two nodes: ", node_label(g.nodes[producer[o]], producer[o]),
                 " and ", node_label(g.nodes[n], n));
      WRUN_CHECK(!g.values[o].is_constant() && !g.values[o].is_input && g.values[o].outer < 0,
                 node_label(g.nodes[n], n), " writes '", g.values[o].name,
                 "', which is a graph input or initializer");
      producer[o] = static_cast<int>(n);
    }
  // Kahn's algorithm with a stable order: nodes keep their file order where possible.
  std::vector<int> pending(nn, 0);
  std::vector<std::vector<int>> users(nn);
  for (size_t n = 0; n < nn; ++n) {
    for (int in : g.nodes[n].inputs) {
      if (in < 0) continue;
      WRUN_CHECK(in < static_cast<int>(nv), node_label(g.nodes[n], n),
                 ": input index out of range");
      if (producer[in] >= 0) {
        ++pending[n];
        users[producer[in]].push_back(static_cast<int>(n));
      }
    }
  }
  std::vector<int> order, ready;
  order.reserve(nn);
  for (size_t n = nn; n-- > 0;)
    if (!pending[n]) ready.push_back(static_cast<int>(n));
  while (!ready.empty()) {
    int n = ready.back();
    ready.pop_back();
    order.push_back(n);
    for (size_t k = users[n].size(); k-- > 0;) {
      int u = users[n][k];
      if (--pending[u] == 0) ready.push_back(u);
    }
  }
  if (order.size() != nn) {
    for (size_t n = 0; n < nn; ++n)
      if (pending[n]) fail("graph has a cycle through ", node_label(g.nodes[n], n));
  }
  std::vector<Node> sorted;
  sorted.reserve(nn);
  for (int n : order) sorted.push_back(std::move(g.nodes[n]));
  g.nodes = std::move(sorted);
  relink(g);
  for (auto& n : g.nodes)
    for (auto& [k, a] : n.attrs) {
      if (a.g) topo_sort(*a.g);
      for (auto& sg : a.graphs) topo_sort(*sg);
    }
}

void validate(const Graph& g) {
  const int nv = static_cast<int>(g.values.size());
  std::vector<char> defined(nv, 0);
  for (int i = 0; i < nv; ++i) {
    const Value& v = g.values[i];
    if (v.is_input || v.is_constant() || v.outer >= 0) defined[i] = 1;
  }
  std::unordered_map<std::string_view, int> names;
  for (int i = 0; i < nv; ++i) {
    if (g.values[i].name.empty()) continue;
    auto [it, fresh] = names.emplace(g.values[i].name, i);
    WRUN_CHECK(fresh, "value name '", g.values[i].name, "' is defined twice");
  }
  for (size_t n = 0; n < g.nodes.size(); ++n) {
    const Node& node = g.nodes[n];
    for (size_t k = 0; k < node.inputs.size(); ++k) {
      int in = node.inputs[k];
      if (in < 0) continue;
      WRUN_CHECK(in < nv, node_label(node, n), " input ", k, ": value index out of range");
      WRUN_CHECK(defined[in], node_label(node, n), " input ", k, " '", g.values[in].name,
                 "' is not defined before use (no producer, initializer or graph input)");
    }
    for (int o : node.outputs)
      if (o >= 0) defined[o] = 1;
    for (const auto& [key, a] : node.attrs) {
      if (a.g) validate(*a.g);
      for (const auto& sg : a.graphs) validate(*sg);
    }
  }
  for (int o : g.outputs) {
    WRUN_CHECK(o >= 0 && o < nv, "graph output index out of range");
    WRUN_CHECK(defined[o], "graph output '", g.values[o].name, "' is never produced");
  }
}

}  // namespace wrun::graph
