// Placeholder until the resize family lands: delete this file when ops/resize/ defines resize_schemas().
#include "ops/registry.h"
namespace wrun::ops {
std::span<const OpSchema> resize_schemas() { return {}; }
}  // namespace wrun::ops
