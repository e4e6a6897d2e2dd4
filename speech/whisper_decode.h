// Whisper decoding as docs/decoding.md specifies it (openai/whisper's transcribe() and
// DecodingTask): prompt, logit filters, greedy / sampling / beam search, temperature fallback,
// and windows with timestamp-based seeking.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "speech/mel.h"
#include "speech/tokenizer.h"
#include "speech/whisper_config.h"
#include "speech/whisper_model.h"

namespace wrun::speech {

struct DecodeOptions {
  std::string language;  // "" = detect (multilingual models)
  std::string task = "transcribe";
  bool timestamps = true;
  int beam = 1;
  bool temperature_fallback = false;
  uint64_t seed = 0;
  double logprob_threshold = -1.0;
  double compression_ratio_threshold = 2.4;
  bool keep_logits = false;  // record every greedy step's raw logits (tests)
};

// splitmix64, the sampling generator of docs/decoding.md.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next();
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

struct WindowResult {
  int seek = 0;  // frames
  double temperature = 0;
  std::vector<int> tokens;  // sampled, without the final eot
  double avg_logprob = 0;
  double compression_ratio = 0;
  int attempts = 1;
  std::vector<float> logits;  // [steps, vocab] when keep_logits (greedy)
};

struct Segment {
  double start = 0, end = 0;
  std::vector<int> tokens;
  std::string text;
  double avg_logprob = 0;
};

struct Timings {
  double load_ms = 0, mel_ms = 0, encoder_ms = 0, decoder_ms = 0;
  int64_t decoder_tokens = 0;
  double per_token_ms() const { return decoder_tokens ? decoder_ms / decoder_tokens : 0; }
};

struct Transcript {
  std::string language;
  std::vector<double> language_probs;  // per lang_to_id entry, when detected
  std::string text;
  std::vector<Segment> segments;
  std::vector<WindowResult> windows;
  Timings timings;
  double audio_seconds = 0;
};

// zlib compression ratio of the text, as openai/whisper computes it (0 for empty text).
double compression_ratio(const std::string& text);

// Transcribes 16 kHz mono samples. `progress` (may be empty) is called after each window with
// the seconds done and the total.
Transcript transcribe(WhisperModel& model, const Tokenizer& tok, const std::vector<float>& samples,
                      const DecodeOptions& opts,
                      const std::function<void(double, double)>& progress = {});

}  // namespace wrun::speech
