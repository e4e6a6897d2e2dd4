// Placeholder until the normalization family lands: delete this file when ops/normalization/ defines normalization_schemas().
#include "ops/registry.h"
namespace wrun::ops {
std::span<const OpSchema> normalization_schemas() { return {}; }
}  // namespace wrun::ops
