// Placeholder until the elementwise family lands: delete this file when ops/elementwise/ defines elementwise_schemas().
#include "ops/registry.h"
namespace wrun::ops {
std::span<const OpSchema> elementwise_schemas() { return {}; }
}  // namespace wrun::ops
