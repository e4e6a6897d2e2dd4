// The speech models shipped in models/: each folder's samples (held-out test utterances) must be
// transcribed exactly as PyTorch transcribed them when the model was exported (samples.json,
// written by train/samples.py): the same text, and for Whisper models the same tokens.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "speech/audio.h"
#include "speech/recognizer.h"

namespace wrun {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> model_dirs() {
  std::vector<std::string> out;
  const fs::path root = fs::path(WRUN_SOURCE_DIR) / "models";
  if (!fs::exists(root)) return out;
  for (const auto& e : fs::directory_iterator(root))
    if (e.is_directory()) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(' '), b = s.find_last_not_of(' ');
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

class BundledModel : public ::testing::TestWithParam<std::string> {};

TEST_P(BundledModel, TranscribesSamplesAsPyTorch) {
  const std::string dir = std::string(WRUN_SOURCE_DIR) + "/models/" + GetParam();
  std::ifstream f(dir + "/samples.json");
  ASSERT_TRUE(f) << dir << " has no samples.json (see train/samples.py)";
  const auto j = nlohmann::json::parse(f);
  ASSERT_GE(j["samples"].size(), 1u);
  for (int threads : {1, 2}) {
    speech::RecognizerOptions o;
    o.threads = threads;
    auto rec = speech::open_recognizer(dir, o);
    for (const auto& s : j["samples"]) {
      const auto audio =
          speech::load_audio(dir + "/" + s["audio"].get<std::string>(), rec->sample_rate());
      const auto t = rec->transcribe(audio);
      EXPECT_EQ(trim(t.text), trim(s["text"].get<std::string>())) << s["audio"];
      if (s.contains("tokens")) {
        std::vector<int> got;
        for (const auto& w : t.windows) got.insert(got.end(), w.tokens.begin(), w.tokens.end());
        EXPECT_EQ(got, s["tokens"].get<std::vector<int>>()) << s["audio"];
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Models, BundledModel, ::testing::ValuesIn(model_dirs()),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(BundledModel);

}  // namespace
}  // namespace wrun
