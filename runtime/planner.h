// Arena planning as a pure function: buffers with lifetimes in, offsets in one arena out.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace wrun::runtime {

struct BufferRequest {
  size_t size = 0;        // bytes
  int first_use = 0;      // step index that writes it first
  int last_use = 0;       // last step index that reads it (inclusive)
  size_t alignment = 64;  // power of two
};

struct ArenaPlan {
  std::vector<size_t> offsets;  // one per request
  size_t total = 0;             // arena bytes needed
  size_t lower_bound = 0;       // most bytes alive at any one step (no plan can beat it)
};

// Greedy by size (largest first), best fit among gaps left by buffers whose lifetimes overlap.
// Buffers whose lifetimes overlap never share bytes. All size arithmetic is overflow-checked
// (wrun::Error on overflow).
ArenaPlan plan_arena(std::span<const BufferRequest> requests);

}  // namespace wrun::runtime
