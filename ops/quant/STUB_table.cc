// Placeholder until the quant family lands: delete this file when ops/quant/ defines quant_schemas().
#include "ops/registry.h"
namespace wrun::ops {
std::span<const OpSchema> quant_schemas() { return {}; }
}  // namespace wrun::ops
