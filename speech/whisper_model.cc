#include "speech/whisper_model.h"

#include <chrono>

#include "graph/error.h"

namespace wrun::speech {

namespace {

bool has_input(const Model& m, const std::string& name) {
  for (const auto& i : m.inputs())
    if (i.name == name) return true;
  return false;
}

const ValueInfo& input_info(const Model& m, const std::string& name, const std::string& file) {
  static thread_local std::vector<ValueInfo> infos;
  infos = m.inputs();
  for (const auto& i : infos)
    if (i.name == name) return i;
  fail("'", file, "' has no input '", name, "': not a Whisper decoder in Optimum's layout");
}

// Symbolic batch dims are bound to 1 (wrun decodes one stream per session).
void bound_batch(const Model& m, SessionOptions& so) {
  for (const auto& i : m.inputs())
    if (i.shape.rank > 0 && !i.shape.d[0].is_known()) so.dim_bounds[m.dim_str(i.shape.d[0])] = 1;
}

}  // namespace

WhisperModel::WhisperModel(const WhisperConfig& cfg, const WhisperRunOptions& opts) : cfg_(cfg) {
  auto t0 = std::chrono::steady_clock::now();
  SessionOptions base;
  base.threads = opts.threads;
  base.force_reference = opts.force_reference;

  encoder_ = Model::load(cfg.encoder);
  if (!has_input(*encoder_, "input_features"))
    fail("'", cfg.encoder, "' has no input 'input_features': not a Whisper encoder");
  SessionOptions eo = base;
  bound_batch(*encoder_, eo);
  enc_ = std::make_unique<Session>(encoder_, eo);

  if (cfg.merged()) {
    decoder_ = Model::load(cfg.decoder_merged);
    with_past_ = decoder_;
  } else {
    decoder_ = Model::load(cfg.decoder);
    with_past_ = Model::load(cfg.decoder_with_past);
  }
  const std::string& dec_file = cfg.merged() ? cfg.decoder_merged : cfg.decoder;
  const std::string& past_file = cfg.merged() ? cfg.decoder_merged : cfg.decoder_with_past;
  for (int i = 0; i < cfg.decoder_layers; ++i) {
    const std::string p = "past_key_values." + std::to_string(i), q = "present." + std::to_string(i);
    self_k_.push_back(p + ".decoder.key");
    self_v_.push_back(p + ".decoder.value");
    cross_k_.push_back(p + ".encoder.key");
    cross_v_.push_back(p + ".encoder.value");
    pres_k_.push_back(q + ".decoder.key");
    pres_v_.push_back(q + ".decoder.value");
    pres_ck_.push_back(q + ".encoder.key");
    pres_cv_.push_back(q + ".encoder.value");
    for (const auto* name : {&self_k_.back(), &self_v_.back(), &cross_k_.back(), &cross_v_.back()})
      input_info(*with_past_, *name, past_file);
  }
  for (const auto& o : decoder_->outputs()) vocab_ = o.name == "logits" && o.shape.rank == 3 &&
                                                         o.shape.d[2].is_known()
                                                     ? static_cast<int>(o.shape.d[2].value)
                                                     : vocab_;
  if (!vocab_) vocab_ = cfg.vocab_size;

  SessionOptions d0 = base;
  bound_batch(*decoder_, d0);
  dec0_ = std::make_unique<Session>(decoder_, d0);

  SessionOptions dp = base;
  bound_batch(*with_past_, dp);
  for (int i = 0; i < cfg.decoder_layers; ++i) {
    dp.caches.push_back(CacheBinding{self_k_[i], pres_k_[i], 2, cfg.n_text_ctx});
    dp.caches.push_back(CacheBinding{self_v_[i], pres_v_[i], 2, cfg.n_text_ctx});
  }
  dec_ = std::make_unique<Session>(with_past_, dp);

  if (cfg.merged()) {
    // The no-past branch still takes past inputs: empty ones.
    for (int i = 0; i < cfg.decoder_layers; ++i) {
      for (const auto* name : {&self_k_[i], &self_v_[i], &cross_k_[i], &cross_v_[i]}) {
        const ValueInfo& info = input_info(*decoder_, *name, dec_file);
        WRUN_CHECK(info.shape.rank == 4, "'", dec_file, "': ", *name, " is not rank 4");
        Shape s{1, info.shape.d[1].is_known() ? info.shape.d[1].value : cfg.decoder_heads, 0,
                info.shape.d[3].is_known() ? info.shape.d[3].value
                                           : cfg.d_model / std::max(1, cfg.decoder_heads)};
        empty_past_.emplace_back(1);
        dec0_->set_input(*name, make_view(empty_past_.back().data(), DType::kF32, s));
      }
    }
    dec0_->set_input("use_cache_branch", make_view(&use_cache_false_, DType::kBool, Shape{1}));
    dec_->set_input("use_cache_branch", make_view(&use_cache_true_, DType::kBool, Shape{1}));
  }
  load_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

WhisperModel::~WhisperModel() = default;

void WhisperModel::encode(const MelSpec& window) {
  WRUN_CHECK(window.n_mels == cfg_.n_mels && window.n_frames == cfg_.n_frames,
             "log-mel window is ", window.n_mels, "x", window.n_frames, ", the model expects ",
             cfg_.n_mels, "x", cfg_.n_frames);
  features_ = window.data;
  enc_->set_input("input_features",
                  make_view(features_.data(), DType::kF32, Shape{1, cfg_.n_mels, cfg_.n_frames}));
  enc_->run();
}

std::span<const float> WhisperModel::last_logits(const Session& s) const {
  TensorView l = s.output("logits");
  WRUN_CHECK(l.dtype == DType::kF32 && l.shape.rank == 3 && l.is_contiguous(),
             "decoder logits are not float32 [batch, tokens, vocab]");
  const int64_t t = l.shape.d[1], v = l.shape.d[2];
  WRUN_CHECK(t >= 1, "decoder returned no logits");
  return {l.as<const float>() + (t - 1) * v, static_cast<size_t>(v)};
}

std::span<const float> WhisperModel::start(std::span<const int64_t> prompt) {
  WRUN_CHECK(!prompt.empty() && static_cast<int64_t>(prompt.size()) < cfg_.n_text_ctx,
             "prompt of ", prompt.size(), " tokens does not fit the text context ", cfg_.n_text_ctx);
  ids_.assign(prompt.begin(), prompt.end());
  const TensorView hidden = enc_->output("last_hidden_state");
  dec0_->set_input("input_ids",
                   make_view(ids_.data(), DType::kI64, Shape{1, int64_t(ids_.size())}));
  dec0_->set_input("encoder_hidden_states", hidden);
  dec0_->run();
  for (int i = 0; i < cfg_.decoder_layers; ++i) {
    dec_->write_cache(self_k_[i], dec0_->output(pres_k_[i]));
    dec_->write_cache(self_v_[i], dec0_->output(pres_v_[i]));
    // Cross-attention K/V: computed once per window, read in place from the prompt run.
    dec_->set_input(cross_k_[i], dec0_->output(pres_ck_[i]));
    dec_->set_input(cross_v_[i], dec0_->output(pres_cv_[i]));
  }
  if (cfg_.merged()) dec_->set_input("encoder_hidden_states", hidden);
  length_ = static_cast<int64_t>(ids_.size());
  return last_logits(*dec0_);
}

std::span<const float> WhisperModel::step(int64_t token) {
  WRUN_CHECK(length_ > 0, "decoder step before the prompt");
  WRUN_CHECK(length_ < cfg_.n_text_ctx, "the text context of ", cfg_.n_text_ctx, " is full");
  token_ = token;
  dec_->set_input("input_ids", make_view(&token_, DType::kI64, Shape{1, 1}));
  dec_->run();
  ++length_;
  return last_logits(*dec_);
}

void WhisperModel::copy_state_from(const WhisperModel& other) {
  for (int i = 0; i < cfg_.decoder_layers; ++i) {
    dec_->write_cache(self_k_[i], other.dec_->cache_view(self_k_[i]));
    dec_->write_cache(self_v_[i], other.dec_->cache_view(self_v_[i]));
  }
  length_ = other.length_;
}

}  // namespace wrun::speech
