// Sessions: sharing one model across threads, thread-count invariance, re-planning for larger
// inputs, and input validation.
#include "runtime/session.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <thread>

#include "runtime/npy.h"
#include "tests/test_models.h"

namespace wrun {
namespace {

class SessionModels : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    dir_ = testing::test_models_dir(&why);
    if (dir_.empty()) GTEST_SKIP() << why;
    model_ = Model::load(dir_ + "/encoder.onnx");
  }
  std::vector<float> features(int64_t frames, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> d;
    std::vector<float> v(static_cast<size_t>(80 * frames));
    for (auto& x : v) x = d(rng);
    return v;
  }
  std::vector<float> run(Session& s, std::vector<float>& in, int64_t frames) {
    s.set_input("input_features", make_view(in.data(), DType::kF32, Shape{1, 80, frames}));
    s.run();
    TensorView o = s.output("last_hidden_state");
    EXPECT_TRUE(o.is_contiguous());
    return std::vector<float>(o.as<float>(), o.as<float>() + o.numel());
  }
  std::string dir_;
  std::shared_ptr<const Model> model_;
};

TEST_F(SessionModels, IdenticalForAnyThreadCount) {
  auto in = features(200, 1);
  SessionOptions one, two;
  two.threads = 2;
  Session a(model_, one), b(model_, two);
  auto ra = run(a, in, 200), rb = run(b, in, 200);
  ASSERT_EQ(ra.size(), rb.size());
  EXPECT_EQ(std::memcmp(ra.data(), rb.data(), ra.size() * 4), 0);
}

TEST_F(SessionModels, SessionsRunConcurrentlyOnOneModel) {
  auto in = features(120, 2);
  Session ref(model_);
  auto expected = run(ref, in, 120);
  std::vector<std::vector<float>> got(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      Session s(model_);
      auto local = in;
      for (int k = 0; k < 3; ++k) got[t] = run(s, local, 120);
    });
  for (auto& th : threads) th.join();
  for (const auto& g : got) EXPECT_EQ(g, expected);
}

TEST_F(SessionModels, ReplansForLargerInputsAndMatchesFreshSession) {
  Session s(model_);
  auto small = features(50, 3), big = features(301, 4);
  run(s, small, 50);
  EXPECT_EQ(s.stats().replans, 0);
  auto r_big = run(s, big, 301);
  EXPECT_EQ(s.stats().replans, 1);
  Session fresh(model_);
  EXPECT_EQ(r_big, run(fresh, big, 301));
  // Smaller again: fits the plan, no re-plan, same as a fresh session.
  auto r_small = run(s, small, 50);
  EXPECT_EQ(s.stats().replans, 1);
  Session fresh2(model_);
  EXPECT_EQ(r_small, run(fresh2, small, 50));
}

TEST_F(SessionModels, DimBoundsPlanOnceForTheMaximum) {
  SessionOptions o;
  o.dim_bounds["frames"] = 400;
  Session s(model_, o);
  auto a = features(400, 5), b = features(37, 6);
  run(s, b, 37);
  const size_t arena = s.stats().arena_bytes;
  run(s, a, 400);
  EXPECT_EQ(s.stats().replans, 0);
  EXPECT_EQ(s.stats().arena_bytes, arena);
  auto c = features(401, 7);
  s.set_input("input_features", make_view(c.data(), DType::kF32, Shape{1, 80, 401}));
  EXPECT_THROW(s.run(), Error);  // above its declared bound
}

TEST_F(SessionModels, InputValidation) {
  Session s(model_);
  std::vector<float> buf(80 * 10);
  EXPECT_THROW(s.set_input("nope", make_view(buf.data(), DType::kF32, Shape{1, 80, 10})), Error);
  EXPECT_THROW(s.set_input("input_features", make_view(buf.data(), DType::kI32, Shape{1, 80, 10})),
               Error);
  EXPECT_THROW(s.set_input("input_features", make_view(buf.data(), DType::kF32, Shape{80, 10})),
               Error);
  EXPECT_THROW(s.set_input("input_features", make_view(buf.data(), DType::kF32, Shape{1, 79, 10})),
               Error);
  EXPECT_THROW(s.run(), Error);                        // input never set
  EXPECT_THROW(s.output("last_hidden_state"), Error);  // before run
  try {
    s.set_input("input_features", make_view(buf.data(), DType::kF32, Shape{1, 79, 10}));
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[1,80,frames]"), std::string::npos) << e.what();
  }
}

TEST_F(SessionModels, MemoryLimitRefusesPlan) {
  SessionOptions o;
  o.max_memory = 1024;
  Session s(model_, o);
  std::vector<float> buf(80 * 10);
  s.set_input("input_features", make_view(buf.data(), DType::kF32, Shape{1, 80, 10}));
  try {
    s.run();
    FAIL() << "plan above the limit was not refused";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("memory limit"), std::string::npos) << e.what();
  }
}

TEST(Session, WeightsAreNotCopied) {
  std::string why;
  const std::string dir = testing::test_models_dir(&why);
  if (dir.empty()) GTEST_SKIP() << why;
  auto m = Model::load(dir + "/decoder_step.onnx");
  // Every initializer loaded from the file points into the mapped file (no copy).
  size_t embedded = 0;
  for (const auto& v : m->ir().graph->values)
    if (v.constant && v.constant->source == graph::Constant::Source::kEmbedded) ++embedded;
  EXPECT_GT(embedded, 10u);
}

}  // namespace
}  // namespace wrun
