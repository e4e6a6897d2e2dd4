#include "graph/passes.h"

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

namespace wrun::graph {

// Marks values of `g` used from nested subgraphs of node n (outer references).
static void mark_outer_uses(const Graph& sub, std::vector<int>& counts) {
  for (const auto& v : sub.values)
    if (v.outer >= 0) ++counts[v.outer];
}

std::vector<int> use_counts(const Graph& g) {
  std::vector<int> counts(g.values.size(), 0);
  for (const auto& n : g.nodes) {
    for (int in : n.inputs)
      if (in >= 0) ++counts[in];
    for (const auto& [k, a] : n.attrs) {
      if (a.g) mark_outer_uses(*a.g, counts);
      for (const auto& sg : a.graphs) mark_outer_uses(*sg, counts);
    }
  }
  for (int o : g.outputs) ++counts[o];
  return counts;
}

// Replaces every use of value `from` by `to` in g's nodes and in subgraphs' outer references.
static void replace_uses(Graph& g, int from, int to) {
  for (auto& n : g.nodes) {
    for (int& in : n.inputs)
      if (in == from) in = to;
    for (auto& [k, a] : n.attrs) {
      auto fix = [&](Graph& sub) {
        for (auto& v : sub.values)
          if (v.outer == from) v.outer = to;
      };
      if (a.g) fix(*a.g);
      for (auto& sg : a.graphs) fix(*sg);
    }
  }
}

int remove_identities(Graph& g) {
  int removed = 0;
  std::vector<char> is_output(g.values.size(), 0);
  for (int o : g.outputs) is_output[o] = 1;
  std::vector<Node> kept;
  kept.reserve(g.nodes.size());
  for (auto& n : g.nodes) {
    bool identity = n.domain.empty() && (n.op_type == "Identity" || n.op_type == "Dropout");
    if (identity && n.op_type == "Dropout") {
      // Dropout is the identity when training_mode is absent or false and no mask is used.
      bool mask_used = n.outputs.size() > 1 && n.outputs[1] >= 0;
      bool training_input = n.inputs.size() > 2 && n.inputs[2] >= 0;
      if (mask_used || training_input) identity = false;
    }
    if (identity && !n.inputs.empty() && n.inputs[0] >= 0 && n.outputs[0] >= 0 &&
        !is_output[n.outputs[0]]) {
      replace_uses(g, n.outputs[0], n.inputs[0]);
      ++removed;
      continue;
    }
    kept.push_back(std::move(n));
  }
  g.nodes = std::move(kept);
  relink(g);
  return removed;
}

int eliminate_dead_code(Graph& g) {
  std::vector<char> live(g.values.size(), 0);
  for (int o : g.outputs) live[o] = 1;
  std::vector<char> keep(g.nodes.size(), 0);
  for (size_t i = g.nodes.size(); i-- > 0;) {
    const Node& n = g.nodes[i];
    bool needed = false;
    for (int o : n.outputs)
      if (o >= 0 && live[o]) needed = true;
    if (!needed) continue;
    keep[i] = 1;
    for (int in : n.inputs)
      if (in >= 0) live[in] = 1;
    for (const auto& [k, a] : n.attrs) {
      auto mark = [&](const Graph& sub) {
        for (const auto& v : sub.values)
          if (v.outer >= 0) live[v.outer] = 1;
      };
      if (a.g) mark(*a.g);
      for (const auto& sg : a.graphs) mark(*sg);
    }
  }
  int removed = 0;
  std::vector<Node> kept;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (keep[i])
      kept.push_back(std::move(g.nodes[i]));
    else
      ++removed;
  }
  g.nodes = std::move(kept);
  // Drop constants nobody reads so they do not count as weights.
  for (size_t v = 0; v < g.values.size(); ++v)
    if (!live[v] && g.values[v].is_constant() && !g.values[v].is_input)
      g.values[v].constant.reset();
  relink(g);
  return removed;
}

}  // namespace wrun::graph

namespace wrun::graph {

std::shared_ptr<Graph> clone_graph(const Graph& g, Graph* parent) {
  auto c = std::make_shared<Graph>(g);
  c->parent = parent;
  for (auto& n : c->nodes)
    for (auto& [k, a] : n.attrs) {
      if (a.g) a.g = clone_graph(*a.g, c.get());
      for (auto& sg : a.graphs) sg = clone_graph(*sg, c.get());
    }
  return c;
}

namespace {

// Re-points a subgraph's outer references after its enclosing graph's values were renumbered.
void remap_outer(Graph& sub, const std::vector<int>& remap, Graph* new_parent) {
  sub.parent = new_parent;
  for (auto& v : sub.values)
    if (v.outer >= 0) {
      WRUN_CHECK(v.outer < static_cast<int>(remap.size()) && remap[v.outer] >= 0,
                 "inlining If: an outer reference of '", v.name, "' has no value");
      v.outer = remap[v.outer];
    }
}

bool constant_true(const Constant& c) {
  WRUN_CHECK(c.nbytes > 0 && c.data, "If condition is an empty constant");
  const size_t es = dtype_size(c.dtype);
  const unsigned char* p = static_cast<const unsigned char*>(c.data);
  for (size_t i = 0; i < es; ++i)
    if (p[i]) return true;
  return false;
}

std::string unique_name(const Graph& g, std::vector<std::string>& taken, std::string name) {
  (void)g;
  std::string n = name;
  for (int k = 1; std::find(taken.begin(), taken.end(), n) != taken.end(); ++k)
    n = name + "_" + std::to_string(k);
  taken.push_back(n);
  return n;
}

}  // namespace

int inline_constant_ifs(Graph& g) {
  int inlined = 0;
  std::vector<Node> out;
  out.reserve(g.nodes.size());
  std::vector<std::string> taken;
  for (const auto& v : g.values) taken.push_back(v.name);
  for (auto& n : g.nodes) {
    const bool is_if = n.domain.empty() && n.op_type == "If" && !n.inputs.empty() &&
                       n.inputs[0] >= 0 && g.values[n.inputs[0]].constant;
    if (!is_if) {
      out.push_back(std::move(n));
      continue;
    }
    const bool cond = constant_true(*g.values[n.inputs[0]].constant);
    const Attribute* br = n.attr(cond ? "then_branch" : "else_branch");
    WRUN_CHECK(br && br->g, "If '", n.name, "': missing branch");
    const Graph& b = *br->g;
    WRUN_CHECK(b.outputs.size() >= n.outputs.size(), "If '", n.name, "': branch has ",
               b.outputs.size(), " outputs for ", n.outputs.size());
    const std::string prefix = (n.name.empty() ? std::string("if") : n.name) + "/";
    std::vector<int> remap(b.values.size(), -1);
    std::vector<char> produced(b.values.size(), 0);
    for (const auto& bn : b.nodes)
      for (int o : bn.outputs)
        if (o >= 0) produced[o] = 1;
    // Branch outputs computed inside the branch are written straight into the If's outputs.
    std::vector<std::pair<int, int>> copies;  // (branch value, If output) needing an Identity
    for (size_t o = 0; o < n.outputs.size(); ++o) {
      if (n.outputs[o] < 0) continue;
      const int bo = b.outputs[o];
      if (produced[bo] && remap[bo] < 0)
        remap[bo] = n.outputs[o];
      else
        copies.emplace_back(bo, n.outputs[o]);
    }
    for (size_t v = 0; v < b.values.size(); ++v) {
      if (remap[v] >= 0) continue;
      const Value& bv = b.values[v];
      if (bv.outer >= 0) {
        remap[v] = bv.outer;
        continue;
      }
      if (!bv.constant && !produced[v]) continue;  // unused declared input of the branch
      const int nv = g.add_value(unique_name(g, taken, prefix + bv.name));
      Value& val = g.values[nv];
      val.dtype = bv.dtype;
      val.shape = bv.shape;
      val.constant = bv.constant;
      val.quant = bv.quant;
      remap[v] = nv;
    }
    for (const auto& bn : b.nodes) {
      Node c = bn;
      c.name = prefix + bn.name;
      for (int& i : c.inputs)
        if (i >= 0) i = remap[i];
      for (int& o : c.outputs)
        if (o >= 0) o = remap[o];
      for (auto& [k, a] : c.attrs) {
        if (a.g) {
          a.g = clone_graph(*a.g, &g);
          remap_outer(*a.g, remap, &g);
        }
        for (auto& sg : a.graphs) {
          sg = clone_graph(*sg, &g);
          remap_outer(*sg, remap, &g);
        }
      }
      out.push_back(std::move(c));
    }
    for (const auto& [bo, target] : copies) {
      WRUN_CHECK(remap[bo] >= 0, "If '", n.name, "': branch output '", b.values[bo].name,
                 "' has no value");
      Node id;
      id.op_type = "Identity";
      id.name = prefix + "output_" + std::to_string(target);
      id.inputs = {remap[bo]};
      id.outputs = {target};
      out.push_back(std::move(id));
    }
    ++inlined;
  }
  g.nodes = std::move(out);
  relink(g);
  if (inlined) {
    topo_sort(g);
    validate(g);
  }
  return inlined;
}

}  // namespace wrun::graph
