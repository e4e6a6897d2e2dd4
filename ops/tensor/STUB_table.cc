// Placeholder until the tensor family lands: delete this file when ops/tensor/ defines tensor_schemas().
#include "ops/registry.h"
namespace wrun::ops {
std::span<const OpSchema> tensor_schemas() { return {}; }
}  // namespace wrun::ops
