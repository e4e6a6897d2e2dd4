// NumPy .npy files: reading (format 1.0/2.0/3.0, little-endian, C order) and writing (1.0, or
// 2.0 when the header needs it). Used for reference inputs/outputs of end-to-end tests and the
// CLI. Every malformed file gives a one-line wrun::Error naming the file and the problem.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "graph/dtype.h"
#include "graph/shape.h"
#include "graph/tensor.h"

namespace wrun {

struct NpyArray {
  DType dtype = DType::kUndefined;
  Shape shape;
  std::vector<uint8_t> data;  // contiguous, C order, little-endian

  TensorView view() { return make_view(data.data(), dtype, shape, data.size()); }
};

NpyArray read_npy(const std::string& path);
// Reads through t's strides, so strided views are written in logical C order.
void write_npy(const std::string& path, const TensorView& t);

}  // namespace wrun
