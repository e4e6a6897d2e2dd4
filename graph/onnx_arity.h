// How many inputs and outputs a node of a standard ONNX operator must list (from the ONNX
// schemas), so malformed nodes are refused at load instead of reaching op inference.
#pragma once
#include <cstdint>
#include <string_view>

namespace wrun::graph {

struct OpArity {
  std::string_view op;
  int since;          // opset version this row starts at
  int min_inputs;     // inputs the node must list (optional ones may be "")
  uint32_t required;  // bit i: input i must be present (not "")
  int min_outputs;    // outputs the node must list
};

// The row for a default-domain op at `opset`, or nullptr if the op is not a standard one.
const OpArity* onnx_arity(std::string_view op, int64_t opset);

}  // namespace wrun::graph
