#include "runtime/planner.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <limits>
#include <random>
#include <vector>

#include "graph/error.h"

namespace wrun::runtime {
namespace {

size_t padded(const BufferRequest& r) { return (r.size + r.alignment - 1) & ~(r.alignment - 1); }

// Checks the plan's invariants; returns false (with a gtest failure) on the first violation.
bool check_plan(const std::vector<BufferRequest>& reqs, const ArenaPlan& plan) {
  EXPECT_EQ(plan.offsets.size(), reqs.size());
  EXPECT_GE(plan.total, plan.lower_bound);
  for (size_t i = 0; i < reqs.size(); ++i) {
    const BufferRequest& a = reqs[i];
    if (a.size == 0) {
      EXPECT_EQ(plan.offsets[i], 0u);
      continue;
    }
    EXPECT_EQ(plan.offsets[i] % a.alignment, 0u) << "buffer " << i;
    EXPECT_LE(plan.offsets[i] + a.size, plan.total) << "buffer " << i;
    for (size_t j = i + 1; j < reqs.size(); ++j) {
      const BufferRequest& b = reqs[j];
      if (b.size == 0) continue;
      bool live = a.first_use <= b.last_use && b.first_use <= a.last_use;
      bool bytes =
          plan.offsets[i] < plan.offsets[j] + b.size && plan.offsets[j] < plan.offsets[i] + a.size;
      if (live && bytes) {
        ADD_FAILURE() << "buffers " << i << " and " << j << " overlap in time and bytes";
        return false;
      }
    }
  }
  return !::testing::Test::HasFailure();
}

size_t brute_lower_bound(const std::vector<BufferRequest>& reqs) {
  int lo = std::numeric_limits<int>::max(), hi = std::numeric_limits<int>::min();
  for (const auto& r : reqs) lo = std::min(lo, r.first_use), hi = std::max(hi, r.last_use);
  size_t best = 0;
  for (int s = lo; s <= hi; ++s) {
    size_t sum = 0;
    for (const auto& r : reqs)
      if (r.size && r.first_use <= s && s <= r.last_use) sum += padded(r);
    best = std::max(best, sum);
  }
  return best;
}

std::vector<BufferRequest> random_set(std::mt19937& rng, int max_n = 60) {
  const int n = std::uniform_int_distribution<int>(1, max_n)(rng);
  const int steps = std::uniform_int_distribution<int>(1, 80)(rng);
  std::uniform_int_distribution<int> step(0, steps - 1), len(0, 12), pick(0, 9);
  std::vector<BufferRequest> reqs(n);
  for (auto& r : reqs) {
    // Mix of tiny, medium and large sizes, like activations of different layers.
    int k = pick(rng);
    r.size = k == 0  ? 0
             : k < 4 ? std::uniform_int_distribution<size_t>(1, 256)(rng)
                     : std::uniform_int_distribution<size_t>(1, 1 << 20)(rng);
    r.first_use = step(rng);
    r.last_use = r.first_use + len(rng);
    r.alignment = size_t{1} << std::uniform_int_distribution<int>(0, 7)(rng);
  }
  return reqs;
}

TEST(Planner, RandomSetsAreValidAndTight) {
  std::mt19937 rng(12345);
  double ratio_sum = 0;
  int counted = 0;
  double worst = 1;
  // Mostly small sets (fast to check pairwise), plus a few hundred-buffer graphs.
  for (int iter = 0; iter < 4200; ++iter) {
    auto reqs = random_set(rng, iter < 4000 ? 60 : 400);
    ArenaPlan plan = plan_arena(reqs);
    ASSERT_TRUE(check_plan(reqs, plan)) << "iteration " << iter;
    ASSERT_EQ(plan.lower_bound, brute_lower_bound(reqs)) << "iteration " << iter;
    if (plan.lower_bound) {
      double ratio = static_cast<double>(plan.total) / static_cast<double>(plan.lower_bound);
      ratio_sum += ratio;
      worst = std::max(worst, ratio);
      ++counted;
    }
  }
  double mean = ratio_sum / counted;
  std::printf("planner: mean total/lower_bound %.4f over %d sets (worst %.3f)\n", mean, counted,
              worst);
  EXPECT_LE(mean, 1.10);
}

TEST(Planner, Deterministic) {
  std::mt19937 rng(7);
  auto reqs = random_set(rng);
  EXPECT_EQ(plan_arena(reqs).offsets, plan_arena(reqs).offsets);
}

TEST(Planner, DisjointLifetimesShareMemory) {
  std::vector<BufferRequest> reqs = {{1000, 0, 1, 64}, {1000, 2, 3, 64}, {500, 4, 5, 64}};
  ArenaPlan plan = plan_arena(reqs);
  EXPECT_EQ(plan.offsets, (std::vector<size_t>{0, 0, 0}));
  EXPECT_EQ(plan.total, 1024u);
  EXPECT_EQ(plan.lower_bound, 1024u);
}

TEST(Planner, AllOverlappingSumUp) {
  std::vector<BufferRequest> reqs = {{100, 0, 5, 64}, {200, 1, 5, 64}, {64, 2, 3, 64}};
  ArenaPlan plan = plan_arena(reqs);
  ASSERT_TRUE(check_plan(reqs, plan));
  EXPECT_EQ(plan.total, 128u + 256u + 64u);
  EXPECT_EQ(plan.lower_bound, plan.total);
  // Largest first: the 200-byte buffer is at 0.
  EXPECT_EQ(plan.offsets[1], 0u);
}

TEST(Planner, BestFitChoosesSmallestGap) {
  // Placement order: X(256) at 0, W1(128, long-lived) at 256, Y(128) at 384, W2(120) at 512.
  // Z (100 bytes, alive only with W1 and W2) sees gaps [0,256) and [384,512): the smaller wins.
  std::vector<BufferRequest> reqs = {
      {256, 0, 1, 1}, {128, 0, 9, 1}, {128, 0, 1, 1}, {120, 0, 9, 1}, {100, 2, 9, 1}};
  ArenaPlan plan = plan_arena(reqs);
  ASSERT_TRUE(check_plan(reqs, plan));
  EXPECT_EQ(plan.offsets, (std::vector<size_t>{0, 256, 384, 512, 384}));
  EXPECT_EQ(plan.total, 632u);
  EXPECT_EQ(plan.lower_bound, 632u);
}

TEST(Planner, AlignmentRespected) {
  std::vector<BufferRequest> reqs = {{3, 0, 2, 1}, {5, 0, 2, 256}, {7, 0, 2, 64}, {1, 1, 1, 4096}};
  ArenaPlan plan = plan_arena(reqs);
  ASSERT_TRUE(check_plan(reqs, plan));
  for (size_t i = 0; i < reqs.size(); ++i) EXPECT_EQ(plan.offsets[i] % reqs[i].alignment, 0u);
}

TEST(Planner, ZeroSizeAndEmpty) {
  EXPECT_EQ(plan_arena({}).total, 0u);
  std::vector<BufferRequest> reqs = {{0, 0, 3, 64}, {10, 0, 3, 64}, {0, 1, 1, 4096}};
  ArenaPlan plan = plan_arena(reqs);
  EXPECT_EQ(plan.offsets[0], 0u);
  EXPECT_EQ(plan.offsets[2], 0u);
  EXPECT_EQ(plan.total, 64u);
  EXPECT_EQ(plan.lower_bound, 64u);
}

TEST(Planner, OverflowAndBadRequests) {
  const size_t huge = std::numeric_limits<size_t>::max() / 2;
  std::vector<BufferRequest> two = {{huge, 0, 1, 64}, {huge, 0, 1, 64}};
  EXPECT_THROW(plan_arena(two), Error);
  std::vector<BufferRequest> one = {{std::numeric_limits<size_t>::max() - 3, 0, 0, 64}};
  EXPECT_THROW(plan_arena(one), Error);
  std::vector<BufferRequest> align = {{10, 0, 0, 48}};
  EXPECT_THROW(plan_arena(align), Error);
  std::vector<BufferRequest> life = {{10, 3, 2, 64}};
  EXPECT_THROW(plan_arena(life), Error);
}

}  // namespace
}  // namespace wrun::runtime
