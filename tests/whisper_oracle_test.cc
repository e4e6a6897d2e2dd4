// `wrun transcribe` against the PyTorch oracle (scripts/make_whisper_oracle.py): every case of
// tests/fixtures/whisper/manifest.json, split and merged decoders, with and without timestamps,
// short and long audio, greedy, beam search and temperature fallback, and the en model's fp16
// export (en_fp16/, widened to float32 at load) and dynamically quantized files
// (en/*_quantized.onnx, --variant quantized). Tokens and segment texts must match exactly, times
// to the printed 0.01 s, log-probs within 1e-3, and every greedy step's logits within the
// project's rule (max |a - b| <= 1e-4 * max |ref|, or the case's stated logits_tolerance).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
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
// share_weights_with, the second holds no copy of its own (float16 files: once widened).
void expect_decoder_weights_held_once(const std::string& dir, bool widen) {
  if (!testing::file_exists(dir + "/decoder_model.onnx")) GTEST_SKIP() << "fixtures missing";
  ModelOptions o;
  o.widen_fp16 = widen;
  auto first = Model::load(dir + "/decoder_model.onnx", o);
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
      EXPECT_NE(v.constant->dtype, DType::kF16) << v.name;
    }
  EXPECT_GT(big, 3u);
  EXPECT_EQ(shared, big);
  o.share_weights_with = nullptr;
  auto alone = Model::load(dir + "/decoder_with_past_model.onnx", o);
  EXPECT_EQ(alone->weight_bytes(), second->weight_bytes());
}

TEST(WhisperSplit, DecoderWeightsHeldOnce) {
  expect_decoder_weights_held_once(kFixtures + "/en", false);
}

TEST(WhisperSplit, WidenedFp16DecoderWeightsHeldOnce) {
  expect_decoder_weights_held_once(kFixtures + "/en_fp16", true);
}

}  // namespace
}  // namespace wrun

namespace wrun {
namespace {

// Which model files `wrun transcribe` picks (--variant), on folders of links to the fixtures.
struct CliResult {
  int code;
  std::string out, err;
};

CliResult wrun_cli(const std::string& args) {
  const std::string out = ::testing::TempDir() + "wrun_variant_out",
                    err = ::testing::TempDir() + "wrun_variant_err";
  const std::string cmd = std::string(WRUN_BINARY_DIR) + "/wrun " + args + " >" + out + " 2>" + err;
  const int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128, slurp(out), slurp(err)};
}

::testing::AssertionResult one_line_error(const CliResult& r, const std::vector<std::string>& has) {
  if (r.code == 0 || r.code >= 128) return ::testing::AssertionFailure() << "exit " << r.code;
  if (r.err.rfind("error: ", 0) != 0 || r.err.find('\n') != r.err.size() - 1)
    return ::testing::AssertionFailure() << "not one error line: " << r.err;
  for (const auto& h : has)
    if (r.err.find(h) == std::string::npos)
      return ::testing::AssertionFailure() << "does not mention '" << h << "': " << r.err;
  return ::testing::AssertionSuccess();
}

// A temporary model folder: en's config and tokenizer files, plus the ONNX files given as
// (name in the folder, fixture path).
class VariantDir {
 public:
  explicit VariantDir(const std::vector<std::pair<std::string, std::string>>& models) {
    std::string t = ::testing::TempDir() + "wrun_variant_XXXXXX";
    path_ = mkdtemp(t.data());
    for (const auto& e : std::filesystem::directory_iterator(kFixtures + "/en"))
      if (e.path().extension() != ".onnx")
        std::filesystem::create_symlink(e.path(), path_ + "/" + e.path().filename().string());
    for (const auto& [name, target] : models)
      std::filesystem::create_symlink(kFixtures + "/" + target, path_ + "/" + name);
  }
  ~VariantDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

const char* kFiles[] = {"encoder_model", "decoder_model", "decoder_with_past_model",
                        "decoder_model_merged"};

// The files of one fixture folder and variant, renamed to carry `suffix`.
std::vector<std::pair<std::string, std::string>> files(const std::string& from,
                                                       const std::string& variant,
                                                       const std::string& suffix) {
  std::vector<std::pair<std::string, std::string>> r;
  for (const char* f : kFiles)
    r.emplace_back(std::string(f) + suffix + ".onnx",
                   from + "/" + f + (variant.empty() ? "" : "_" + variant) + ".onnx");
  return r;
}

// The expected windows' tokens of a manifest case.
nlohmann::json case_tokens(const std::string& name) {
  const auto m = manifest();
  for (const auto& c : m["cases"])
    if (c["name"] == name) {
      auto t = nlohmann::json::array();
      for (const auto& w : c["expected"]["windows"]) t.push_back(w["tokens"]);
      return t;
    }
  ADD_FAILURE() << "no case " << name;
  return {};
}

nlohmann::json window_tokens(const CliResult& r) {
  auto j = nlohmann::json::parse(r.out);
  auto t = nlohmann::json::array();
  for (const auto& w : j["windows"]) t.push_back(w["tokens"]);
  return t;
}

class WhisperVariant : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::file_exists(kFixtures + "/en/encoder_model_quantized.onnx"))
      GTEST_SKIP() << "fixtures missing";
    wav_ = quote(kFixtures + "/short_en.wav");
  }
  std::string wav_;
};

// Only _quantized files: the default takes them.
TEST_F(WhisperVariant, DefaultIsTheOnlySuffixedVariant) {
  VariantDir d(files("en", "quantized", "_quantized"));
  CliResult r = wrun_cli("transcribe " + quote(d.path()) + " " + wav_ + " --format json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["model"]["variant"], "quantized");
  EXPECT_EQ(window_tokens(r), case_tokens("en_quantized_merged_ts_short"));
}

// transformers.js-style names: _fp16 files (float16 inside), picked by --variant fp16 next to
// unsuffixed float32 files and _quantized ones, and widened at load.
TEST_F(WhisperVariant, Fp16SuffixedFilesPickedAndWidened) {
  auto all = files("en_fp16", "", "_fp16");
  for (auto f : files("en", "", "")) all.push_back(f);
  for (auto f : files("en", "quantized", "_quantized")) all.push_back(f);
  VariantDir d(all);
  for (const char* dec : {"split", "merged"}) {
    CliResult r = wrun_cli("transcribe " + quote(d.path()) + " " + wav_ +
                           " --format json --variant fp16 --decoder " + dec);
    ASSERT_EQ(r.code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["model"]["variant"], "fp16");
    EXPECT_NE(j["model"]["encoder"].get<std::string>().find("encoder_model_fp16.onnx"),
              std::string::npos);
    EXPECT_EQ(window_tokens(r), case_tokens(std::string("en_fp16_") + dec + "_ts_short"));
  }
  // Unsuffixed files present: the default and fp32 take them.
  for (const char* v : {"", " --variant fp32"}) {
    CliResult r = wrun_cli("transcribe " + quote(d.path()) + " " + wav_ + " --format json" + v);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out)["model"]["variant"], "");
    EXPECT_EQ(window_tokens(r), case_tokens("en_merged_ts_short"));
  }
}

TEST_F(WhisperVariant, SeveralVariantsAndNoChoiceIsAOneLineError) {
  auto all = files("en_fp16", "", "_fp16");
  for (auto f : files("en", "quantized", "_quantized")) all.push_back(f);
  VariantDir d(all);
  EXPECT_TRUE(one_line_error(wrun_cli("transcribe " + quote(d.path()) + " " + wav_),
                             {"fp16", "quantized", "--variant"}));
  // Choosing one works.
  EXPECT_EQ(wrun_cli("transcribe " + quote(d.path()) + " " + wav_ + " --variant quantized").code,
            0);
}

// `wrun info` and `wrun run` show and run a float16 model as written, or widened with
// --widen-fp16.
TEST_F(WhisperVariant, InfoAndRunWidenFp16) {
  const std::string enc = quote(kFixtures + "/en_fp16/encoder_model.onnx");
  const std::string wrun = std::string(WRUN_BINARY_DIR) + "/wrun ";
  const std::string out = ::testing::TempDir() + "wrun_widen_info.json";
  ASSERT_EQ(std::system((wrun + "info " + enc + " --json >" + out).c_str()), 0);
  EXPECT_EQ(nlohmann::json::parse(slurp(out))["inputs"][0]["dtype"], "float16");
  ASSERT_EQ(std::system((wrun + "info " + enc + " --json --widen-fp16 >" + out).c_str()), 0);
  auto j = nlohmann::json::parse(slurp(out));
  EXPECT_EQ(j["inputs"][0]["dtype"], "float32");
  EXPECT_EQ(j["outputs"][0]["dtype"], "float32");

  // The first window of the short WAV's log-mel, as float32.
  NpyArray mel = read_npy(kFixtures + "/short_en_mel.npy");
  ASSERT_EQ(mel.shape.rank, 2);
  const int64_t mels = mel.shape.d[0], frames = mel.shape.d[1], window = 300;
  std::vector<float> feats(static_cast<size_t>(mels * window));
  const float* src = reinterpret_cast<const float*>(mel.data.data());
  for (int64_t m = 0; m < mels; ++m)
    for (int64_t t = 0; t < window; ++t) feats[m * window + t] = src[m * frames + t];
  const std::string in = ::testing::TempDir() + "wrun_widen_features.npy";
  write_npy(in, make_view(feats.data(), DType::kF32, Shape{1, mels, window}));
  const std::string dir = ::testing::TempDir() + "wrun_widen_run";
  const std::string run =
      "run " + enc + " --input input_features=" + quote(in) + " --output-dir " + quote(dir);
  EXPECT_TRUE(one_line_error(wrun_cli(run), {"float16"}));
  const CliResult widened = wrun_cli(run + " --widen-fp16");
  ASSERT_EQ(widened.code, 0) << widened.err;
  NpyArray got = read_npy(dir + "/last_hidden_state.npy");
  EXPECT_EQ(got.dtype, DType::kF32);
  // Close to the float32 encoder's output (float16 weights differ from it by ~1e-3).
  NpyArray ref = read_npy(kFixtures + "/short_en_encoder.npy");
  ASSERT_EQ(got.shape, ref.shape);
  const float *g = reinterpret_cast<const float*>(got.data.data()),
              *r = reinterpret_cast<const float*>(ref.data.data());
  double worst = 0, peak = 0;
  for (int64_t i = 0; i < ref.shape.numel(); ++i) {
    worst = std::max(worst, std::fabs(double(g[i]) - r[i]));
    peak = std::max(peak, std::fabs(double(r[i])));
  }
  EXPECT_LT(worst, 1e-2 * peak);
  EXPECT_GT(worst, 0.0);  // but not the float32 model
}

TEST_F(WhisperVariant, MissingVariantFileIsAOneLineError) {
  {
    VariantDir d(files("en", "quantized", "_quantized"));
    EXPECT_TRUE(
        one_line_error(wrun_cli("transcribe " + quote(d.path()) + " " + wav_ + " --variant int8"),
                       {"encoder_model_int8.onnx", "quantized"}));
    EXPECT_TRUE(
        one_line_error(wrun_cli("transcribe " + quote(d.path()) + " " + wav_ + " --variant fp32"),
                       {"encoder_model.onnx"}));
  }
  {
    // Only the merged decoder of the variant: --decoder split names the file it lacks.
    auto some = files("en", "quantized", "_quantized");
    some.erase(some.begin() + 1, some.begin() + 3);
    VariantDir d(some);
    EXPECT_EQ(wrun_cli("transcribe " + quote(d.path()) + " " + wav_ + " --variant quantized").code,
              0);
    EXPECT_TRUE(one_line_error(wrun_cli("transcribe " + quote(d.path()) + " " + wav_ +
                                        " --variant quantized --decoder split"),
                               {"decoder_model_quantized.onnx"}));
  }
  {
    // An encoder without any decoder.
    VariantDir d(std::vector<std::pair<std::string, std::string>>{
        {"encoder_model_q4.onnx", "en/encoder_model_quantized.onnx"}});
    EXPECT_TRUE(
        one_line_error(wrun_cli("transcribe " + quote(d.path()) + " " + wav_ + " --variant q4"),
                       {"decoder_model_merged_q4.onnx", "decoder_model_q4.onnx"}));
  }
}

}  // namespace
}  // namespace wrun
