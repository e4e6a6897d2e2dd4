// wrun transcribe: speech to text with a Whisper export folder.
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "speech/audio.h"
#include "speech/recognizer.h"
#include "tools/args.h"
#include "tools/commands.h"

namespace wrun::tools {

namespace {

const char* kHelp =
    "usage: wrun transcribe MODEL_DIR AUDIO [options]\n"
    "\n"
    "Transcribes AUDIO (WAV, FLAC, OGG/Vorbis, MP3) with the model in MODEL_DIR: a Whisper\n"
    "export (Hugging Face Optimum layout: encoder_model.onnx and decoder_model.onnx +\n"
    "decoder_with_past_model.onnx, or decoder_model_merged.onnx, with their config and\n"
    "tokenizer files; float16 models run widened to float32; decoding follows\n"
    "docs/decoding.md), or a CTC model folder (model.onnx whose metadata holds wrun.decoder=ctc,\n"
    "wrun.vocab and wrun.features; greedy CTC decoding). Whisper options do not apply to CTC.\n"
    "  --format text|json|srt|vtt        output format (default text)\n"
    "  --language CODE                   multilingual models: skip language detection\n"
    "  --task transcribe|translate       multilingual models (default transcribe)\n"
    "  --no-timestamps                   decode without timestamp tokens\n"
    "  --beam N                          beam search with N beams (default 1: greedy)\n"
    "  --temperature-fallback            retry at higher temperatures on bad windows\n"
    "  --seed S                          sampling seed for the fallback (default 0)\n"
    "  --logprob-threshold X             fallback when avg log-prob < X (default -1.0)\n"
    "  --compression-ratio-threshold X   fallback when compression ratio > X (default 2.4)\n"
    "  --decoder split|merged|auto       which decoder files to use (default auto)\n"
    "  --variant fp32|fp16|quantized|NAME  which model files: fp32 the unsuffixed\n"
    "                                    encoder_model.onnx etc., NAME the files\n"
    "                                    encoder_model_NAME.onnx etc. (Optimum writes\n"
    "                                    _quantized, transformers.js _fp16, _int8, _q4...);\n"
    "                                    default: the unsuffixed files if present, else\n"
    "                                    the folder's only suffixed variant; CTC\n"
    "                                    folders: model.onnx or model_NAME.onnx\n"
    "  --threads N                       worker threads (default 1)\n"
    "  --reference                       force the reference kernel for every op\n"
    "  -o FILE                           write the output to FILE instead of stdout\n";

double parse_double(const std::string& s, const char* what) {
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || !std::isfinite(v)) fail(what, ": '", s, "' is not a number");
  return v;
}

std::string stamp(double t, char sep) {
  if (t < 0) t = 0;
  const long long ms = static_cast<long long>(std::llround(t * 1000));
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%02lld:%02lld:%02lld%c%03lld", ms / 3600000, ms / 60000 % 60,
                ms / 1000 % 60, sep, ms % 1000);
  return buf;
}

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\n\r"), b = s.find_last_not_of(" \t\n\r");
  return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

std::string render(const speech::Transcript& t, const speech::Recognizer& rec,
                   const std::string& format) {
  if (format == "text") return trim(t.text) + "\n";
  if (format == "srt" || format == "vtt") {
    std::string out = format == "vtt" ? "WEBVTT\n\n" : "";
    int n = 0;
    for (const auto& s : t.segments) {
      if (format == "srt") out += std::to_string(++n) + "\n";
      const char sep = format == "srt" ? ',' : '.';
      out += stamp(s.start, sep) + " --> " + stamp(s.end, sep) + "\n" + trim(s.text) + "\n\n";
    }
    return out;
  }
  nlohmann::json j;
  j["language"] = t.language;
  if (!t.language_probs.empty()) j["language_probs"] = t.language_probs;
  j["text"] = t.text;
  j["audio_seconds"] = t.audio_seconds;
  j["model"] = nlohmann::json::object();
  for (const auto& [k, v] : rec.describe()) j["model"][k] = v;
  j["segments"] = nlohmann::json::array();
  for (const auto& s : t.segments)
    j["segments"].push_back({{"start", s.start},
                             {"end", s.end},
                             {"text", s.text},
                             {"tokens", s.tokens},
                             {"avg_logprob", s.avg_logprob}});
  j["windows"] = nlohmann::json::array();
  for (const auto& w : t.windows)
    j["windows"].push_back({{"seek", w.seek},
                            {"temperature", w.temperature},
                            {"tokens", w.tokens},
                            {"avg_logprob", w.avg_logprob},
                            {"compression_ratio", w.compression_ratio},
                            {"attempts", w.attempts}});
  const auto& tm = t.timings;
  j["timings"] = {{"load_ms", tm.load_ms},
                  {"mel_ms", tm.mel_ms},
                  {"encoder_ms", tm.encoder_ms},
                  {"decoder_ms", tm.decoder_ms},
                  {"decoder_tokens", tm.decoder_tokens},
                  {"decoder_ms_per_token", tm.per_token_ms()}};
  return j.dump(2) + "\n";
}

}  // namespace

int cmd_transcribe(int argc, char** argv) {
  Args a =
      parse_args(argc, argv,
                 {"--format", "--language", "--task", "--beam", "--seed", "--logprob-threshold",
                  "--compression-ratio-threshold", "--decoder", "--variant", "--threads", "-o"},
                 {"--no-timestamps", "--temperature-fallback", "--reference", "--help", "-h"});
  if (a.flag("--help") || a.flag("-h")) {
    std::fputs(kHelp, stdout);
    return 0;
  }
  if (a.positional.size() != 2) fail("transcribe expects MODEL_DIR and AUDIO (see --help)");
  const std::string format = a.get("--format", "text");
  if (format != "text" && format != "json" && format != "srt" && format != "vtt")
    fail("--format must be text, json, srt or vtt, got '", format, "'");
  speech::DecodeOptions o;
  o.language = a.get("--language");
  o.task = a.get("--task", "transcribe");
  o.timestamps = !a.flag("--no-timestamps");
  o.beam = a.get_int("--beam", 1);
  o.temperature_fallback = a.flag("--temperature-fallback");
  if (a.flag("--seed")) {
    const std::string s = a.get("--seed");
    char* end = nullptr;
    o.seed = std::strtoull(s.c_str(), &end, 10);
    if (s.empty() || *end != '\0') fail("--seed: '", s, "' is not an unsigned integer");
  }
  if (a.flag("--logprob-threshold"))
    o.logprob_threshold = parse_double(a.get("--logprob-threshold"), "--logprob-threshold");
  if (a.flag("--compression-ratio-threshold"))
    o.compression_ratio_threshold =
        parse_double(a.get("--compression-ratio-threshold"), "--compression-ratio-threshold");

  const std::string dir = a.positional[0];
  // The audio first: a bad file is reported before the (slower) model load.
  auto audio = speech::read_audio(a.positional[1]);
  speech::RecognizerOptions rop;
  rop.decode = o;
  rop.threads = a.get_int("--threads", 1);
  WRUN_CHECK(rop.threads >= 1, "--threads must be at least 1");
  rop.force_reference = a.flag("--reference");
  rop.decoder = a.get("--decoder", "auto");
  rop.variant = a.get("--variant", "auto");
  if (rop.variant.empty())
    fail("--variant needs a name: fp32, fp16, quantized or the suffix of the model files");
  auto rec = speech::open_recognizer(dir, rop);
  const auto samples = speech::resample(audio.samples, audio.sample_rate, rec->sample_rate());
  const bool long_audio = rec->window_samples() && samples.size() > rec->window_samples();
  // One line updated in place on a terminal, one line per window otherwise (logs).
  const bool tty = isatty(2);
  auto progress = [&](double done, double total) {
    if (long_audio)
      std::fprintf(stderr, tty ? "\rwrun: %.1f / %.1f s" : "wrun: %.1f / %.1f s\n", done, total);
  };
  auto t = rec->transcribe(samples, progress);
  if (long_audio && tty) std::fprintf(stderr, "\n");
  const std::string out = render(t, *rec, format);
  if (a.flag("-o")) {
    FILE* f = std::fopen(a.get("-o").c_str(), "wb");
    if (!f) fail("cannot write '", a.get("-o"), "'");
    std::fwrite(out.data(), 1, out.size(), f);
    std::fclose(f);
  } else {
    std::fwrite(out.data(), 1, out.size(), stdout);
  }
  return 0;
}

}  // namespace wrun::tools
