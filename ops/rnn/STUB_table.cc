// Placeholder until the rnn family lands: delete this file when ops/rnn/ defines rnn_schemas().
#include "ops/registry.h"
namespace wrun::ops {
std::span<const OpSchema> rnn_schemas() { return {}; }
}  // namespace wrun::ops
