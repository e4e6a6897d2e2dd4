// Loads an ONNX ModelProto into wrun's IR, and writes the IR back as a valid ModelProto.
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "graph/ir.h"

namespace wrun::graph {

struct LoadLimits {
  size_t max_bytes = 0;  // refuse files/tensors above this (0: no limit)
};

// Loads a model file. The file is memory-mapped; external-data tensors point into their own
// mapped files (paths relative to the model's folder, never escaping it). Embedded raw_data is
// referenced in place in the mapped model file (located by a wire-format scan), so each weight
// exists in memory once. Nodes come out topologically sorted and validated.
std::shared_ptr<Model> load_onnx_file(const std::string& path, const LoadLimits& limits = {});
// Loads from bytes in memory (external data resolved against `dir`, if non-empty).
std::shared_ptr<Model> load_onnx_bytes(std::string_view bytes, const std::string& dir = {},
                                       const LoadLimits& limits = {});

// Serialises the IR as a ModelProto (weights embedded as raw_data).
std::string save_onnx_bytes(const Model& m);
void save_onnx_file(const Model& m, const std::string& path);

}  // namespace wrun::graph
