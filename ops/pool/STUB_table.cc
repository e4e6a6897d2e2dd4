// Placeholder until the pool family lands: delete this file when ops/pool/ defines pool_schemas().
#include "ops/registry.h"
namespace wrun::ops {
std::span<const OpSchema> pool_schemas() { return {}; }
}  // namespace wrun::ops
