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

  // float16 exports (found by their dtypes, whatever the file names) run as float32: the speech
  // code feeds float32 features and caches and reads float32 logits either way.
  ModelOptions mo;
  mo.widen_fp16 = true;
  encoder_ = Model::load(cfg.encoder, mo);
  if (!has_input(*encoder_, "input_features"))
    fail("'", cfg.encoder, "' has no input 'input_features': not a Whisper encoder");
  SessionOptions eo = base;
  bound_batch(*encoder_, eo);
  enc_ = std::make_unique<Session>(encoder_, eo);

  if (cfg.merged()) {
    // One load; two specialisations of its If on use_cache_branch, sharing the weights. The
    // with-past one then holds Concat(past, new) at top level, so its caches grow in place.
    auto merged = Model::load(cfg.decoder_merged, mo);
    if (!has_input(*merged, "use_cache_branch"))
      fail("'", cfg.decoder_merged, "' has no input 'use_cache_branch'");
    auto flag = [](bool on) {
      uint8_t b = on;
      return graph::Constant::copy_of(DType::kBool, Shape{1}, &b);
    };
    decoder_ = merged->specialize({{"use_cache_branch", flag(false)}});
    with_past_ = merged->specialize({{"use_cache_branch", flag(true)}});
  } else {
    decoder_ = Model::load(cfg.decoder, mo);
    // The two files hold the same decoder weights: keep one copy.
    ModelOptions share = mo;
    share.share_weights_with = decoder_.get();
    with_past_ = Model::load(cfg.decoder_with_past, share);
  }
  const std::string& dec_file = cfg.merged() ? cfg.decoder_merged : cfg.decoder;
  const std::string& past_file = cfg.merged() ? cfg.decoder_merged : cfg.decoder_with_past;
  for (int i = 0; i < cfg.decoder_layers; ++i) {
    const std::string p = "past_key_values." + std::to_string(i),
                      q = "present." + std::to_string(i);
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
  for (const auto& o : decoder_->outputs())
    vocab_ = o.name == "logits" && o.shape.rank == 3 && o.shape.d[2].is_known()
                 ? static_cast<int>(o.shape.d[2].value)
                 : vocab_;
  if (!vocab_) vocab_ = cfg.vocab_size;

  SessionOptions d0 = base;
  bound_batch(*decoder_, d0);
  dec0_ = std::make_unique<Session>(decoder_, d0);

  dec_opts_ = base;
  bound_batch(*with_past_, dec_opts_);
  for (int i = 0; i < cfg.decoder_layers; ++i) {
    dec_opts_.caches.push_back(CacheBinding{self_k_[i], pres_k_[i], 2, cfg.n_text_ctx});
    dec_opts_.caches.push_back(CacheBinding{self_v_[i], pres_v_[i], 2, cfg.n_text_ctx});
  }
  set_states(1);

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
  }
  load_ms_ =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

WhisperModel::~WhisperModel() = default;

void WhisperModel::encode(const MelSpec& window) {
  WRUN_CHECK(window.n_mels == cfg_.n_mels && window.n_frames == cfg_.n_frames, "log-mel window is ",
             window.n_mels, "x", window.n_frames, ", the model expects ", cfg_.n_mels, "x",
             cfg_.n_frames);
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

std::unique_ptr<Session> WhisperModel::make_decoder() {
  return std::make_unique<Session>(with_past_, dec_opts_);
}

void WhisperModel::set_states(int n) {
  WRUN_CHECK(n >= 1 && n <= 64, "decoder states must be 1..64, got ", n);
  while (static_cast<int>(dec_.size()) < n) dec_.push_back(make_decoder());
  dec_.resize(n);
  token_.resize(n);
  length_.resize(n, 0);
}

// Cross-attention K/V (computed once per window by the prompt run) and, for the merged
// decoder, the encoder states: read in place from the prompt session's outputs.
void WhisperModel::bind_window(Session& s) {
  for (int i = 0; i < cfg_.decoder_layers; ++i) {
    s.set_input(cross_k_[i], dec0_->output(pres_ck_[i]));
    s.set_input(cross_v_[i], dec0_->output(pres_cv_[i]));
  }
  if (cfg_.merged()) s.set_input("encoder_hidden_states", enc_->output("last_hidden_state"));
}

std::span<const float> WhisperModel::start(std::span<const int64_t> prompt) {
  WRUN_CHECK(!prompt.empty() && static_cast<int64_t>(prompt.size()) < cfg_.n_text_ctx, "prompt of ",
             prompt.size(), " tokens does not fit the text context ", cfg_.n_text_ctx);
  ids_.assign(prompt.begin(), prompt.end());
  dec0_->set_input("input_ids",
                   make_view(ids_.data(), DType::kI64, Shape{1, int64_t(ids_.size())}));
  dec0_->set_input("encoder_hidden_states", enc_->output("last_hidden_state"));
  dec0_->run();
  for (size_t k = 0; k < dec_.size(); ++k) {
    Session& s = *dec_[k];
    for (int i = 0; i < cfg_.decoder_layers; ++i) {
      s.write_cache(self_k_[i], dec0_->output(pres_k_[i]));
      s.write_cache(self_v_[i], dec0_->output(pres_v_[i]));
    }
    bind_window(s);
    length_[k] = static_cast<int64_t>(ids_.size());
  }
  return last_logits(*dec0_);
}

std::span<const float> WhisperModel::step(int64_t token, int state) {
  WRUN_CHECK(state >= 0 && state < states(), "decoder state ", state, " out of range");
  WRUN_CHECK(length_[state] > 0, "decoder step before the prompt");
  WRUN_CHECK(length_[state] < cfg_.n_text_ctx, "the text context of ", cfg_.n_text_ctx, " is full");
  token_[state] = token;
  Session& s = *dec_[state];
  s.set_input("input_ids", make_view(&token_[state], DType::kI64, Shape{1, 1}));
  s.run();
  ++length_[state];
  return last_logits(s);
}

void WhisperModel::copy_state(int dst, int src) {
  WRUN_CHECK(dst >= 0 && dst < states() && src >= 0 && src < states(),
             "decoder state out of range");
  if (dst == src) return;
  for (int i = 0; i < cfg_.decoder_layers; ++i) {
    dec_[dst]->write_cache(self_k_[i], dec_[src]->cache_view(self_k_[i]));
    dec_[dst]->write_cache(self_v_[i], dec_[src]->cache_view(self_v_[i]));
  }
  length_[dst] = length_[src];
}

}  // namespace wrun::speech
