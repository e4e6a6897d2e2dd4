// Placeholder until the einsum family lands: delete this file when ops/einsum/ defines einsum_schemas().
#include "ops/registry.h"
namespace wrun::ops {
std::span<const OpSchema> einsum_schemas() { return {}; }
}  // namespace wrun::ops
