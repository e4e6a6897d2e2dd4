#include "speech/recognizer.h"

#include "speech/ctc_model.h"

namespace wrun::speech {

namespace {

class WhisperRecognizer final : public Recognizer {
 public:
  WhisperRecognizer(const std::string& dir, const RecognizerOptions& o)
      : cfg_(load_whisper_config(dir, &tok_, o.variant)), opts_(o.decode) {
    cfg_.choose_decoder(o.decoder);
    WhisperRunOptions ro;
    ro.threads = o.threads;
    ro.force_reference = o.force_reference;
    model_ = std::make_unique<WhisperModel>(cfg_, ro);
  }
  std::string kind() const override { return "whisper"; }
  int sample_rate() const override { return 16000; }
  size_t window_samples() const override { return static_cast<size_t>(cfg_.n_samples()); }
  std::vector<std::pair<std::string, std::string>> describe() const override {
    // variant: the file-name suffix, "" for the unsuffixed files.
    return {{"kind", "whisper"},
            {"variant", cfg_.variant},
            {"encoder", cfg_.encoder},
            {"decoder", cfg_.merged() ? cfg_.decoder_merged : cfg_.decoder},
            {"decoder_with_past", cfg_.merged() ? cfg_.decoder_merged : cfg_.decoder_with_past}};
  }
  Transcript transcribe(const std::vector<float>& samples,
                        const std::function<void(double, double)>& progress) override {
    return speech::transcribe(*model_, tok_, samples, opts_, progress);
  }

 private:
  Tokenizer tok_;
  WhisperConfig cfg_;
  DecodeOptions opts_;
  std::unique_ptr<WhisperModel> model_;
};

class CtcRecognizer final : public Recognizer {
 public:
  CtcRecognizer(const std::string& dir, const RecognizerOptions& o)
      : model_(dir, CtcRunOptions{o.threads, o.force_reference, o.variant}) {}
  std::string kind() const override { return "ctc"; }
  int sample_rate() const override { return model_.config().features.sample_rate; }
  size_t window_samples() const override { return 0; }
  std::vector<std::pair<std::string, std::string>> describe() const override {
    return {{"kind", "ctc"},
            {"variant", model_.config().variant},
            {"model", model_.config().model_path}};
  }
  Transcript transcribe(const std::vector<float>& samples,
                        const std::function<void(double, double)>&) override {
    return model_.transcribe(samples);
  }

 private:
  CtcModel model_;
};

}  // namespace

std::unique_ptr<Recognizer> open_recognizer(const std::string& dir, const RecognizerOptions& o) {
  if (is_ctc_folder(dir)) return std::make_unique<CtcRecognizer>(dir, o);
  return std::make_unique<WhisperRecognizer>(dir, o);
}

}  // namespace wrun::speech
