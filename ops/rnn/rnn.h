// LSTM, GRU and RNN (opsets 7 and 14): the shared configuration, activation functions and entry
// points listed in rnn_table.cc.
#pragma once
#include <cmath>
#include <cstdint>
#include <span>
#include <string>

#include "ops/kernel.h"

namespace wrun::ops {
// The family's rows (also to be declared in ops/registry.h and listed in ops/registry.cc).
std::span<const OpSchema> rnn_schemas();
}  // namespace wrun::ops

namespace wrun::ops::rnn {

enum class CellKind : uint8_t { kRnn, kGru, kLstm };

// Per cell kind: gates in W/R (RNN 1, GRU 3 z|r|h, LSTM 4 i|o|f|c) and activations per direction.
constexpr int num_gates(CellKind k) {
  return k == CellKind::kRnn ? 1 : k == CellKind::kGru ? 3 : 4;
}
constexpr int num_acts(CellKind k) { return k == CellKind::kRnn ? 1 : k == CellKind::kGru ? 2 : 3; }

// One activation function of the spec's list, with its alpha/beta.
struct Act {
  enum Kind : uint8_t {
    kSigmoid,
    kTanh,
    kRelu,
    kAffine,
    kLeakyRelu,
    kThresholdedRelu,
    kScaledTanh,
    kHardSigmoid,
    kElu,
    kSoftsign,
    kSoftplus
  } kind = kSigmoid;
  double alpha = 0, beta = 0;

  double operator()(double x) const {
    switch (kind) {
      case kSigmoid:
        // Split by sign so exp never overflows.
        return x >= 0 ? 1 / (1 + std::exp(-x)) : std::exp(x) / (1 + std::exp(x));
      case kTanh:
        return std::tanh(x);
      case kRelu:
        return x > 0 ? x : 0;
      case kAffine:
        return alpha * x + beta;
      case kLeakyRelu:
        return x >= 0 ? x : alpha * x;
      case kThresholdedRelu:
        return x >= alpha ? x : 0;  // the RNN ops' definition (>=)
      case kScaledTanh:
        return alpha * std::tanh(beta * x);
      case kHardSigmoid:
        return std::fmin(std::fmax(alpha * x + beta, 0.0), 1.0);
      case kElu:
        return x >= 0 ? x : alpha * std::expm1(x);
      case kSoftsign:
        return x / (1 + std::fabs(x));
      case kSoftplus:
        return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
    }
    return x;
  }
};

// Attributes of one node, parsed without allocating (so infer() can validate them too).
struct Config {
  CellKind kind = CellKind::kRnn;
  int dirs = 1;          // 2 for bidirectional
  bool reverse = false;  // direction == reverse (direction 0 runs backwards)
  int layout = 0;        // 1: batch-major X, Y, states (opset 14)
  int64_t hidden = -1;   // hidden_size attribute, -1 if absent
  bool has_clip = false;
  double clip = 0;
  bool input_forget = false;         // LSTM
  bool linear_before_reset = false;  // GRU
  Act acts[2][3];                    // [direction][f, g, h]
};

// Parses and validates the node's attributes; fails naming the op and node.
Config parse_config(const graph::Node& node, int64_t opset, CellKind kind);

// Doubles of scratch one (direction, batch) sequence needs: x_t, h, c, the gates and a spare row.
constexpr int64_t task_doubles(CellKind k, int64_t input, int64_t hidden) {
  return input + (3 + num_gates(k)) * hidden;
}

struct State : KernelState {
  Config cfg;
};

void lstm_infer(InferContext& c);
void gru_infer(InferContext& c);
void rnn_infer(InferContext& c);

// float16 is a stated gap; float32 and float64 are computed.
std::string supports(const SupportQuery& q);

void lstm_prepare(PrepareContext& c);
void gru_prepare(PrepareContext& c);
void rnn_prepare(PrepareContext& c);

void lstm_run(RunContext& c);
void gru_run(RunContext& c);
void rnn_run(RunContext& c);

}  // namespace wrun::ops::rnn
