// Placeholder until the selection family lands: delete this file when ops/selection/ defines selection_schemas().
#include "ops/registry.h"
namespace wrun::ops {
std::span<const OpSchema> selection_schemas() { return {}; }
}  // namespace wrun::ops
