#include "speech/ctc_model.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>

#include "graph/error.h"
#include "speech/file_variants.h"
#include "speech/mel.h"

namespace wrun::speech {

namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

const std::string* metadata(const Model& m, const std::string& key) {
  for (const auto& [k, v] : m.ir().metadata)
    if (k == key) return &v;
  return nullptr;
}

nlohmann::json parse_json_prop(const Model& m, const std::string& path, const std::string& key) {
  const std::string* v = metadata(m, key);
  if (!v) fail("'", path, "': metadata_props has no '", key, "'");
  try {
    return nlohmann::json::parse(*v);
  } catch (const std::exception& e) {
    fail("'", path, "': metadata '", key,
         "' is not valid JSON: ", std::string(e.what()).substr(0, 120));
  }
}

int json_int(const nlohmann::json& j, const char* key, int def, const std::string& path) {
  if (!j.contains(key)) return def;
  if (!j[key].is_number_integer() || j[key].get<int64_t>() <= 0 || j[key].get<int64_t>() > 1 << 20)
    fail("'", path, "': wrun.features '", key, "' is not a positive integer");
  return j[key].get<int>();
}

CtcConfig read_config(const Model& m, const std::string& path) {
  const std::string* dec = metadata(m, "wrun.decoder");
  if (!dec) fail("'", path, "': metadata_props has no 'wrun.decoder': not a wrun CTC model");
  if (*dec != "ctc") fail("'", path, "': wrun.decoder is '", *dec, "', only 'ctc' is supported");
  CtcConfig c;
  c.model_path = path;
  const auto vocab = parse_json_prop(m, path, "wrun.vocab");
  if (!vocab.is_array() || vocab.size() < 2)
    fail("'", path, "': wrun.vocab must be a JSON array of at least 2 symbols (blank first)");
  for (const auto& s : vocab) {
    if (!s.is_string()) fail("'", path, "': wrun.vocab holds a non-string");
    c.vocab.push_back(s.get<std::string>());
  }
  const auto f = parse_json_prop(m, path, "wrun.features");
  if (!f.is_object()) fail("'", path, "': wrun.features must be a JSON object");
  if (f.value("type", std::string("log_mel")) != "log_mel")
    fail("'", path, "': wrun.features type '", f["type"].dump(), "' is not supported (log_mel)");
  auto& fs = c.features;
  fs.sample_rate = json_int(f, "sample_rate", fs.sample_rate, path);
  fs.n_fft = json_int(f, "n_fft", fs.n_fft, path);
  fs.hop = json_int(f, "hop", fs.hop, path);
  fs.n_mels = json_int(f, "n_mels", fs.n_mels, path);
  if (f.contains("normalization")) {
    if (!f["normalization"].is_string() || f["normalization"] != "whisper")
      fail("'", path, "': wrun.features normalization ", f["normalization"].dump(),
           " is not supported (whisper)");
  }
  if (fs.n_fft % 2 != 0) fail("'", path, "': wrun.features n_fft must be even");
  return c;
}

}  // namespace

bool is_ctc_folder(const std::string& dir) {
  struct stat st {};
  return ::stat((dir + "/model.onnx").c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

void ctc_greedy(const float* scores, int64_t frames, int64_t vocab, std::vector<int>* ids,
                std::vector<int64_t>* first_frames) {
  ids->clear();
  first_frames->clear();
  int prev = 0;
  for (int64_t t = 0; t < frames; ++t) {
    const float* row = scores + t * vocab;
    int best = 0;
    for (int64_t k = 1; k < vocab; ++k)
      if (row[k] > row[best]) best = static_cast<int>(k);  // ties: the lowest id, as argmax
    if (best != 0 && best != prev) {
      ids->push_back(best);
      first_frames->push_back(t);
    }
    prev = best;
  }
}

CtcModel::CtcModel(const std::string& dir, const CtcRunOptions& opts) {
  const auto t0 = Clock::now();
  const std::string variant = opts.variant == "auto" || opts.variant == "fp32" ? "" : opts.variant;
  check_variant_name(variant);
  const std::string path = dir + "/model" + (variant.empty() ? "" : "_" + variant) + ".onnx";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    fail("'", path, "' is missing (--variant ", opts.variant, "); the folder holds the variants ",
         variant_list(file_variants(dir, {"model"})));
  model_ = Model::load(path);
  cfg_ = read_config(*model_, path);
  cfg_.variant = variant;
  const auto ins = model_->inputs();
  const auto outs = model_->outputs();
  if (ins.size() != 1) fail("'", path, "': a CTC model has one input (features), not ", ins.size());
  if (outs.empty()) fail("'", path, "' has no outputs");
  const auto& in = ins[0];
  if (in.dtype != DType::kF32 || in.shape.rank != 3)
    fail("'", path, "': input '", in.name, "' must be float32 [1, n_mels, frames]");
  if (in.shape.d[1].is_known() && in.shape.d[1].value != cfg_.features.n_mels)
    fail("'", path, "': input '", in.name, "' has ", in.shape.d[1].value,
         " mel bins, wrun.features says ", cfg_.features.n_mels);
  const auto& out = outs[0];
  if (out.shape.rank != 3 || (out.shape.d[2].is_known() &&
                              out.shape.d[2].value != static_cast<int64_t>(cfg_.vocab.size())))
    fail("'", path, "': output '", out.name, "' must be [1, frames, ", cfg_.vocab.size(),
         "] (the size of wrun.vocab)");
  input_ = in.name;
  output_ = out.name;
  SessionOptions so;
  so.threads = opts.threads;
  so.force_reference = opts.force_reference;
  if (!in.shape.d[0].is_known()) so.dim_bounds[model_->dim_str(in.shape.d[0])] = 1;
  session_ = std::make_unique<Session>(model_, so);
  load_ms_ = ms_since(t0);
}

CtcModel::~CtcModel() = default;

Transcript CtcModel::transcribe(const std::vector<float>& samples) {
  Transcript t;
  const auto& fs = cfg_.features;
  t.audio_seconds = double(samples.size()) / fs.sample_rate;
  t.timings.load_ms = load_ms_;
  t.language = "en";
  auto t0 = Clock::now();
  const MelSpec mel = log_mel(samples, fs.n_mels, fs.n_fft, fs.hop);
  t.timings.mel_ms = ms_since(t0);

  t0 = Clock::now();
  std::vector<float> feats = mel.data;  // [n_mels, frames] is [1, n_mels, frames]
  session_->set_input(input_,
                      make_view(feats.data(), DType::kF32, Shape{1, mel.n_mels, mel.n_frames}));
  session_->run();
  const TensorView out = session_->output(output_);
  t.timings.encoder_ms = ms_since(t0);

  t0 = Clock::now();
  const int64_t vocab = static_cast<int64_t>(cfg_.vocab.size());
  if (out.dtype != DType::kF32 || out.shape.rank != 3 || out.shape.d[0] != 1 ||
      out.shape.d[2] != vocab || !out.is_contiguous())
    fail("'", cfg_.model_path, "': output '", output_, "' is ", out.shape.str(), ", expected [1, ",
         "frames, ", vocab, "]");
  const int64_t frames = out.shape.d[1];
  const float* scores = out.as<const float>();
  std::vector<int> ids;
  std::vector<int64_t> first;
  ctc_greedy(scores, frames, vocab, &ids, &first);
  std::string text;
  for (int id : ids) text += cfg_.vocab[static_cast<size_t>(id)];
  // Frame times: output frames evenly cover the input frames.
  const double sec_per_frame = frames ? t.audio_seconds / double(frames) : 0.0;
  Segment seg;
  seg.text = text;
  seg.tokens = ids;
  seg.start = first.empty() ? 0.0 : double(first.front()) * sec_per_frame;
  double lp = 0;  // mean best score per frame: the log-probability when the output is log-softmax
  int64_t last = -1;  // the last frame whose best symbol is not the blank
  for (int64_t f = 0; f < frames; ++f) {
    const float* row = scores + f * vocab;
    const float* best = std::max_element(row, row + vocab);
    lp += *best;
    if (best != row) last = f;
  }
  seg.end = double(last + 1) * sec_per_frame;
  seg.avg_logprob = frames ? lp / double(frames) : 0.0;
  t.text = text;
  if (!ids.empty()) t.segments.push_back(seg);
  t.timings.decoder_ms = ms_since(t0);
  t.timings.decoder_tokens = static_cast<int64_t>(ids.size());
  return t;
}

}  // namespace wrun::speech
