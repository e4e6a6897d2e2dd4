// Placeholder: replaced by the real planner.
#include "runtime/planner.h"
#include "graph/error.h"
namespace wrun::runtime {
ArenaPlan plan_arena(std::span<const BufferRequest>) { fail("planner not implemented"); }
}  // namespace wrun::runtime
