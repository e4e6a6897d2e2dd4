// Placeholder until the conv family lands: delete this file when ops/conv/ defines conv_schemas().
#include "ops/registry.h"
namespace wrun::ops {
std::span<const OpSchema> conv_schemas() { return {}; }
}  // namespace wrun::ops
