// Placeholder until the linalg family lands: delete this file when ops/linalg/ defines linalg_schemas().
#include "ops/registry.h"
namespace wrun::ops {
std::span<const OpSchema> linalg_schemas() { return {}; }
}  // namespace wrun::ops
