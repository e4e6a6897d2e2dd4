// Widens a float16 model to float32 at load (ModelOptions::widen_fp16): exporters' fp16 models
// (Optimum --dtype fp16, transformers.js *_fp16.onnx) then run on the float32 kernels, and callers
// feed and read float32.
#pragma once
#include "graph/ir.h"

namespace wrun::graph {

struct WidenReport {
  int constants = 0;    // float16 initializers and Constant/ConstantOfShape/... tensors widened
  int values = 0;       // float16 value types (inputs, outputs, declared, subgraph values) widened
  int dtype_attrs = 0;  // Cast(to=FLOAT16), EyeLike/Random*(dtype=FLOAT16) etc. retargeted
  bool changed() const { return constants || values || dtype_attrs; }
};

// Every float16 tensor becomes an owned float32 copy (constants shared by several values stay
// shared; pages of the mapped file that only held float16 weights are given back), every
// float16 type becomes float32, in subgraphs too; dtype attributes naming FLOAT16 name FLOAT.
// CastLike follows its (widened) target. A model without float16 is left as it is. Fails, in
// one line naming the node, on what it cannot widen: a node outside the ONNX domains that
// takes, makes or holds float16.
WidenReport widen_fp16(Model& m);

}  // namespace wrun::graph
