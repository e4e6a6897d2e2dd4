// Placeholder until the reduce family lands: delete this file when ops/reduce/ defines reduce_schemas().
#include "ops/registry.h"
namespace wrun::ops {
std::span<const OpSchema> reduce_schemas() { return {}; }
}  // namespace wrun::ops
