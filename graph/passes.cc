#include "graph/passes.h"

#include <functional>
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
