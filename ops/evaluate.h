// Runs one node on known inputs with a chosen kernel, allocating its outputs. Used by constant
// folding and by op tests (which compare every kernel of an op against kernels[0]).
#pragma once
#include <memory>
#include <span>
#include <vector>

#include "graph/ir.h"
#include "ops/kernel.h"

namespace wrun::ops {

struct EvalOptions {
  int64_t opset = 18;
  int kernel_index = 0;  // 0 = reference
  pthreadpool_t pool = nullptr;
};

// Inputs may contain nullptr for absent optional inputs. Returns one constant per node output.
// Fails (wrun::Error) if the op is unknown, the kernel does not support the node, or inference
// or the kernel fails.
std::vector<std::shared_ptr<graph::Constant>> evaluate(
    const graph::Node& node, std::span<const graph::Constant* const> inputs,
    const EvalOptions& opts = {});

// Number of kernels registered for node's op at the given opset (0 if unknown).
int kernel_count(const graph::Node& node, int64_t opset);

}  // namespace wrun::ops
