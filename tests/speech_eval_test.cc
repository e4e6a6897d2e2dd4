// Scoring (normalization, edit distances), CTC decoding and CTC model folders, and `wrun eval`.
#include <gtest/gtest.h>
#include <sndfile.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <random>

#include "graph/error.h"
#include "speech/ctc_model.h"
#include "speech/mel.h"
#include "speech/recognizer.h"
#include "speech/text_score.h"
#include "tests/cli_util.h"
#include "tests/onnx_builder.h"

namespace wrun {
namespace {

using namespace wrun::test;  // NOLINT: model builders and CLI runner

TEST(TextScore, Normalization) {
  EXPECT_EQ(speech::normalize_text("  Hello, World!  "), "hello world");
  EXPECT_EQ(speech::normalize_text("It's twenty-three o'clock."), "it's twenty three o'clock");
  EXPECT_EQ(speech::normalize_text("A\tB\n\nC...d"), "a b c d");
  EXPECT_EQ(speech::normalize_text("\"Quoted\" (text); x_y"), "quoted text x y");
  EXPECT_EQ(speech::normalize_text("Café Ünïcode"), "café Ünïcode");
  EXPECT_EQ(speech::normalize_text("?!"), "");
}

TEST(TextScore, EditDistanceByHand) {
  using V = std::vector<std::string>;
  EXPECT_EQ(speech::edit_distance(V{}, V{}), 0);
  EXPECT_EQ(speech::edit_distance(V{"a", "b"}, V{}), 2);
  EXPECT_EQ(speech::edit_distance(V{}, V{"a", "b", "c"}), 3);
  EXPECT_EQ(speech::edit_distance(V{"the", "cat", "sat"}, V{"the", "cat", "sat"}), 0);
  EXPECT_EQ(speech::edit_distance(V{"the", "bat", "sat"}, V{"the", "cat", "sat"}), 1);
  EXPECT_EQ(speech::edit_distance(V{"cat", "sat"}, V{"the", "cat", "sat"}), 1);
  EXPECT_EQ(speech::edit_distance(V{"the", "cat", "sat", "down"}, V{"the", "cat", "sat"}), 1);
  const auto k = speech::code_points("kitten"), s = speech::code_points("sitting");
  EXPECT_EQ(speech::edit_distance(k, s), 3);
  EXPECT_EQ(speech::code_points("é").size(), 1u);
  EXPECT_EQ(speech::code_points("\xff"
                                "a")
                .size(),
            2u);  // an invalid byte is one symbol
}

// The DP against a brute-force recursion on short random strings.
int64_t brute(const std::vector<uint32_t>& a, size_t i, const std::vector<uint32_t>& b, size_t j) {
  if (i == a.size()) return static_cast<int64_t>(b.size() - j);
  if (j == b.size()) return static_cast<int64_t>(a.size() - i);
  return std::min({brute(a, i + 1, b, j) + 1, brute(a, i, b, j + 1) + 1,
                   brute(a, i + 1, b, j + 1) + (a[i] == b[j] ? 0 : 1)});
}

TEST(TextScore, EditDistanceMatchesBruteForce) {
  std::mt19937 rng(7);
  for (int it = 0; it < 300; ++it) {
    std::vector<uint32_t> a(rng() % 7), b(rng() % 7);
    for (auto& x : a) x = rng() % 3;
    for (auto& x : b) x = rng() % 3;
    ASSERT_EQ(speech::edit_distance(a, b), brute(a, 0, b, 0)) << it;
  }
}

TEST(TextScore, ScoreCountsWordsAndCharacters) {
  auto e = speech::score("The cat sat.", "the cat sat down");
  EXPECT_EQ(e.word_errors, 1);
  EXPECT_EQ(e.words, 4);
  EXPECT_EQ(e.chars, 16);       // "the cat sat down"
  EXPECT_EQ(e.char_errors, 5);  // " down" deleted
  speech::ErrorCounts t;
  t += e;
  t += speech::score("", "one two");
  EXPECT_EQ(t.word_errors, 3);
  EXPECT_EQ(t.words, 6);
  EXPECT_DOUBLE_EQ(t.wer(), 0.5);
}

TEST(Ctc, GreedyMergesRepeatsAndDropsBlanks) {
  // frames' best symbols: 1 1 0 1 2 2 0 0 3 -> "1 1 2 3" (the blank separates the repeated 1)
  const int best[] = {1, 1, 0, 1, 2, 2, 0, 0, 3};
  const int64_t v = 4, n = 9;
  std::vector<float> s(n * v, -5.0f);
  for (int64_t t = 0; t < n; ++t) s[t * v + best[t]] = -0.1f;
  std::vector<int> ids;
  std::vector<int64_t> frames;
  speech::ctc_greedy(s.data(), n, v, &ids, &frames);
  EXPECT_EQ(ids, (std::vector<int>{1, 1, 2, 3}));
  EXPECT_EQ(frames, (std::vector<int64_t>{0, 3, 4, 8}));
  speech::ctc_greedy(s.data(), 0, v, &ids, &frames);
  EXPECT_TRUE(ids.empty());
}

// A CTC "model" that hears tones: symbol 1 ("a") where the mel bin of 400 Hz is loud, symbol 2
// ("b") for 2.5 kHz, blank otherwise. scores = Transpose(features) @ W, W [n_mels, 3].
constexpr int kMels = 80;
int mel_bin_of(double hz) {
  const auto fb = speech::mel_filterbank(kMels);
  const int k = static_cast<int>(std::lround(hz / 16000.0 * 400));  // FFT bin of the tone
  int best = 0;
  for (int m = 1; m < kMels; ++m)
    if (fb[m * 201 + k] > fb[best * 201 + k]) best = m;
  return best;
}

onnx::ModelProto tone_model(const std::string& vocab_json, const std::string& features_json,
                            int n_mels = kMels, int n_out = 3, bool swap = false) {
  auto m = new_model();
  auto& g = *m.mutable_graph();
  add_input(g, "features", TP::FLOAT, {"1", std::to_string(n_mels), "frames"});
  std::vector<float> w(static_cast<size_t>(n_mels * n_out), 0.0f);
  if (n_out == 3 && n_mels == kMels) {
    w[mel_bin_of(400) * 3 + (swap ? 2 : 1)] = 1.0f;
    w[mel_bin_of(2500) * 3 + (swap ? 1 : 2)] = 1.0f;
  }
  set_raw(add_init(g, "W", TP::FLOAT, {n_mels, n_out}), w);
  auto* t = add_node(g, "Transpose", {"features"}, {"ft"});
  auto* perm = add_attr(t, "perm", onnx::AttributeProto::INTS);
  for (int p : {0, 2, 1}) perm->add_ints(p);
  add_node(g, "MatMul", {"ft", "W"}, {"log_probs"});
  add_output(g, "log_probs", TP::FLOAT, {"1", "out_frames", std::to_string(n_out)});
  add_metadata(m, "wrun.decoder", "ctc");
  if (!vocab_json.empty()) add_metadata(m, "wrun.vocab", vocab_json);
  if (!features_json.empty()) add_metadata(m, "wrun.features", features_json);
  return m;
}

const char* kVocab = R"(["<blank>", "a", "b"])";
const char* kFeatures =
    R"({"type": "log_mel", "sample_rate": 16000, "n_fft": 400, "hop": 160, "n_mels": 80,
        "normalization": "whisper"})";

// Tones of (hz, seconds); hz 0 is silence.
std::vector<float> tones(const std::vector<std::pair<double, double>>& parts) {
  std::vector<float> x;
  for (auto [hz, sec] : parts)
    for (int i = 0; i < static_cast<int>(sec * 16000); ++i)
      x.push_back(hz > 0 ? 0.5f * static_cast<float>(std::sin(2 * M_PI * hz * i / 16000.0)) : 0.0f);
  return x;
}

void write_wav(const std::string& path, const std::vector<float>& x) {
  SF_INFO info{};
  info.samplerate = 16000;
  info.channels = 1;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  ASSERT_NE(f, nullptr);
  sf_write_float(f, x.data(), static_cast<sf_count_t>(x.size()));
  sf_close(f);
}

TEST(Ctc, ToneModelTranscribes) {
  TempDir dir;
  write_file(dir.file("model.onnx"), serialize(tone_model(kVocab, kFeatures)));
  ASSERT_TRUE(speech::is_ctc_folder(dir.path));
  speech::RecognizerOptions o;
  auto rec = speech::open_recognizer(dir.path, o);
  EXPECT_EQ(rec->kind(), "ctc");
  const auto t = rec->transcribe(
      tones({{0, 0.3}, {400, 0.4}, {0, 0.3}, {400, 0.4}, {0, 0.3}, {2500, 0.5}, {0, 0.3}}));
  EXPECT_EQ(t.text, "aab");
  ASSERT_EQ(t.segments.size(), 1u);
  EXPECT_NEAR(t.segments[0].start, 0.3, 0.05);
  EXPECT_NEAR(t.segments[0].end, 2.2, 0.05);  // the end of the last non-blank frame
  EXPECT_EQ(rec->transcribe(tones({{0, 1.0}})).text, "");
}

// --variant NAME reads model_NAME.onnx; auto and fp32 read model.onnx; a missing variant is a
// one-line error naming the file and the variants present.
TEST(Ctc, VariantsPickTheirFile) {
  TempDir dir;
  write_file(dir.file("model.onnx"), serialize(tone_model(kVocab, kFeatures)));
  write_file(dir.file("model_swapped.onnx"),
             serialize(tone_model(kVocab, kFeatures, kMels, 3, /*swap=*/true)));
  const auto audio = tones({{0, 0.3}, {400, 0.4}, {0, 0.3}, {2500, 0.5}, {0, 0.3}});
  for (auto [variant, want] :
       {std::pair<std::string, std::string>{"auto", "ab"}, {"fp32", "ab"}, {"swapped", "ba"}}) {
    speech::RecognizerOptions o;
    o.variant = variant;
    auto rec = speech::open_recognizer(dir.path, o);
    EXPECT_EQ(rec->transcribe(audio).text, want) << variant;
  }
  speech::RecognizerOptions o;
  o.variant = "quantized";
  try {
    speech::open_recognizer(dir.path, o);
    ADD_FAILURE() << "no error for a missing variant";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("model_quantized.onnx"), std::string::npos) << msg;
    EXPECT_NE(msg.find("swapped"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

TEST(Ctc, BadMetadataIsAOneLineError) {
  struct Case {
    onnx::ModelProto model;
    std::string mentions;
  };
  std::vector<Case> cases = {
      {tone_model("", kFeatures), "wrun.vocab"},
      {tone_model(kVocab, ""), "wrun.features"},
      {tone_model("[\"<blank>\", 3]", kFeatures), "non-string"},
      {tone_model("{not json", kFeatures), "not valid JSON"},
      {tone_model(kVocab, R"({"type": "mfcc"})"), "mfcc"},
      {tone_model(kVocab, R"({"n_mels": -4})"), "n_mels"},
      {tone_model(kVocab, R"({"normalization": "per_utterance"})"), "normalization"},
      {tone_model(R"(["<blank>", "a", "b", "c"])", kFeatures), "size of wrun.vocab"},
      {tone_model(kVocab, R"({"n_mels": 40})"), "mel bins"},
  };
  auto other = tone_model(kVocab, kFeatures);
  other.mutable_metadata_props(0)->set_value("rnnt");
  cases.push_back({other, "only 'ctc'"});
  for (const auto& c : cases) {
    TempDir dir;
    write_file(dir.file("model.onnx"), serialize(c.model));
    try {
      speech::CtcModel m(dir.path, {});
      ADD_FAILURE() << "no error for " << c.mentions;
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(c.mentions), std::string::npos) << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    }
  }
}

TEST(Eval, ManifestScoresAndJson) {
  TempDir dir;
  write_file(dir.file("model.onnx"), serialize(tone_model(kVocab, kFeatures)));
  std::filesystem::create_directory(dir.file("audio"));
  write_wav(dir.file("audio/ab.wav"),
            tones({{0, 0.2}, {400, 0.4}, {0, 0.2}, {2500, 0.4}, {0, 0.2}}));
  write_wav(dir.file("audio/a.wav"), tones({{0, 0.2}, {400, 0.4}, {0, 0.2}}));
  // Hypotheses: "ab" and "a". References: "ab" (0 errors) and "a b" (1 word, 2 char errors).
  write_file(dir.file("m.tsv"), "audio/ab.wav\tAB!\n\naudio/a.wav\ta-b\n");
  auto r =
      wrun("eval " + dir.path + " " + dir.file("m.tsv") + " --json --details " + dir.file("d.tsv"));
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["utterances"], 2);
  EXPECT_EQ(j["words"], 3);
  EXPECT_EQ(j["word_errors"], 1);  // "a" vs "a b": one deletion; "ab" vs "ab": none
  EXPECT_NEAR(j["wer"].get<double>(), 1.0 / 3.0, 1e-12);
  EXPECT_EQ(j["chars"], 5);        // "ab" + "a b"
  EXPECT_EQ(j["char_errors"], 2);  // " b" deleted
  EXPECT_NEAR(j["cer"].get<double>(), 0.4, 1e-12);
  EXPECT_GT(j["rtf"].get<double>(), 0.0);
  EXPECT_NEAR(j["audio_seconds"].get<double>(), 2.2, 1e-6);
  const std::string details = slurp(dir.file("d.tsv"));
  EXPECT_NE(details.find("\ta b\ta\n"), std::string::npos) << details;
  auto text = wrun("eval " + dir.path + " " + dir.file("m.tsv"));
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("WER         33.33% (1 errors / 3 words)"), std::string::npos)
      << text.out;
}

TEST(Eval, BadManifestsAreOneLineErrors) {
  TempDir dir;
  write_file(dir.file("model.onnx"), serialize(tone_model(kVocab, kFeatures)));
  write_file(dir.file("notab.tsv"), "audio.wav the text\n");
  write_file(dir.file("empty.tsv"), "\n\n");
  write_file(dir.file("missing.tsv"), "nowhere.wav\thello\n");
  EXPECT_TRUE(one_line_error(wrun("eval " + dir.path + " " + dir.file("notab.tsv")), "line 1"));
  EXPECT_TRUE(
      one_line_error(wrun("eval " + dir.path + " " + dir.file("empty.tsv")), "no utterances"));
  EXPECT_TRUE(
      one_line_error(wrun("eval " + dir.path + " " + dir.file("missing.tsv")), "nowhere.wav"));
  EXPECT_TRUE(
      one_line_error(wrun("eval " + dir.path + " " + dir.file("nothere.tsv")), "nothere.tsv"));
  EXPECT_TRUE(one_line_error(wrun("eval " + dir.path), "MANIFEST"));
}

}  // namespace
}  // namespace wrun
