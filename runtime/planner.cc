#include "runtime/planner.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <numeric>

#include "graph/error.h"
#include "graph/shape.h"

namespace wrun::runtime {
namespace {

int64_t to_i64(size_t v) {
  if (v > static_cast<size_t>(std::numeric_limits<int64_t>::max()))
    fail("planner: size ", v, " overflows");
  return static_cast<int64_t>(v);
}

// Rounds v up to a multiple of align (a power of two), overflow-checked.
int64_t round_up(int64_t v, int64_t align) { return checked_add(v, align - 1) & ~(align - 1); }

struct Placed {
  int64_t offset;
  int64_t end;  // offset + padded size
  int first_use;
  int last_use;
};

}  // namespace

ArenaPlan plan_arena(std::span<const BufferRequest> requests) {
  const size_t n = requests.size();
  ArenaPlan plan;
  plan.offsets.assign(n, 0);

  // Each buffer occupies its size rounded up to its alignment, so the alive bytes at any step
  // never exceed the arena and total >= lower_bound holds even with mixed alignments.
  std::vector<int64_t> padded(n);
  for (size_t i = 0; i < n; ++i) {
    const BufferRequest& r = requests[i];
    if (r.alignment == 0 || (r.alignment & (r.alignment - 1)) != 0)
      fail("planner: buffer ", i, " has alignment ", r.alignment, ", not a power of two");
    if (r.last_use < r.first_use)
      fail("planner: buffer ", i, " has last_use ", r.last_use, " before first_use ", r.first_use);
    padded[i] = r.size == 0 ? 0 : round_up(to_i64(r.size), to_i64(r.alignment));
  }

  // Lower bound: sweep over lifetime events; frees at step s+1 come before allocations there
  // because lifetimes are inclusive.
  std::vector<std::pair<int64_t, int64_t>> events;
  events.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    if (padded[i] == 0) continue;
    events.emplace_back(requests[i].first_use, padded[i]);
    events.emplace_back(static_cast<int64_t>(requests[i].last_use) + 1, -padded[i]);
  }
  std::sort(events.begin(), events.end());
  int64_t alive = 0, peak = 0;
  for (const auto& [step, delta] : events) {
    alive = checked_add(alive, delta);
    peak = std::max(peak, alive);
  }
  plan.lower_bound = static_cast<size_t>(peak);

  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  auto life = [&](size_t i) {
    return static_cast<int64_t>(requests[i].last_use) - requests[i].first_use;
  };
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (padded[a] != padded[b]) return padded[a] > padded[b];
    if (life(a) != life(b)) return life(a) > life(b);
    return a < b;
  });

  std::vector<Placed> placed;  // sorted by offset
  placed.reserve(n);
  std::vector<const Placed*> overlapping;
  int64_t total = 0;
  for (size_t i : order) {
    if (padded[i] == 0) continue;  // offset 0, no space
    const BufferRequest& r = requests[i];
    const int64_t align = to_i64(r.alignment), need = padded[i];

    overlapping.clear();
    for (const Placed& p : placed)
      if (p.first_use <= r.last_use && r.first_use <= p.last_use) overlapping.push_back(&p);

    // Best fit: the smallest gap between overlapping buffers that holds the aligned buffer.
    int64_t best = -1, best_gap = std::numeric_limits<int64_t>::max(), cursor = 0;
    for (const Placed* p : overlapping) {
      const int64_t start = round_up(cursor, align);
      if (p->offset >= start && p->offset - start >= need && p->offset - cursor < best_gap) {
        best_gap = p->offset - cursor;
        best = start;
      }
      cursor = std::max(cursor, p->end);
    }
    if (best < 0) best = round_up(cursor, align);

    const Placed np{best, checked_add(best, need), r.first_use, r.last_use};
    placed.insert(
        std::upper_bound(placed.begin(), placed.end(), np,
                         [](const Placed& a, const Placed& b) { return a.offset < b.offset; }),
        np);
    plan.offsets[i] = static_cast<size_t>(best);
    total = std::max(total, np.end);
  }
  plan.total = static_cast<size_t>(total);
  return plan;
}

}  // namespace wrun::runtime
