// Load-time passes that need the op registry: symbolic shape inference and constant folding.
#pragma once
#include <string>
#include <vector>

#include "graph/ir.h"

namespace wrun::runtime {

struct InferReport {
  std::vector<std::string> unsupported;  // "domain.Op (opset N)" of ops with no schema, unique
};

// Infers dtypes and symbolic shapes of every value (recursing into subgraphs), keeping declared
// shapes where inference knows less. Ops without a schema leave their outputs as declared.
InferReport infer_shapes(graph::Model& m, graph::Graph& g);

// Folds nodes whose inputs are all constant (and Shape/Size of statically known shapes) into
// constants, removes identities and dead code. Returns the number of nodes folded.
int fold_constants(graph::Model& m, graph::Graph& g);

// Ops with no registered schema at the model's opsets, incl. subgraphs: "domain.Op (opset N)".
std::vector<std::string> unsupported_ops(const graph::Model& m);

// Runs all load-time passes in order.
void optimize(graph::Model& m);

}  // namespace wrun::runtime
