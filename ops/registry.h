// The registry: one explicit table of every op wrun implements. Each op family contributes its
// rows through a function listed in registry.cc.
#pragma once
#include <span>
#include <string_view>
#include <vector>

#include "ops/kernel.h"

namespace wrun::ops {

class Registry {
 public:
  static const Registry& builtin();
  // The schema for (domain, op) valid at `opset`, or nullptr.
  const OpSchema* find(std::string_view domain, std::string_view op, int64_t opset) const;
  // True if any opset of this op is registered (for error messages).
  bool knows(std::string_view domain, std::string_view op) const;
  std::span<const OpSchema> all() const { return schemas_; }

 private:
  std::vector<OpSchema> schemas_;
};

// Family tables (one per folder under ops/).
std::span<const OpSchema> elementwise_schemas();
std::span<const OpSchema> linalg_schemas();         // MatMul, Gemm
std::span<const OpSchema> conv_schemas();           // Conv
std::span<const OpSchema> normalization_schemas();  // Softmax, LogSoftmax, LayerNormalization
std::span<const OpSchema> reduce_schemas();         // ReduceMean/Sum/Max
std::span<const OpSchema> tensor_schemas();         // shape and data movement ops
std::span<const OpSchema> control_schemas();        // If, Loop (run by the executor), Scan (parsed)
std::span<const OpSchema> pool_schemas();       // MaxPool, AveragePool, Global*Pool, ConvTranspose
std::span<const OpSchema> rnn_schemas();        // LSTM, GRU, RNN
std::span<const OpSchema> quant_schemas();      // QuantizeLinear, DequantizeLinear, *Integer ops
std::span<const OpSchema> selection_schemas();  // ArgMax, ArgMin, TopK, Hardmax
std::span<const OpSchema> resize_schemas();     // Resize, Upsample
std::span<const OpSchema> einsum_schemas();     // Einsum

}  // namespace wrun::ops
