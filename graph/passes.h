// Structural graph passes that need no kernels. Passes that evaluate nodes (constant folding)
// live in runtime/optimize.h, which can call into ops/.
#pragma once
#include <memory>

#include "graph/ir.h"

namespace wrun::graph {

// Removes Identity nodes, and Dropout nodes in inference form, by rewiring their consumers to
// the input. Keeps them where the output is a graph output. Returns the number removed.
int remove_identities(Graph& g);
// Removes nodes none of whose outputs reach a graph output, and values no longer used.
int eliminate_dead_code(Graph& g);
// Number of nodes using each value (inputs of nodes, incl. outer-scope uses from subgraphs).
std::vector<int> use_counts(const Graph& g);

}  // namespace wrun::graph

namespace wrun::graph {

// A deep copy of a graph: subgraphs are copied too (constants are shared, being immutable).
std::shared_ptr<Graph> clone_graph(const Graph& g, Graph* parent = nullptr);
// Replaces each If whose condition is a constant by the nodes of the branch it would take
// (Optimum's merged decoders, specialised for use_cache_branch). Returns the number inlined.
int inline_constant_ifs(Graph& g);

}  // namespace wrun::graph
