// CTC speech models: a folder with model.onnx (and optional variants model_NAME.onnx, e.g.
// model_quantized.onnx) whose metadata_props say how to run it:
//   wrun.decoder  = "ctc"
//   wrun.vocab    = JSON array of the output symbols in order, the CTC blank first
//   wrun.features = JSON object: {"type": "log_mel", "sample_rate": 16000, "n_fft": 400,
//                   "hop": 160, "n_mels": 80, "normalization": "whisper"}
// The model's one input is features [1, n_mels, frames]; its first output is per-frame scores
// [1, out_frames, vocab] (logits or log-probabilities). Decoding is greedy: the best symbol per
// frame, repeats merged, blanks dropped.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "runtime/session.h"
#include "speech/whisper_decode.h"

namespace wrun::speech {

struct FeatureSpec {
  int sample_rate = 16000, n_fft = 400, hop = 160, n_mels = 80;
  std::string normalization = "whisper";  // log10, clamp to max - 8, (x + 4) / 4
};

struct CtcConfig {
  std::string model_path;
  std::string variant;  // "" for model.onnx
  FeatureSpec features;
  std::vector<std::string> vocab;  // [0] is the blank
};

// True when DIR/model.onnx exists (the folder is then read as a CTC model).
bool is_ctc_folder(const std::string& dir);

struct CtcRunOptions {
  int threads = 1;
  bool force_reference = false;
  std::string variant = "auto";  // auto | fp32 (model.onnx) | NAME (model_NAME.onnx)
};

class CtcModel {
 public:
  CtcModel(const std::string& dir, const CtcRunOptions& opts);
  ~CtcModel();
  const CtcConfig& config() const { return cfg_; }
  // Transcribes mono samples at config().features.sample_rate.
  Transcript transcribe(const std::vector<float>& samples);
  double load_ms() const { return load_ms_; }

 private:
  CtcConfig cfg_;
  std::shared_ptr<const Model> model_;
  std::unique_ptr<Session> session_;
  std::string input_, output_;
  double load_ms_ = 0;
};

// Greedy CTC over scores [frames, vocab]: (symbol ids, frame of each id's first emission).
void ctc_greedy(const float* scores, int64_t frames, int64_t vocab, std::vector<int>* ids,
                std::vector<int64_t>* first_frames);

}  // namespace wrun::speech
