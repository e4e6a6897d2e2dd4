#include "speech/whisper_config.h"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "graph/error.h"
#include "speech/file_variants.h"

namespace wrun::speech {

namespace {

bool exists(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

struct JsonFile {
  std::string path;
  nlohmann::json j;
  bool present = false;

  static JsonFile read(const std::string& path, bool required) {
    JsonFile f;
    f.path = path;
    std::ifstream in(path);
    if (!in) {
      if (required) fail("'", path, "' is missing: not a Whisper export folder?");
      return f;
    }
    try {
      f.j = nlohmann::json::parse(in);
    } catch (const std::exception& e) {
      fail("'", path, "' is not valid JSON: ", std::string(e.what()).substr(0, 120));
    }
    if (!f.j.is_object()) fail("'", path, "' is not a JSON object");
    f.present = true;
    return f;
  }
  bool has(const char* key) const { return present && j.contains(key) && !j[key].is_null(); }
  int get_int(const char* key) const {
    if (!has(key)) fail("'", path, "': missing key '", key, "'");
    if (!j[key].is_number_integer()) fail("'", path, "': key '", key, "' is not an integer");
    return j[key].get<int>();
  }
  std::vector<int> get_ints(const char* key) const {
    if (!has(key)) return {};
    if (!j[key].is_array()) fail("'", path, "': key '", key, "' is not a list");
    std::vector<int> v;
    for (const auto& x : j[key]) {
      if (!x.is_number_integer()) fail("'", path, "': key '", key, "' holds a non-integer");
      v.push_back(x.get<int>());
    }
    return v;
  }
};

// The first of the files that has the key.
int int_from(const char* key, std::initializer_list<const JsonFile*> files) {
  for (const JsonFile* f : files)
    if (f->has(key)) return f->get_int(key);
  std::string names;
  for (const JsonFile* f : files) names += (names.empty() ? "'" : " or '") + f->path + "'";
  fail(names, ": missing key '", key, "'");
}

}  // namespace

std::string WhisperConfig::file_name(const std::string& base) const {
  return base + (variant.empty() ? "" : "_" + variant) + ".onnx";
}

void WhisperConfig::choose_decoder(const std::string& which) {
  if (which == "auto") {
    use_merged = !decoder_merged.empty();
  } else if (which == "merged") {
    if (decoder_merged.empty()) fail("'", dir, "' has no ", file_name("decoder_model_merged"));
    use_merged = true;
  } else if (which == "split") {
    for (const char* base : {"decoder_model", "decoder_with_past_model"})
      if (!exists(dir + "/" + file_name(base))) fail("'", dir, "' has no ", file_name(base));
    use_merged = false;
  } else {
    fail("--decoder must be split, merged or auto, got '", which, "'");
  }
}

namespace {

// Whisper's ONNX files by base name; decoder_model_merged before decoder_model, which is its
// prefix.
const std::vector<std::string> kBases = {"decoder_model_merged", "decoder_with_past_model",
                                         "encoder_model", "decoder_model"};

}  // namespace

std::vector<std::string> whisper_variants(const std::string& dir) {
  return file_variants(dir, kBases);
}

WhisperConfig load_whisper_config(const std::string& dir, Tokenizer* tok_out,
                                  const std::string& variant) {
  WhisperConfig c;
  c.dir = dir;
  struct stat st;
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    fail("'", dir, "' is not a folder (expected a Whisper export folder)");

  // Which files: the variant asked for, or the one the folder makes obvious.
  const std::vector<std::string> found = whisper_variants(dir);
  auto has = [&](const std::string& v) {
    return std::find(found.begin(), found.end(), v) != found.end();
  };
  if (variant == "auto") {
    if (found.empty() || has(""))
      c.variant = "";
    else if (found.size() == 1)
      c.variant = found[0];
    else
      fail("'", dir, "' holds the Whisper file variants ", variant_list(found),
           " and no unsuffixed encoder_model.onnx: choose one with --variant");
  } else if (variant == "fp32" || variant.empty()) {
    // The unsuffixed files; a folder naming its float32 files *_fp32.onnx works too.
    c.variant = !has("") && has("fp32") ? "fp32" : "";
  } else {
    check_variant_name(variant);
    c.variant = variant;
  }
  const std::string asked = variant == "auto" ? "" : " (--variant " + variant + ")";
  auto path_of = [&](const char* base) {
    const std::string p = dir + "/" + c.file_name(base);
    return exists(p) ? p : std::string();
  };
  c.encoder = path_of("encoder_model");
  c.decoder_merged = path_of("decoder_model_merged");
  c.decoder = path_of("decoder_model");
  c.decoder_with_past = path_of("decoder_with_past_model");
  if (c.encoder.empty()) {
    std::string others;
    if (!found.empty()) others = "; the folder holds the variants " + variant_list(found);
    fail("'", dir, "/", c.file_name("encoder_model"), "' is missing", asked,
         found.empty() ? ": not a Whisper export folder" : others);
  }
  if (c.decoder_merged.empty() && (c.decoder.empty() || c.decoder_with_past.empty())) {
    const std::string missing =
        c.decoder.empty() ? c.file_name("decoder_model") : c.file_name("decoder_with_past_model");
    fail("'", dir, "' has no ", c.file_name("decoder_model_merged"), " and no ", missing, asked,
         ": one of decoder_model_merged or decoder_model with decoder_with_past_model is needed");
  }
  c.use_merged = !c.decoder_merged.empty();

  *tok_out = Tokenizer::load(dir);
  const Tokenizer& tok = *tok_out;
  const JsonFile cfg = JsonFile::read(dir + "/config.json", true);
  const JsonFile gen = JsonFile::read(dir + "/generation_config.json", true);
  const JsonFile pre = JsonFile::read(dir + "/preprocessor_config.json", false);

  if (cfg.present && cfg.j.value("model_type", "whisper") != "whisper")
    fail("'", cfg.path, "': model_type is '", cfg.j.value("model_type", ""), "', not whisper");
  c.n_mels = pre.has("feature_size") ? pre.get_int("feature_size") : cfg.get_int("num_mel_bins");
  if (cfg.has("num_mel_bins") && cfg.get_int("num_mel_bins") != c.n_mels)
    fail("'", pre.path, "': feature_size ", c.n_mels, " differs from num_mel_bins ",
         cfg.get_int("num_mel_bins"), " in '", cfg.path, "'");
  if (pre.has("sampling_rate")) c.sample_rate = pre.get_int("sampling_rate");
  if (pre.has("n_fft")) c.n_fft = pre.get_int("n_fft");
  if (pre.has("hop_length")) c.hop_length = pre.get_int("hop_length");
  c.n_audio_ctx = cfg.get_int("max_source_positions");
  c.n_frames = pre.has("nb_max_frames") ? pre.get_int("nb_max_frames") : 2 * c.n_audio_ctx;
  if (c.n_frames != 2 * c.n_audio_ctx)
    fail("'", pre.path, "': nb_max_frames ", c.n_frames, " is not twice max_source_positions ",
         c.n_audio_ctx, " of '", cfg.path, "'");
  if (c.sample_rate != 16000 || c.n_fft != 400 || c.hop_length != 160)
    fail("'", pre.path, "': only Whisper's front end (16000 Hz, n_fft 400, hop 160) is supported");
  c.n_text_ctx = cfg.get_int("max_target_positions");
  c.vocab_size = cfg.get_int("vocab_size");
  c.d_model = cfg.get_int("d_model");
  c.decoder_layers = cfg.get_int("decoder_layers");
  c.decoder_heads = cfg.get_int("decoder_attention_heads");

  c.sot = int_from("decoder_start_token_id", {&gen, &cfg});
  c.eot = int_from("eos_token_id", {&gen, &cfg});
  c.no_timestamps = gen.get_int("no_timestamps_token_id");
  c.timestamp_begin = c.no_timestamps + 1;
  if (gen.has("max_initial_timestamp_index"))
    c.max_initial_timestamp_index = gen.get_int("max_initial_timestamp_index");
  c.suppress_tokens = gen.has("suppress_tokens") ? gen.get_ints("suppress_tokens")
                                                 : cfg.get_ints("suppress_tokens");
  c.begin_suppress_tokens = gen.has("begin_suppress_tokens")
                                ? gen.get_ints("begin_suppress_tokens")
                                : cfg.get_ints("begin_suppress_tokens");
  if (gen.has("task_to_id")) {
    const auto& t = gen.j["task_to_id"];
    if (!t.is_object()) fail("'", gen.path, "': task_to_id is not an object");
    if (t.contains("transcribe")) c.transcribe = t["transcribe"].get<int>();
    if (t.contains("translate")) c.translate = t["translate"].get<int>();
  }
  if (gen.has("lang_to_id")) {
    const auto& l = gen.j["lang_to_id"];
    if (!l.is_object()) fail("'", gen.path, "': lang_to_id is not an object");
    for (const auto& [k, v] : l.items()) {
      if (!v.is_number_integer()) fail("'", gen.path, "': lang_to_id['", k, "'] is not an integer");
      std::string code = k;
      if (code.size() > 4 && code.rfind("<|", 0) == 0) code = code.substr(2, code.size() - 4);
      c.languages[code] = v.get<int>();
    }
  }
  c.multilingual = gen.present && gen.j.value("is_multilingual", !c.languages.empty());
  if (c.multilingual && c.languages.empty())
    fail("'", gen.path, "': is_multilingual is true but lang_to_id is missing");
  if (c.multilingual && c.transcribe < 0)
    fail("'", gen.path, "': missing key 'task_to_id' (transcribe) for a multilingual model");
  if (auto id = tok.id("<|startofprev|>")) c.sot_prev = *id;
  for (const char* ns : {"<|nospeech|>", "<|nocaptions|>"})
    if (auto id = tok.id(ns); id && c.no_speech < 0) c.no_speech = *id;

  // Consistency between the files.
  auto check_id = [&](int id, const char* what, const std::string& file) {
    if (id < 0 || id >= c.vocab_size)
      fail("'", file, "': ", what, " ", id, " is outside the vocabulary of ", c.vocab_size);
  };
  check_id(c.sot, "decoder_start_token_id", gen.path);
  check_id(c.eot, "eos_token_id", gen.path);
  check_id(c.no_timestamps, "no_timestamps_token_id", gen.path);
  if (tok.size() > c.vocab_size)
    fail("the tokenizer has ", tok.size(), " tokens, more than vocab_size ", c.vocab_size, " in '",
         cfg.path, "'");
  if (tok.size() > c.no_timestamps && tok.token(c.no_timestamps) != "<|notimestamps|>")
    fail("'", gen.path, "': no_timestamps_token_id ", c.no_timestamps, " is '",
         tok.token(c.no_timestamps), "' in the tokenizer, not <|notimestamps|>");
  return c;
}

}  // namespace wrun::speech
