// wrun eval: word and character error rates and real-time factor over a manifest.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "speech/audio.h"
#include "speech/recognizer.h"
#include "speech/text_score.h"
#include "tools/args.h"
#include "tools/commands.h"

namespace wrun::tools {

namespace {

const char* kHelp =
    "usage: wrun eval MODEL_DIR MANIFEST [options]\n"
    "\n"
    "Transcribes every utterance of MANIFEST with the model in MODEL_DIR (a Whisper export or a\n"
    "CTC model folder) and prints word error rate, character error rate and real-time factor.\n"
    "MANIFEST: UTF-8 TSV without header, one 'audio path<TAB>reference text' per line, paths\n"
    "relative to the manifest's folder. Both texts are normalized before scoring: lowercase,\n"
    "punctuation removed except apostrophes, hyphens to spaces, whitespace collapsed.\n"
    "RTF = processing seconds (audio decoding, features, model, decoding; not the model load)\n"
    "divided by audio seconds.\n"
    "  --json              print one JSON object (wer, cer as fractions; rtf; utterances; ...)\n"
    "  --details FILE      write per-utterance results (TSV with a header) to FILE\n"
    "  --limit N           only the first N utterances\n"
    "  --threads N         worker threads (default 1)\n"
    "  --beam N            Whisper: beam search with N beams (default 1: greedy)\n"
    "  --no-timestamps     Whisper: decode without timestamp tokens\n"
    "  --decoder split|merged|auto   Whisper: which decoder files (default auto)\n"
    "  --variant fp32|fp16|quantized|NAME  which model files (see transcribe --help)\n"
    "  --reference         force the reference kernel for every op\n";

struct Utterance {
  std::string path, text;
  int line = 0;
};

std::vector<Utterance> read_manifest(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) fail("cannot read manifest '", path, "'");
  const size_t slash = path.find_last_of('/');
  const std::string base = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  std::vector<Utterance> out;
  std::string line;
  int n = 0;
  while (std::getline(f, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    const size_t tab = line.find('\t');
    if (tab == std::string::npos || tab == 0)
      fail("'", path, "' line ", n, ": expected 'audio path<TAB>reference text'");
    Utterance u;
    u.path = line.substr(0, tab);
    if (u.path[0] != '/') u.path = base + u.path;
    u.text = line.substr(tab + 1);
    u.line = n;
    out.push_back(std::move(u));
  }
  if (out.empty()) fail("manifest '", path, "' has no utterances");
  return out;
}

std::string tsv_field(std::string s) {
  for (char& c : s)
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  return s;
}

}  // namespace

int cmd_eval(int argc, char** argv) {
  Args a = parse_args(argc, argv,
                      {"--details", "--limit", "--threads", "--beam", "--decoder", "--variant"},
                      {"--json", "--no-timestamps", "--reference", "--help", "-h"});
  if (a.flag("--help") || a.flag("-h")) {
    std::fputs(kHelp, stdout);
    return 0;
  }
  if (a.positional.size() != 2) fail("eval expects MODEL_DIR and MANIFEST (see --help)");
  auto utts = read_manifest(a.positional[1]);
  const int limit = a.get_int("--limit", 0);
  WRUN_CHECK(limit >= 0, "--limit must be positive");
  if (limit > 0 && static_cast<size_t>(limit) < utts.size()) utts.resize(limit);

  speech::RecognizerOptions ro;
  ro.threads = a.get_int("--threads", 1);
  WRUN_CHECK(ro.threads >= 1, "--threads must be at least 1");
  ro.force_reference = a.flag("--reference");
  ro.decoder = a.get("--decoder", "auto");
  ro.variant = a.get("--variant", "auto");
  ro.decode.beam = a.get_int("--beam", 1);
  ro.decode.timestamps = !a.flag("--no-timestamps");
  using Clock = std::chrono::steady_clock;
  const auto t_load = Clock::now();
  auto rec = speech::open_recognizer(a.positional[0], ro);
  const double load_ms = std::chrono::duration<double, std::milli>(Clock::now() - t_load).count();

  std::ofstream details;
  if (a.flag("--details")) {
    details.open(a.get("--details"), std::ios::binary);
    if (!details) fail("cannot write '", a.get("--details"), "'");
    details << "audio\tword_errors\twords\tchar_errors\tchars\tseconds\treference\thypothesis\n";
  }
  speech::ErrorCounts total;
  double audio_s = 0, proc_s = 0;
  const bool tty = isatty(2);
  auto last_progress = Clock::now();
  for (size_t i = 0; i < utts.size(); ++i) {
    const auto& u = utts[i];
    const auto t0 = Clock::now();
    const auto samples = speech::load_audio(u.path, rec->sample_rate());
    const auto tr = rec->transcribe(samples);
    proc_s += std::chrono::duration<double>(Clock::now() - t0).count();
    const double secs = double(samples.size()) / rec->sample_rate();
    audio_s += secs;
    const auto e = speech::score(tr.text, u.text);
    total += e;
    if (details)
      details << tsv_field(u.path) << '\t' << e.word_errors << '\t' << e.words << '\t'
              << e.char_errors << '\t' << e.chars << '\t' << secs << '\t'
              << speech::normalize_text(u.text) << '\t' << speech::normalize_text(tr.text) << '\n';
    // A progress line every 2 s (and at the end): long evaluations show they are alive.
    if (Clock::now() - last_progress > std::chrono::seconds(2) || i + 1 == utts.size()) {
      last_progress = Clock::now();
      std::fprintf(stderr,
                   tty ? "\rwrun: eval %zu/%zu, WER %.2f%%" : "wrun: eval %zu/%zu, WER %.2f%%\n",
                   i + 1, utts.size(), 100 * total.wer());
      if (tty && i + 1 == utts.size()) std::fprintf(stderr, "\n");
    }
  }
  if (details && !details.flush()) fail("cannot write '", a.get("--details"), "'");
  const double rtf = audio_s > 0 ? proc_s / audio_s : 0.0;
  if (a.flag("--json")) {
    nlohmann::json j = {{"model", a.positional[0]},
                        {"model_kind", rec->kind()},
                        {"manifest", a.positional[1]},
                        {"utterances", utts.size()},
                        {"wer", total.wer()},
                        {"cer", total.cer()},
                        {"rtf", rtf},
                        {"words", total.words},
                        {"word_errors", total.word_errors},
                        {"chars", total.chars},
                        {"char_errors", total.char_errors},
                        {"audio_seconds", audio_s},
                        {"processing_seconds", proc_s},
                        {"load_ms", load_ms},
                        {"threads", ro.threads}};
    std::printf("%s\n", j.dump(1).c_str());
  } else {
    std::printf("model       %s (%s)\n", a.positional[0].c_str(), rec->kind().c_str());
    std::printf("utterances  %zu (%.1f s of audio)\n", utts.size(), audio_s);
    std::printf("WER         %.2f%% (%lld errors / %lld words)\n", 100 * total.wer(),
                static_cast<long long>(total.word_errors), static_cast<long long>(total.words));
    std::printf("CER         %.2f%% (%lld errors / %lld characters)\n", 100 * total.cer(),
                static_cast<long long>(total.char_errors), static_cast<long long>(total.chars));
    std::printf("RTF         %.4f (%.1f s processing, %d thread%s; load %.0f ms)\n", rtf, proc_s,
                ro.threads, ro.threads == 1 ? "" : "s", load_ms);
  }
  return 0;
}

}  // namespace wrun::tools
