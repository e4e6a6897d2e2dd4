// Counts heap allocations made through operator new in the test binary (containers, strings,
// make_shared...), so tests can assert that a hot loop allocates nothing.
#pragma once
#include <cstdint>

namespace wrun::testing {
uint64_t allocation_count();
}  // namespace wrun::testing
