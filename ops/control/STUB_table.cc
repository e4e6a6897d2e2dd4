// Placeholder until the control family lands: delete this file when ops/control/ defines control_schemas().
#include "ops/registry.h"
namespace wrun::ops {
std::span<const OpSchema> control_schemas() { return {}; }
}  // namespace wrun::ops
