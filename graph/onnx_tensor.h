// Conversion between onnx::TensorProto and Constant (internal to the loader and writer).
#pragma once
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "graph/ir.h"
#include "graph/mapped_file.h"
#include "graph/onnx_loader.h"
#include "graph/wire_scan.h"
#include "onnx/onnx.pb.h"

namespace wrun::graph {

// State shared by all tensors of one load: where external files live and which are mapped.
struct TensorContext {
  std::string dir;       // model folder as given ("" when loaded from memory without one)
  std::string real_dir;  // its realpath, computed on first use
  LoadLimits limits;
  std::map<std::string, std::shared_ptr<const MappedFile>> files;  // by realpath
};

// raw_data located in the mapped model file by strip_initializer_data().
struct MappedRaw {
  std::shared_ptr<const MappedFile> file;
  RawRange range;
};

// Decodes a tensor. `what` names it in errors ("initializer 'w'"). raw_data still in the proto
// is moved out of it (no copy); `raw`, if given and present, is used instead of raw_data.
std::shared_ptr<Constant> tensor_from_onnx(onnx::TensorProto& t, std::string_view what,
                                           TensorContext& ctx, const MappedRaw* raw = nullptr);
// Encodes a constant with its bytes as raw_data.
void tensor_to_onnx(const Constant& c, onnx::TensorProto& t);

}  // namespace wrun::graph
