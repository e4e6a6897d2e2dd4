// The contract between the runtime and every op implementation.
//
// An op has one schema (shape/dtype inference) and one or more kernels. kernels[0] is always the
// portable reference kernel: the oracle every fast path is tested against, and the one used when
// the reference path is forced.
//
// Rules for infer() and run(): they are called for every step of every run, so they must not
// allocate heap memory and must not keep state between calls (use prepare() for that).
#pragma once
#include <pthreadpool.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "arch/cpu_features.h"
#include "graph/ir.h"
#include "graph/tensor.h"

namespace wrun::ops {

// The newest opset whose semantics wrun's schemas were checked against. Rows end here unless
// the op changed; models importing a newer opset find no kernel and say so.
inline constexpr int kLatestOpset = 23;

// Shape and dtype inference. Works on symbolic shapes at load time and on fully known shapes at
// run time, so an op has one inference function for both.
class InferContext {
 public:
  InferContext(const graph::Node& node, int64_t opset, std::span<const DType> in_dtypes,
               std::span<const SymShape> in_shapes, std::span<const TensorView* const> in_values,
               std::span<DType> out_dtypes, std::span<SymShape> out_shapes, graph::Model* model)
      : node_(node),
        opset_(opset),
        in_dtypes_(in_dtypes),
        in_shapes_(in_shapes),
        in_values_(in_values),
        out_dtypes_(out_dtypes),
        out_shapes_(out_shapes),
        model_(model) {}

  const graph::Node& node() const { return node_; }
  int64_t opset() const { return opset_; }
  int num_inputs() const { return static_cast<int>(in_dtypes_.size()); }
  int num_outputs() const { return static_cast<int>(out_dtypes_.size()); }
  bool has_input(int i) const { return i < num_inputs() && in_dtypes_[i] != DType::kUndefined; }
  DType input_dtype(int i) const { return in_dtypes_[i]; }
  const SymShape& input_shape(int i) const { return in_shapes_[i]; }
  // The input's contents when known (a constant, or any input at run time); else nullptr.
  const TensorView* input_value(int i) const {
    return i < static_cast<int>(in_values_.size()) ? in_values_[i] : nullptr;
  }
  void set_output(int i, DType dt, const SymShape& s) {
    if (i >= num_outputs()) return;  // optional output not requested
    out_dtypes_[i] = dt;
    out_shapes_[i] = s;
  }
  // A fresh symbolic dimension, for extents inference cannot know (data-dependent).
  Dim unknown_dim();
  // Error naming the node: "Reshape 'name': <msg>".
  template <class... A>
  [[noreturn]] void fail(const A&... a) const {
    ::wrun::fail(node_.op_type, " '", node_.name, "': ", a...);
  }

 private:
  const graph::Node& node_;
  int64_t opset_;
  std::span<const DType> in_dtypes_;
  std::span<const SymShape> in_shapes_;
  std::span<const TensorView* const> in_values_;
  std::span<DType> out_dtypes_;
  std::span<SymShape> out_shapes_;
  graph::Model* model_;
};

// Per-node state a kernel builds once (packed weights, parsed attributes).
struct KernelState {
  virtual ~KernelState() = default;
};

struct SupportQuery {
  const graph::Node& node;
  int64_t opset;
  std::span<const DType> in_dtypes;
  std::span<const SymShape> in_shapes;
  std::span<const TensorView* const> in_values;  // constants known at plan time
  const arch::CpuFeatures& cpu;
};

struct PrepareContext {
  const graph::Node& node;
  int64_t opset;
  std::span<const TensorView> inputs;   // shapes at their bounds; data set only for constants
  std::span<const TensorView> outputs;  // shapes at their bounds; no data
  const arch::CpuFeatures& cpu;
  // Filled by prepare():
  std::unique_ptr<KernelState> state;
  size_t scratch_bytes = 0;  // must cover every shape up to the bounds
};

struct RunContext {
  const graph::Node& node;
  int64_t opset;
  const KernelState* state;
  std::span<const TensorView> inputs;  // absent optional inputs have dtype kUndefined
  std::span<TensorView> outputs;       // shapes set; contiguous unless the step says otherwise
  void* scratch;
  size_t scratch_bytes;
  pthreadpool_t pool;  // nullptr means run on the calling thread

  const TensorView& in(int i) const { return inputs[i]; }
  bool has_in(int i) const { return i < static_cast<int>(inputs.size()) && inputs[i].present(); }
  TensorView& out(int i) { return outputs[i]; }
  bool has_out(int i) const {
    return i < static_cast<int>(outputs.size()) && outputs[i].data != nullptr;
  }
  template <class S>
  const S& state_as() const {
    return *static_cast<const S*>(state);
  }
};

enum KernelFlags : uint32_t {
  kNone = 0,
  kStridedInputs = 1u << 0,  // reads inputs through their strides (else they are made contiguous)
  kInPlace0 = 1u << 1,       // output 0 may share input 0's memory (elementwise)
};

struct KernelImpl {
  const char* name;  // "reference", "xnnpack-f32-gemm", ...
  // Empty string if this kernel handles the node; else why not (dtype, attribute, ISA).
  std::string (*supports)(const SupportQuery&);  // nullptr: supports everything the op does
  void (*prepare)(PrepareContext&);              // nullptr: no state, no scratch
  void (*run)(RunContext&);
  uint32_t flags = kNone;
};

struct OpSchema {
  std::string_view op;
  std::string_view domain;  // "" for ai.onnx
  int opset_min;
  int opset_max;
  void (*infer)(InferContext&);
  std::span<const KernelImpl> kernels;  // kernels[0] is the reference kernel
  // Known gaps of the reference kernel (attributes, dtypes), shown by `wrun info` and tests.
  std::string_view notes = {};
  // Output i aliases input 0 with a new shape (Reshape, Squeeze, ...): no copy needed.
  bool alias_output0 = false;
};

}  // namespace wrun::ops
