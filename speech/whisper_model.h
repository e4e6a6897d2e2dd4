// The ONNX side of Whisper: the encoder, and a decoder that runs the prompt once and then one
// token at a time with its self-attention KV cache in place. Hides whether the folder has split
// decoders (decoder_model + decoder_with_past_model) or the merged one.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "runtime/session.h"
#include "speech/mel.h"
#include "speech/whisper_config.h"

namespace wrun::speech {

struct WhisperRunOptions {
  int threads = 1;
  bool force_reference = false;
};

class WhisperModel {
 public:
  WhisperModel(const WhisperConfig& cfg, const WhisperRunOptions& opts);
  ~WhisperModel();

  const WhisperConfig& config() const { return cfg_; }
  // Encodes one window of log-mel [n_mels, n_frames]; cross-attention K/V follow on start().
  void encode(const MelSpec& window);
  // Runs the prompt on the encoded window and returns the logits of its last position. Every
  // decoder state's self-attention cache then holds the prompt.
  std::span<const float> start(std::span<const int64_t> prompt);
  // Appends one token to decoder state `state` and returns its logits. The cache grows in place.
  std::span<const float> step(int64_t token, int state = 0);
  // Tokens in state 0's cache (prompt + steps).
  int64_t length() const { return length_[0]; }
  // Decoder states (independent KV caches sharing the window), for beam search.
  void set_states(int n);
  int states() const { return static_cast<int>(dec_.size()); }
  // Makes state `dst` a copy of state `src` (its cache and length).
  void copy_state(int dst, int src);
  int vocab() const { return vocab_; }
  double load_ms() const { return load_ms_; }

 private:
  std::span<const float> last_logits(const Session& s) const;

  WhisperConfig cfg_;
  std::shared_ptr<const Model> encoder_, decoder_, with_past_;
  std::unique_ptr<Session> make_decoder();
  void bind_window(Session& s);

  SessionOptions dec_opts_;
  std::unique_ptr<Session> enc_, dec0_;
  std::vector<std::unique_ptr<Session>> dec_;
  std::vector<float> features_;
  std::vector<int64_t> ids_;
  std::vector<int64_t> token_;
  std::vector<std::string> self_k_, self_v_, cross_k_, cross_v_;  // cache input names
  std::vector<std::string> pres_k_, pres_v_, pres_ck_, pres_cv_;  // present output names
  std::vector<std::vector<float>> empty_past_;
  std::vector<int64_t> length_{0};
  int vocab_ = 0;
  double load_ms_ = 0;
};

}  // namespace wrun::speech
