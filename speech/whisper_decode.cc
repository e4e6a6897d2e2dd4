#include "speech/whisper_decode.h"

#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "graph/error.h"

namespace wrun::speech {

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();
using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

void log_softmax(const std::vector<double>& x, std::vector<double>& out) {
  double m = kNegInf;
  for (double v : x) m = std::max(m, v);
  out.resize(x.size());
  if (m == kNegInf) {  // everything suppressed: nothing is possible
    std::fill(out.begin(), out.end(), kNegInf);
    return;
  }
  double sum = 0;
  for (double v : x) sum += std::exp(v - m);
  const double lse = m + std::log(sum);
  for (size_t i = 0; i < x.size(); ++i) out[i] = x[i] - lse;
}

int argmax(const std::vector<double>& x) {  // the first maximum wins
  int best = 0;
  for (int i = 1; i < static_cast<int>(x.size()); ++i)
    if (x[i] > x[best]) best = i;
  return best;
}

// What decoding one window needs besides the model.
struct Task {
  const WhisperConfig& c;
  const Tokenizer& tok;
  const DecodeOptions& opts;
  std::vector<int64_t> prompt;
  std::vector<int> suppress;
  int sample_len = 0;
  int vocab = 0;

  // The logit filters of docs/decoding.md, in order, for the sequence `seq`.
  void filter(const std::vector<int64_t>& seq, std::vector<double>& l,
              std::vector<double>& scratch) const {
    const size_t sample_begin = prompt.size();
    const int tb = c.timestamp_begin, n = static_cast<int>(l.size());
    auto kill = [&](int from, int to) {
      for (int i = std::max(from, 0); i < std::min(to, n); ++i) l[i] = kNegInf;
    };
    if (seq.size() == sample_begin)
      for (int t : c.begin_suppress_tokens) kill(t, t + 1);
    for (int t : suppress) kill(t, t + 1);
    if (!opts.timestamps) return;
    kill(c.no_timestamps, c.no_timestamps + 1);
    const size_t ns = seq.size() - sample_begin;
    const bool last = ns >= 1 && seq.back() >= tb;
    const bool penult = ns < 2 || seq[seq.size() - 2] >= tb;
    if (last) {
      if (penult)
        kill(tb, n);
      else
        kill(0, c.eot);
    }
    for (size_t i = seq.size(); i-- > sample_begin;)
      if (seq[i] >= tb) {
        const int t = static_cast<int>(seq[i]);
        kill(tb, (last && !penult) ? t : t + 1);
        break;
      }
    if (seq.size() == sample_begin) {
      kill(0, tb);
      kill(tb + c.max_initial_timestamp_index + 1, n);
    }
    log_softmax(l, scratch);
    double m = kNegInf;
    for (int i = tb; i < n; ++i) m = std::max(m, scratch[i]);
    double ts = kNegInf;
    if (m > kNegInf) {
      double s = 0;
      for (int i = tb; i < n; ++i) s += std::exp(scratch[i] - m);
      ts = m + std::log(s);
    }
    double text = kNegInf;
    for (int i = 0; i < std::min(tb, n); ++i) text = std::max(text, scratch[i]);
    if (ts > text) kill(0, tb);
  }

  std::string text_of(const std::vector<int>& tokens) const {
    std::vector<int> ids;
    for (int t : tokens)
      if (t < c.eot) ids.push_back(t);
    return tok.decode(ids);
  }
};

int sample(const std::vector<double>& l, double temperature, SplitMix64& rng) {
  double m = kNegInf;
  for (double v : l) m = std::max(m, v / temperature);
  std::vector<double> p(l.size());
  double sum = 0;
  for (size_t i = 0; i < l.size(); ++i) {
    p[i] = l[i] == kNegInf ? 0.0 : std::exp(l[i] / temperature - m);
    sum += p[i];
  }
  for (double& v : p) v /= sum;
  const double u = rng.uniform();
  double run = 0;
  int last_positive = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    run += p[i];
    if (p[i] > 0) last_positive = static_cast<int>(i);
    if (run > u) return static_cast<int>(i);
  }
  return last_positive;
}

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\n\r"), b = s.find_last_not_of(" \t\n\r");
  return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

// One sequence at temperature 0 (greedy) or T > 0 (sampling).
WindowResult decode_single(WhisperModel& model, const Task& task, double temperature,
                           SplitMix64& rng, Timings& tm) {
  WindowResult r;
  r.temperature = temperature;
  std::vector<int64_t> seq = task.prompt;
  auto t0 = Clock::now();
  std::span<const float> logits = model.start(task.prompt);
  ++tm.decoder_tokens;
  std::vector<double> l, lp, scratch;
  double sum = 0;
  const int eot = task.c.eot;
  for (int i = 0; i < task.sample_len; ++i) {
    if (task.opts.keep_logits && temperature == 0)
      r.logits.insert(r.logits.end(), logits.begin(), logits.end());
    l.assign(logits.begin(), logits.end());
    task.filter(seq, l, scratch);
    log_softmax(l, lp);
    const int tok = temperature == 0 ? argmax(l) : sample(l, temperature, rng);
    sum += lp[tok];
    seq.push_back(tok);
    if (tok == eot || static_cast<int>(seq.size()) > task.c.n_text_ctx) break;
    if (i + 1 < task.sample_len) {
      logits = model.step(tok);
      ++tm.decoder_tokens;
    }
  }
  tm.decoder_ms += ms_since(t0);
  for (size_t i = task.prompt.size(); i < seq.size(); ++i)
    if (seq[i] != eot) r.tokens.push_back(static_cast<int>(seq[i]));
  r.avg_logprob = sum / (double(r.tokens.size()) + 1);
  return r;
}

// Beam search with N beams (openai's BeamSearchDecoder, patience 1, no length penalty).
WindowResult decode_beam(WhisperModel& model, const Task& task, int n_beams, Timings& tm) {
  const int eot = task.c.eot;
  model.set_states(2 * n_beams);
  auto t0 = Clock::now();
  std::span<const float> first = model.start(task.prompt);
  ++tm.decoder_tokens;
  struct Beam {
    std::vector<int64_t> seq;
    double sum = 0;
    int state = 0;
    std::vector<float> logits;
  };
  std::vector<Beam> beams(n_beams);
  for (int j = 0; j < n_beams; ++j) {
    beams[j].seq = task.prompt;
    beams[j].state = j;
    beams[j].logits.assign(first.begin(), first.end());
  }
  std::vector<std::pair<std::vector<int64_t>, double>> finished;  // insertion-ordered map
  auto put = [](std::vector<std::pair<std::vector<int64_t>, double>>& m,
                const std::vector<int64_t>& s, double v) {
    for (auto& e : m)
      if (e.first == s) {
        e.second = v;
        return;
      }
    m.emplace_back(s, v);
  };
  std::vector<double> l, lp, scratch;
  int half = 0;  // beams use states [half * N, half * N + N)
  for (int step = 0; step < task.sample_len; ++step) {
    struct Cand {
      std::vector<int64_t> seq;
      double score;
      int src;
    };
    std::vector<Cand> cands;
    for (int j = 0; j < n_beams; ++j) {
      l.assign(beams[j].logits.begin(), beams[j].logits.end());
      task.filter(beams[j].seq, l, scratch);
      log_softmax(l, lp);
      std::vector<int> order(lp.size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
      std::partial_sort(order.begin(), order.begin() + n_beams + 1, order.end(),
                        [&](int a, int b) { return lp[a] > lp[b] || (lp[a] == lp[b] && a < b); });
      for (int k = 0; k < n_beams + 1; ++k) {
        std::vector<int64_t> s = beams[j].seq;
        s.push_back(order[k]);
        const double score = beams[j].sum + lp[order[k]];
        bool found = false;
        for (auto& c : cands)
          if (c.seq == s) {
            c.score = score;
            found = true;
            break;
          }
        if (!found) cands.push_back({std::move(s), score, j});
      }
    }
    std::stable_sort(cands.begin(), cands.end(),
                     [](const Cand& a, const Cand& b) { return a.score > b.score; });
    std::vector<Cand> next, newly;
    for (auto& c : cands) {
      if (c.seq.back() == eot) {
        newly.push_back(c);
      } else {
        next.push_back(c);
        if (static_cast<int>(next.size()) == n_beams) break;
      }
    }
    for (const auto& c : newly) {
      if (static_cast<int>(finished.size()) >= n_beams) break;
      put(finished, c.seq, c.score);
    }
    if (static_cast<int>(finished.size()) >= n_beams) break;
    // Survivors: move each source's cache into the other half, then extend it.
    const int other = 1 - half;
    std::vector<Beam> grown(n_beams);
    for (int j = 0; j < static_cast<int>(next.size()); ++j) {
      grown[j].seq = next[j].seq;
      grown[j].sum = next[j].score;
      grown[j].state = other * n_beams + j;
      model.copy_state(grown[j].state, beams[next[j].src].state);
    }
    bool too_long = false;
    for (int j = 0; j < static_cast<int>(next.size()); ++j) {
      too_long |= static_cast<int>(grown[j].seq.size()) > task.c.n_text_ctx;
      if (too_long) break;
      auto lg = model.step(grown[j].seq.back(), grown[j].state);
      ++tm.decoder_tokens;
      grown[j].logits.assign(lg.begin(), lg.end());
    }
    beams = std::move(grown);
    half = other;
    if (too_long) break;
  }
  tm.decoder_ms += ms_since(t0);
  if (static_cast<int>(finished.size()) < n_beams) {
    std::vector<int> order(beams.size());
    for (size_t j = 0; j < order.size(); ++j) order[j] = static_cast<int>(j);
    std::stable_sort(order.begin(), order.end(),
                     [&](int a, int b) { return beams[a].sum > beams[b].sum; });
    for (int j : order) {
      std::vector<int64_t> s = beams[j].seq;
      s.push_back(eot);
      put(finished, s, beams[j].sum);
      if (static_cast<int>(finished.size()) >= n_beams) break;
    }
  }
  WindowResult best;
  double best_score = kNegInf;
  bool have = false;
  for (const auto& [s, sum] : finished) {
    std::vector<int> toks;
    for (size_t i = task.prompt.size(); i < s.size() && s[i] != eot; ++i)
      toks.push_back(static_cast<int>(s[i]));
    const double score = toks.empty() ? kNegInf : sum / double(toks.size());
    if (!have || score > best_score) {
      best_score = score;
      best.tokens = toks;
      best.avg_logprob = sum / (double(toks.size()) + 1);
      have = true;
    }
  }
  model.set_states(1);
  return best;
}

}  // namespace

uint64_t SplitMix64::next() {
  state_ += 0x9E3779B97F4A7C15ull;
  uint64_t z = state_;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double compression_ratio(const std::string& text) {
  if (text.empty()) return 0;
  uLongf cap = compressBound(static_cast<uLong>(text.size()));
  std::vector<Bytef> out(cap);
  if (compress2(out.data(), &cap, reinterpret_cast<const Bytef*>(text.data()),
                static_cast<uLong>(text.size()), 6) != Z_OK)
    fail("zlib compression failed");
  return double(text.size()) / double(cap);
}

Transcript transcribe(WhisperModel& model, const Tokenizer& tok, const std::vector<float>& samples,
                      const DecodeOptions& opts,
                      const std::function<void(double, double)>& progress) {
  const WhisperConfig& c = model.config();
  WRUN_CHECK(opts.beam >= 1 && opts.beam <= 16, "--beam must be 1..16, got ", opts.beam);
  Transcript out;
  out.audio_seconds = double(samples.size()) / c.sample_rate;
  out.timings.load_ms = model.load_ms();

  auto t0 = Clock::now();
  const MelSpec mel = log_mel_padded(samples, c.n_mels, c.n_frames);
  out.timings.mel_ms = ms_since(t0);
  const int content_frames = mel.n_frames - c.n_frames;
  const double frame_s = double(c.hop_length) / c.sample_rate;
  const double precision = c.time_precision();
  const int input_stride = c.n_frames / c.n_audio_ctx;

  Task task{c, tok, opts, {}, {}, c.n_text_ctx / 2, model.vocab()};
  task.suppress = c.suppress_tokens;
  for (int t : {c.translate, c.transcribe, c.sot, c.sot_prev, c.no_speech})
    if (t >= 0) task.suppress.push_back(t);
  if (auto lm = tok.id("<|startoflm|>")) task.suppress.push_back(*lm);

  auto encode = [&](int seek) {
    auto te = Clock::now();
    model.encode(slice_frames(mel, seek, c.n_frames));
    out.timings.encoder_ms += ms_since(te);
  };

  // Language: given, detected on the first window, or English for English-only models.
  int lang_id = -1;
  bool encoded_first = false;
  if (c.multilingual) {
    if (!opts.language.empty()) {
      auto it = c.languages.find(opts.language);
      if (it == c.languages.end())
        fail("--language '", opts.language, "' is not one of the model's languages");
      out.language = opts.language;
      lang_id = it->second;
    } else {
      encode(0);
      encoded_first = true;
      auto td = Clock::now();
      const int64_t sot = c.sot;
      auto logits = model.start(std::span<const int64_t>(&sot, 1));
      out.timings.decoder_ms += ms_since(td);
      std::vector<std::pair<int, std::string>> langs;
      for (const auto& [code, id] : c.languages) langs.emplace_back(id, code);
      std::sort(langs.begin(), langs.end());
      double m = kNegInf;
      int best = -1;
      for (const auto& [id, code] : langs)
        if (best < 0 || logits[id] > logits[best]) best = id, m = logits[id];
      double sum = 0;
      for (const auto& [id, code] : langs) sum += std::exp(double(logits[id]) - m);
      for (const auto& [id, code] : langs) {
        out.language_probs.push_back(std::exp(double(logits[id]) - m) / sum);
        if (id == best) out.language = code;
      }
      lang_id = best;
    }
    task.prompt = {c.sot, lang_id};
    const int task_id = opts.task == "translate" ? c.translate : c.transcribe;
    if (opts.task != "translate" && opts.task != "transcribe")
      fail("--task must be transcribe or translate, got '", opts.task, "'");
    if (task_id < 0) fail("the model has no <|", opts.task, "|> token");
    task.prompt.push_back(task_id);
  } else {
    out.language = "en";
    task.prompt = {c.sot};
  }
  if (!opts.timestamps) task.prompt.push_back(c.no_timestamps);

  SplitMix64 rng(opts.seed);
  const std::vector<double> temps = opts.temperature_fallback
                                        ? std::vector<double>{0.0, 0.2, 0.4, 0.6, 0.8, 1.0}
                                        : std::vector<double>{0.0};
  int seek = 0;
  while (seek < content_frames) {
    const double offset = seek * frame_s;
    const int size = std::min(c.n_frames, content_frames - seek);
    const double duration = size * frame_s;
    if (!(seek == 0 && encoded_first)) encode(seek);
    WindowResult w;
    for (size_t a = 0; a < temps.size(); ++a) {
      const double T = temps[a];
      w = (T == 0 && opts.beam > 1) ? decode_beam(model, task, opts.beam, out.timings)
                                    : decode_single(model, task, T, rng, out.timings);
      w.temperature = T;
      w.compression_ratio = compression_ratio(trim(task.text_of(w.tokens)));
      w.attempts = static_cast<int>(a) + 1;
      if (!opts.temperature_fallback) break;
      if (w.compression_ratio <= opts.compression_ratio_threshold &&
          w.avg_logprob >= opts.logprob_threshold)
        break;
    }
    w.seek = seek;
    const std::vector<int>& t = w.tokens;
    const int tb = c.timestamp_begin;
    auto add_segment = [&](double start, double end, std::vector<int> toks) {
      Segment s;
      s.start = start;
      s.end = end;
      s.text = task.text_of(toks);
      s.tokens = std::move(toks);
      s.avg_logprob = w.avg_logprob;
      if (s.start == s.end || trim(s.text).empty()) return;  // (wrun) nothing to show
      out.segments.push_back(std::move(s));
    };
    std::vector<size_t> cuts;
    for (size_t i = 0; i + 1 < t.size(); ++i)
      if (t[i] >= tb && t[i + 1] >= tb) cuts.push_back(i + 1);
    const bool single_ending = t.size() >= 2 && t[t.size() - 2] < tb && t[t.size() - 1] >= tb;
    if (!cuts.empty()) {
      if (single_ending) cuts.push_back(t.size());
      size_t last = 0;
      for (size_t cut : cuts) {
        std::vector<int> seg(t.begin() + last, t.begin() + cut);
        add_segment(offset + (seg.front() - tb) * precision, offset + (seg.back() - tb) * precision,
                    seg);
        last = cut;
      }
      const int before = seek;
      if (single_ending)
        seek += size;
      else
        seek += (t[last - 1] - tb) * input_stride;
      // (wrun) a window that ends on <|0.00|><|0.00|> would not move: skip the window instead
      // of decoding it forever.
      if (seek <= before) seek = before + size;
    } else {
      double end = offset + duration;
      for (size_t i = t.size(); i-- > 0;)
        if (t[i] >= tb) {
          if (t[i] != tb) end = offset + (t[i] - tb) * precision;
          break;
        }
      add_segment(offset, end, t);
      seek += size;
    }
    out.windows.push_back(std::move(w));
    if (progress) progress(std::min(seek, content_frames) * frame_s, content_frames * frame_s);
  }
  for (const auto& s : out.segments) out.text += s.text;
  return out;
}

}  // namespace wrun::speech
