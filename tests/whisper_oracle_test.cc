// `wrun transcribe` against the PyTorch oracle (scripts/make_whisper_oracle.py): every case of
// tests/fixtures/whisper/manifest.json, split and merged decoders, with and without timestamps,
// short and long audio, greedy, beam search and temperature fallback, and the en model's fp16
// export (en_fp16/, widened to float32 at load) and dynamically quantized files
// (en/*_quantized.onnx, --variant quantized). Tokens and segment texts must match exactly, times
// to the printed 0.01 s, log-probs within 1e-3, and every greedy step's logits within the
// project's rule (max |a - b| <= 1e-4 * max |ref|, or the case's stated logits_tolerance).
#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "runtime/npy.h"
#include "speech/audio.h"
#include "speech/whisper_decode.h"
#include "tests/test_models.h"

namespace wrun {
namespace {

const std::string kFixtures = std::string(WRUN_SOURCE_DIR) + "/tests/fixtures/whisper";

nlohmann::json manifest() {
  std::ifstream f(kFixtures + "/manifest.json");
  return nlohmann::json::parse(f);
}

std::string slurp(const std::string& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string quote(const std::string& s) {
  std::string r(1, '\'');  // built up piecewise: GCC 12 warns falsely on "'" + s + "'"
  r.append(s);
  r.push_back('\'');
  return r;
}

// Options from the case's CLI flags, as `wrun transcribe` parses them.
speech::DecodeOptions options_of(const nlohmann::json& c, std::string* decoder) {
  speech::DecodeOptions o;
  const auto& opt = c["options"];
  if (opt.contains("language") && !opt["language"].is_null()) o.language = opt["language"];
  o.task = opt.value("task", "transcribe");
  o.timestamps = opt.value("timestamps", true);
  o.beam = opt.value("beam", 1);
  o.temperature_fallback = opt.value("temperature_fallback", false);
  o.seed = opt.value("seed", uint64_t{0});
  o.logprob_threshold = opt.value("logprob_threshold", -1.0);
  o.compression_ratio_threshold = opt.value("compression_ratio_threshold", 2.4);
  *decoder = opt.value("decoder", std::string("auto"));
  return o;
}

// The case's --variant ("auto" when it names none).
std::string variant_of(const nlohmann::json& c) {
  return c["options"].value("variant", std::string("auto"));
}

// Case indices: all of them, and those with greedy logits to compare.
std::vector<int> case_indices(bool with_logits) {
  std::vector<int> r;
  if (!testing::file_exists(kFixtures + "/manifest.json")) return r;
  const auto m = manifest();
  for (size_t i = 0; i < m["cases"].size(); ++i) {
    const auto& e = m["cases"][i]["expected"];
    if (!with_logits || (e.contains("logits") && !e["logits"].is_null()))
      r.push_back(static_cast<int>(i));
  }
  return r;
}

class WhisperOracle : public ::testing::TestWithParam<int> {};
class WhisperOracleLogits : public ::testing::TestWithParam<int> {};

TEST(WhisperOracleFixtures, Present) {
  ASSERT_TRUE(testing::file_exists(kFixtures + "/manifest.json"))
      << "tests/fixtures/whisper is part of the repository";
  EXPECT_GE(manifest()["cases"].size(), 10u);
}

// The command line, end to end, against the expected segments and windows.
TEST_P(WhisperOracle, CliMatchesOracle) {
  const auto m = manifest();
  const auto& c = m["cases"][GetParam()];
  const std::string name = c["name"];
  std::string cmd = std::string(WRUN_BINARY_DIR) + "/wrun transcribe " +
                    quote(kFixtures + "/" + c["model"].get<std::string>()) + " " +
                    quote(kFixtures + "/" + c["audio"].get<std::string>()) + " --format json";
  for (const auto& a : c["args"]) {
    cmd.push_back(' ');
    cmd.append(quote(a.get<std::string>()));
  }
  const std::string out = ::testing::TempDir() + "wrun_oracle_" + name + ".json";
  ASSERT_EQ(std::system((cmd + " -o " + out).c_str()), 0) << cmd;
  const auto got = nlohmann::json::parse(slurp(out));
  const auto& e = c["expected"];
  if (!e["language"].is_null()) {
    EXPECT_EQ(got["language"], e["language"]) << name;
  }
  EXPECT_EQ(got["text"], e["text"]) << name;
  ASSERT_EQ(got["segments"].size(), e["segments"].size()) << name << "\n" << got["segments"].dump();
  for (size_t i = 0; i < e["segments"].size(); ++i) {
    const auto &g = got["segments"][i], &x = e["segments"][i];
    EXPECT_EQ(g["tokens"], x["tokens"]) << name << " segment " << i;
    EXPECT_EQ(g["text"], x["text"]) << name << " segment " << i;
    EXPECT_NEAR(g["start"].get<double>(), x["start"].get<double>(), 0.005) << name << " " << i;
    EXPECT_NEAR(g["end"].get<double>(), x["end"].get<double>(), 0.005) << name << " " << i;
    EXPECT_NEAR(g["avg_logprob"].get<double>(), x["avg_logprob"].get<double>(), 1e-3) << name;
  }
  ASSERT_EQ(got["windows"].size(), e["windows"].size()) << name;
  for (size_t i = 0; i < e["windows"].size(); ++i) {
    const auto &g = got["windows"][i], &x = e["windows"][i];
    EXPECT_EQ(g["seek"], x["seek"]) << name << " window " << i;
    EXPECT_EQ(g["tokens"], x["tokens"]) << name << " window " << i;
    EXPECT_NEAR(g["temperature"].get<double>(), x["temperature"].get<double>(), 1e-9) << name;
    EXPECT_NEAR(g["avg_logprob"].get<double>(), x["avg_logprob"].get<double>(), 1e-3) << name;
    EXPECT_NEAR(g["compression_ratio"].get<double>(), x["compression_ratio"].get<double>(), 1e-9)
        << name;
    EXPECT_EQ(g["attempts"].get<size_t>(), x.contains("attempts") ? x["attempts"].size() : 1u)
        << name << " window " << i;
  }
  // The fallback case exercises the ladder: some window fails at temperature 0 and then passes
  // both thresholds at a higher temperature (not only running the ladder to its end).
  if (c["options"].value("temperature_fallback", false)) {
    const double lp = c["options"]["logprob_threshold"],
                 cr = c["options"]["compression_ratio_threshold"];
    int recovered = 0;
    for (const auto& g : got["windows"])
      recovered += g["attempts"].get<int>() > 1 && g["temperature"].get<double>() > 0 &&
                   g["avg_logprob"].get<double>() >= lp &&
                   g["compression_ratio"].get<double>() <= cr;
    EXPECT_GT(recovered, 0) << name << ": no window fell back and then succeeded";
  }
  if (c["options"].contains("variant") && c["options"]["variant"] != "auto") {
    EXPECT_EQ(got["model"]["variant"], c["options"]["variant"]) << name;
  }
  EXPECT_GT(got["timings"]["decoder_tokens"].get<int>(), 0);
}

// Every greedy step's raw logits, through the C++ API.
TEST_P(WhisperOracleLogits, LogitsMatchOracle) {
  const auto m = manifest();
  const auto& c = m["cases"][GetParam()];
  const auto& e = c["expected"];
  std::string decoder;
  auto opts = options_of(c, &decoder);
  opts.keep_logits = true;
  speech::Tokenizer tok;
  auto cfg = speech::load_whisper_config(kFixtures + "/" + c["model"].get<std::string>(), &tok,
                                         variant_of(c));
  cfg.choose_decoder(decoder);
  speech::WhisperModel model(cfg, {});
  auto samples = speech::load_audio(kFixtures + "/" + c["audio"].get<std::string>());
  auto t = speech::transcribe(model, tok, samples, opts);
  NpyArray ref = read_npy(kFixtures + "/" + e["logits"].get<std::string>());
  ASSERT_EQ(ref.dtype, DType::kF32);
  const int64_t vocab = ref.shape.d[1];
  std::vector<float> got;
  for (const auto& w : t.windows) got.insert(got.end(), w.logits.begin(), w.logits.end());
  ASSERT_EQ(static_cast<int64_t>(got.size()), ref.shape.numel()) << c["name"];
  const float* r = reinterpret_cast<const float*>(ref.data.data());
  double worst = 0, peak = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    worst = std::max(worst, std::fabs(double(got[i]) - r[i]));
    peak = std::max(peak, std::fabs(double(r[i])));
  }
  const double tol = e.value("logits_tolerance", 1e-4);
  EXPECT_LE(worst, tol * peak) << c["name"] << ": " << ref.shape.d[0] << " steps x " << vocab;
  std::printf("%s: max |wrun - ref| = %.3g = %.3g x max |ref| (tolerance %.3g)\n",
              c["name"].get<std::string>().c_str(), worst, worst / peak, tol);
}

// Parameters are named by their case ("Whisper/WhisperOracle.CliMatchesOracle/en_split_ts_short").
std::string case_name(const ::testing::TestParamInfo<int>& info) {
  static const nlohmann::json m = manifest();
  std::string n = m["cases"][info.param]["name"];
  for (char& ch : n)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return n;
}

INSTANTIATE_TEST_SUITE_P(Whisper, WhisperOracle, ::testing::ValuesIn(case_indices(false)),
                         case_name);
INSTANTIATE_TEST_SUITE_P(Whisper, WhisperOracleLogits, ::testing::ValuesIn(case_indices(true)),
                         case_name);
// Without fixtures only WhisperOracleFixtures.Present runs (and fails, saying so).
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(WhisperOracle);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(WhisperOracleLogits);

}  // namespace
}  // namespace wrun

namespace wrun {
namespace {

// The merged decoder specialised for use_cache_branch = true holds Concat(past, new) at the top
// level, feeding the present output, so the session appends to its cache in place; and the
// specialisations share the loaded weights.
TEST(WhisperMerged, SpecialisationAppendsInPlaceAndSharesWeights) {
  const std::string path = kFixtures + "/en/decoder_model_merged.onnx";
  if (!testing::file_exists(path)) GTEST_SKIP() << "fixtures missing";
  auto merged = Model::load(path);
  uint8_t on = 1;
  auto spec = merged->specialize(
      {{"use_cache_branch", graph::Constant::copy_of(DType::kBool, Shape{1}, &on)}});
  const auto& g = *spec->ir().graph;
  int concat_on_past = 0;
  for (const auto& n : g.nodes) {
    EXPECT_NE(n.op_type, "If");
    if (n.op_type == "Concat" && n.inputs[0] >= 0 && g.values[n.inputs[0]].is_input &&
        g.values[n.outputs[0]].is_output)
      ++concat_on_past;
  }
  EXPECT_EQ(concat_on_past, 2 * 2);  // key and value of each decoder layer
  for (const auto& in : spec->inputs()) EXPECT_NE(in.name, "use_cache_branch");
  std::set<const void*> base;
  for (const auto& v : merged->ir().graph->values)
    if (v.constant) base.insert(v.constant->data);
  std::function<void(const graph::Graph&)> walk = [&](const graph::Graph& gr) {
    for (const auto& v : gr.values)
      if (v.constant) base.insert(v.constant->data);
    for (const auto& n : gr.nodes)
      for (const auto& [k, a] : n.attrs)
        if (a.g) walk(*a.g);
  };
  walk(*merged->ir().graph);
  size_t shared = 0, big = 0;
  for (const auto& v : g.values)
    if (v.constant && v.constant->nbytes >= 1024) {
      ++big;
      shared += base.count(v.constant->data);
    }
  EXPECT_GT(big, 0u);
  EXPECT_EQ(shared, big) << "weights of the specialised decoder are copies";
}

}  // namespace
}  // namespace wrun

namespace wrun {
namespace {

// decoder_model.onnx and decoder_with_past_model.onnx repeat the decoder's weights: loaded with
// share_weights_with, the second holds no copy of its own.
TEST(WhisperSplit, DecoderWeightsHeldOnce) {
  const std::string dir = kFixtures + "/en";
  if (!testing::file_exists(dir + "/decoder_model.onnx")) GTEST_SKIP() << "fixtures missing";
  auto first = Model::load(dir + "/decoder_model.onnx");
  ModelOptions o;
  o.share_weights_with = first.get();
  auto second = Model::load(dir + "/decoder_with_past_model.onnx", o);
  std::set<const void*> mine;
  for (const auto& v : first->ir().graph->values)
    if (v.constant) mine.insert(v.constant->data);
  size_t big = 0, shared = 0;
  for (const auto& v : second->ir().graph->values)
    if (v.constant && v.constant->nbytes >= 4096) {
      ++big;
      shared += mine.count(v.constant->data);
    }
  EXPECT_GT(big, 3u);
  EXPECT_EQ(shared, big);
  auto alone = Model::load(dir + "/decoder_with_past_model.onnx");
  EXPECT_EQ(alone->weight_bytes(), second->weight_bytes());
}

}  // namespace
}  // namespace wrun
