// End to end against PyTorch: scripts/make_test_models.py exports a small Whisper-like encoder
// and a decoder step with past KV inputs, and saves PyTorch's outputs. `wrun run` must match
// them within 1e-4 (max |a - b| <= 1e-4 * max |ref|), and the decoder must run its loop with
// in-place KV caches and no heap allocation after the first step.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "runtime/npy.h"
#include "runtime/session.h"
#include "tests/alloc_counter.h"
#include "tests/test_models.h"

namespace wrun {
namespace {

using testing::file_exists;

nlohmann::json manifest(const std::string& dir) {
  std::ifstream f(dir + "/manifest.json");
  return nlohmann::json::parse(f);
}

double max_abs(const NpyArray& a) {
  double m = 0;
  const float* p = reinterpret_cast<const float*>(a.data.data());
  for (int64_t i = 0; i < a.shape.numel(); ++i) m = std::max(m, std::fabs(double(p[i])));
  return m;
}

// The project's rule: max |a - b| <= tol * max |ref| (exact for non-float outputs).
::testing::AssertionResult matches(const NpyArray& ref, const TensorView& got, double tol) {
  if (ref.dtype != got.dtype) return ::testing::AssertionFailure() << "dtype differs";
  if (!(ref.shape == got.shape))
    return ::testing::AssertionFailure()
           << "shape " << got.shape.str() << " vs " << ref.shape.str();
  if (ref.dtype != DType::kF32)
    return std::memcmp(ref.data.data(), got.data, ref.data.size()) == 0
               ? ::testing::AssertionSuccess()
               : ::testing::AssertionFailure() << "values differ";
  const float* r = reinterpret_cast<const float*>(ref.data.data());
  double worst = 0;
  int64_t idx[kMaxRank] = {};
  for (int64_t i = 0; i < ref.shape.numel(); ++i) {
    int64_t off = 0, rem = i;
    for (int d = got.shape.rank - 1; d >= 0; --d) {
      idx[d] = rem % got.shape.d[d];
      rem /= got.shape.d[d];
      off += idx[d] * got.strides[d];
    }
    worst = std::max(worst, std::fabs(double(r[i]) - double(got.as<const float>()[off])));
  }
  const double bound = tol * max_abs(ref);
  if (worst <= bound) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "max diff " << worst << " > " << bound;
}

class E2ETorch : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    dir_ = testing::test_models_dir(&why);
    if (dir_.empty()) GTEST_SKIP() << why;
  }
  std::string dir_;
};

// `wrun run` on every case of the manifest, outputs compared with PyTorch's.
TEST_F(E2ETorch, WrunRunMatchesPyTorch) {
  const auto m = manifest(dir_);
  const std::string wrun = std::string(WRUN_BINARY_DIR) + "/wrun";
  ASSERT_TRUE(file_exists(wrun)) << wrun;
  int cases = 0;
  for (const auto& [model_name, model] : m["models"].items()) {
    for (const auto& c : model["cases"]) {
      for (const char* threads : {"1", "2"}) {
        const std::string out = ::testing::TempDir() + "wrun_e2e_" + model_name + "_" +
                                c["name"].get<std::string>() + "_" + threads;
        std::string cmd = wrun + " run " + dir_ + "/" + model["model"].get<std::string>() +
                          " --threads " + threads + " --output-dir " + out;
        for (const auto& [name, file] : c["inputs"].items())
          cmd += " --input '" + name + "=" + dir_ + "/" + file.get<std::string>() + "'";
        ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
        for (const auto& [name, file] : c["outputs"].items()) {
          NpyArray ref = read_npy(dir_ + "/" + file.get<std::string>());
          NpyArray got = read_npy(out + "/" + name + ".npy");
          EXPECT_TRUE(matches(ref, got.view(), 1e-4))
              << model_name << " " << c["name"] << " output " << name << " threads " << threads;
        }
        ++cases;
      }
    }
  }
  EXPECT_GE(cases, 6);
}

// The decoder loop with session-owned KV caches: logits match PyTorch at every reference step,
// the caches grow in place, and steps after the first allocate nothing.
TEST_F(E2ETorch, DecoderLoopInPlaceCachesNoAllocation) {
  const auto m = manifest(dir_);
  ASSERT_TRUE(m.contains("decoder_loop")) << "manifest lacks decoder_loop: regenerate models";
  const auto& loop = m["decoder_loop"];
  auto model = Model::load(dir_ + "/" + loop["model"].get<std::string>());
  SessionOptions so;
  const int64_t max_len = loop["max_len"].get<int64_t>();
  for (const auto& [in, out] : loop["caches"].items())
    so.caches.push_back(CacheBinding{in, out.get<std::string>(), 2, max_len});
  Session s(model, so);
  NpyArray enc = read_npy(dir_ + "/" + loop["encoder_hidden_states"].get<std::string>());
  NpyArray tokens = read_npy(dir_ + "/" + loop["tokens"].get<std::string>());
  NpyArray logits = read_npy(dir_ + "/" + loop["logits"].get<std::string>());  // [steps, 1, 1, V]
  ASSERT_EQ(tokens.dtype, DType::kI64);
  const int64_t ref_steps = tokens.shape.d[0];
  s.set_input("encoder_hidden_states", enc.view());
  int64_t token = 0;
  s.set_input("input_ids", make_view(&token, DType::kI64, Shape{1, 1}));
  const int64_t vocab = logits.shape.d[logits.shape.rank - 1];
  const int64_t total_steps = max_len;  // fills the cache exactly
  uint64_t allocs_before = 0;
  const std::string first_cache = loop["caches"].begin().key();
  const void* cache_memory = nullptr;
  for (int64_t step = 0; step < total_steps; ++step) {
    token = step < ref_steps ? reinterpret_cast<const int64_t*>(tokens.data.data())[step]
                             : (step * 7) % vocab;
    // Counting starts once the reference comparisons (which allocate in this test) are over.
    if (step == ref_steps) allocs_before = testing::allocation_count();
    s.run();
    // The present is a strided view into the one cache buffer, which never moves.
    TensorView present = s.output(loop["caches"][first_cache].get<std::string>());
    if (step == 0) cache_memory = present.data;
    if (present.data != cache_memory || present.shape.d[2] != step + 1 ||
        (step + 1 < max_len && present.is_contiguous()))
      ADD_FAILURE() << "present is not an in-place view of the cache at step " << step;
    if (step < ref_steps) {
      NpyArray ref;
      ref.dtype = DType::kF32;
      ref.shape = Shape{1, 1, vocab};
      ref.data.assign(logits.data.begin() + step * vocab * 4,
                      logits.data.begin() + (step + 1) * vocab * 4);
      EXPECT_TRUE(matches(ref, s.output("logits"), 1e-4)) << "step " << step;
    }
  }
  const uint64_t allocs = testing::allocation_count() - allocs_before;
  EXPECT_EQ(allocs, 0u) << "heap allocations in " << total_steps - ref_steps << " steps";
  EXPECT_EQ(s.stats().replans, 0);
  for (const auto& [in, out] : loop["caches"].items()) EXPECT_EQ(s.cache_length(in), total_steps);
  std::printf(
      "decoder loop: %lld steps, %llu heap allocations in steps %lld..%lld, arena %zu "
      "bytes (lower bound %zu)\n",
      static_cast<long long>(total_steps), static_cast<unsigned long long>(allocs),
      static_cast<long long>(ref_steps), static_cast<long long>(total_steps - 1),
      s.stats().arena_bytes, s.stats().lower_bound);
  // Past the maximum, the cache refuses with a clear error.
  EXPECT_THROW(s.run(), Error);
}

// The planner's figures on the encoder: planned arena against the lower bound.
TEST_F(E2ETorch, EncoderPlanNearLowerBound) {
  const auto m = manifest(dir_);
  auto model = Model::load(dir_ + "/encoder.onnx");
  Session s(model);
  s.plan_for({{"input_features", Shape{1, 80, 500}}});
  const auto& st = s.stats();
  const double ratio = double(st.arena_bytes) / double(st.lower_bound);
  std::printf("encoder plan at T=500: arena %zu bytes, lower bound %zu, ratio %.3f, %d steps\n",
              st.arena_bytes, st.lower_bound, ratio, st.steps);
  EXPECT_GE(ratio, 1.0);
  EXPECT_LE(ratio, 1.5);
}

}  // namespace
}  // namespace wrun
