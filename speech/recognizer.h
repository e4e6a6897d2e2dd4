// One entry point for every model folder wrun transcribes: a Whisper export (Optimum layout) or
// a CTC model (model.onnx with wrun.* metadata). The folder's files decide which.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "speech/whisper_decode.h"

namespace wrun::speech {

struct RecognizerOptions {
  DecodeOptions decode;          // Whisper decoding (CTC models decode greedily)
  std::string decoder = "auto";  // Whisper: split | merged | auto
  std::string variant = "auto";  // fp32 | fp16 | quantized | NAME | auto (file-name suffix)
  int threads = 1;
  bool force_reference = false;
};

class Recognizer {
 public:
  virtual ~Recognizer() = default;
  virtual std::string kind() const = 0;  // "whisper" or "ctc"
  virtual int sample_rate() const = 0;
  // Samples are mono at sample_rate(). `progress` as for speech::transcribe.
  virtual Transcript transcribe(const std::vector<float>& samples,
                                const std::function<void(double, double)>& progress = {}) = 0;
  // Samples of one decoding window (longer input is decoded window by window); 0: no windows.
  virtual size_t window_samples() const = 0;
  // What was loaded, as (key, value) pairs: kind, variant, files.
  virtual std::vector<std::pair<std::string, std::string>> describe() const = 0;
};

std::unique_ptr<Recognizer> open_recognizer(const std::string& dir, const RecognizerOptions& o);

}  // namespace wrun::speech
