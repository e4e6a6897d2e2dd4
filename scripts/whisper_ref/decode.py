"""Reference decoding: openai/whisper's DecodingTask and transcribe() loop, as docs/decoding.md states.

All decisions are made in float64 on the model's float32 logits. `step_logits(seqs)` returns the
raw float32 logits of the last position for each token sequence (batch of full sequences).
"""
import dataclasses
import zlib

import numpy as np

NEG_INF = -np.inf
TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


class SplitMix64:
    """splitmix64; uniform() = (next >> 11) * 2^-53, a double in [0, 1)."""

    MASK = (1 << 64) - 1

    def __init__(self, seed):
        self.state = seed & self.MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & self.MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & self.MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & self.MASK
        return z ^ (z >> 31)

    def uniform(self):
        return (self.next() >> 11) * (1.0 / (1 << 53))


def log_softmax(x):
    x = np.asarray(x, dtype=np.float64)
    m = np.max(x)
    return x - (m + np.log(np.sum(np.exp(x - m))))


def logsumexp(x):
    m = np.max(x)
    if m == NEG_INF:
        return NEG_INF
    return m + np.log(np.sum(np.exp(x - m)))


@dataclasses.dataclass
class Options:
    task: str = "transcribe"
    language: str = None  # None: detect (multilingual); English-only models always 'en'
    timestamps: bool = True
    beam: int = 1
    temperature_fallback: bool = False
    seed: int = 0
    logprob_threshold: float = -1.0
    compression_ratio_threshold: float = 2.4
    max_initial_timestamp: float = None  # None: generation_config max_initial_timestamp_index


class Margins:
    """Smallest decision margins seen, so the generator can reject near-ties."""

    def __init__(self):
        self.greedy = np.inf  # top-1 minus top-2 filtered logit
        self.force_ts = np.inf  # |timestamp logsumexp - max text logprob|
        self.sample = np.inf  # distance of u to a CDF boundary
        self.beam = np.inf  # gap between adjacent ranked candidate scores
        self.threshold = np.inf  # |avg_logprob - threshold|, |ratio - threshold|
        self.language = np.inf

    def worst(self):
        return dict(greedy=self.greedy, force_ts=self.force_ts, sample=self.sample,
                    beam=self.beam, threshold=self.threshold, language=self.language)


class Decoder:
    def __init__(self, vocab, gen, n_audio_ctx, n_text_ctx):
        self.v = vocab
        self.gen = gen
        self.n_text_ctx = n_text_ctx
        self.sample_len = n_text_ctx // 2
        self.suppress = sorted(set(gen["suppress_tokens"]) | {
            vocab.translate, vocab.transcribe, vocab.sot, vocab.sot_prev, vocab.sot_lm,
            vocab.no_speech})
        self.begin_suppress = list(gen["begin_suppress_tokens"])
        self.margins = Margins()

    # --- prompt and language ---

    def detect_language(self, step_logits):
        """argmax over the language tokens of the logits after [sot]; returns (code, probs)."""
        logits = np.asarray(step_logits([[self.v.sot]])[0], dtype=np.float64)
        lang = logits[self.v.lang_ids]
        order = np.sort(lang)
        self.margins.language = min(self.margins.language, order[-1] - order[-2])
        p = np.exp(log_softmax(lang))
        best = int(np.argmax(lang))
        return self.v.languages[best], {l: float(x) for l, x in zip(self.v.languages, p)}

    def prompt(self, language, task, timestamps):
        seq = [self.v.sot]
        if self.v.multilingual:
            seq += [self.v.ids[f"<|{language}|>"], self.v.translate if task == "translate"
                    else self.v.transcribe]
        if not timestamps:
            seq.append(self.v.no_timestamps)
        return seq

    # --- logit filters (openai order: SuppressBlank, SuppressTokens, ApplyTimestampRules) ---

    def apply_filters(self, logits, seq, sample_begin, timestamps, max_initial_index):
        v = self.v
        logits = np.array(logits, dtype=np.float64)
        if len(seq) == sample_begin:
            logits[self.begin_suppress] = NEG_INF
        logits[self.suppress] = NEG_INF
        if not timestamps:
            return logits
        tb = v.timestamp_begin
        logits[v.no_timestamps] = NEG_INF
        sampled = seq[sample_begin:]
        last_ts = len(sampled) >= 1 and sampled[-1] >= tb
        penult_ts = len(sampled) < 2 or sampled[-2] >= tb
        if last_ts:
            if penult_ts:
                logits[tb:] = NEG_INF
            else:
                logits[:v.eot] = NEG_INF
        ts = [t for t in sampled if t >= tb]
        if ts:
            last = ts[-1] if (last_ts and not penult_ts) else ts[-1] + 1
            logits[tb:last] = NEG_INF
        if len(seq) == sample_begin:
            logits[:tb] = NEG_INF
            if max_initial_index is not None:
                logits[tb + max_initial_index + 1:] = NEG_INF
        lp = log_softmax(logits)
        ts_lp = logsumexp(lp[tb:])
        text_max = np.max(lp[:tb])
        if np.isfinite(ts_lp) and np.isfinite(text_max):
            self.margins.force_ts = min(self.margins.force_ts, abs(ts_lp - text_max))
        if ts_lp > text_max:
            logits[:tb] = NEG_INF
        return logits

    # --- one decode of one window at one temperature ---

    def decode(self, step_logits, prompt, timestamps, max_initial_index, temperature, beam, rng,
               record_logits=None):
        """Returns dict(tokens (sampled, no eot), sum_logprob, avg_logprob, text, ratio)."""
        sample_begin = len(prompt)
        if temperature == 0 and beam > 1:
            toks, slp = self._beam(step_logits, prompt, timestamps, max_initial_index, beam)
        else:
            toks, slp = self._greedy(step_logits, prompt, timestamps, max_initial_index,
                                     temperature, rng, record_logits)
        text = self.v.decode(toks).strip()
        data = text.encode("utf-8")
        ratio = len(data) / len(zlib.compress(data)) if data else 0.0
        return dict(tokens=toks, sum_logprob=slp, avg_logprob=slp / (len(toks) + 1), text=text,
                    compression_ratio=ratio, temperature=temperature)

    def _greedy(self, step_logits, prompt, timestamps, max_initial_index, temperature, rng,
                record):
        seq = list(prompt)
        sample_begin = len(prompt)
        total = 0.0
        for _ in range(self.sample_len):
            raw = step_logits([seq])[0]
            if record is not None:
                record.append(np.asarray(raw, dtype=np.float32))
            logits = self.apply_filters(raw, seq, sample_begin, timestamps, max_initial_index)
            lp = log_softmax(logits)
            if temperature == 0:
                order = np.argsort(-logits, kind="stable")
                self.margins.greedy = min(self.margins.greedy, logits[order[0]] - logits[order[1]])
                tok = int(order[0])
            else:
                tok = self._sample(logits, temperature, rng)
            total += lp[tok]
            seq.append(tok)
            if tok == self.v.eot or len(seq) > self.n_text_ctx:
                break
        sampled = seq[sample_begin:]
        if sampled and sampled[-1] == self.v.eot:
            sampled = sampled[:-1]
        return sampled, float(total)

    def _sample(self, logits, temperature, rng):
        """Inverse CDF over softmax(logits / T) in id order with one splitmix64 uniform."""
        z = logits / temperature
        p = np.exp(z - np.max(z))
        p /= np.sum(p)
        u = rng.uniform()
        cdf = np.cumsum(p)
        idx = int(np.searchsorted(cdf, u, side="right"))
        if idx >= len(p):
            idx = int(np.nonzero(p > 0)[0][-1])
        self.margins.sample = min(self.margins.sample, np.min(np.abs(cdf[p > 0] - u)))
        return idx

    def _beam(self, step_logits, prompt, timestamps, max_initial_index, beam):
        """openai BeamSearchDecoder, patience 1, one audio: max_candidates = beam."""
        v = self.v
        sample_begin = len(prompt)
        seqs = [list(prompt) for _ in range(beam)]
        sums = [0.0] * beam
        finished = {}
        for _ in range(self.sample_len):
            raw = step_logits(seqs)
            scores, order = {}, []
            for j in range(beam):
                logits = self.apply_filters(raw[j], seqs[j], sample_begin, timestamps,
                                            max_initial_index)
                lp = log_softmax(logits)
                top = np.argsort(-lp, kind="stable")[:beam + 1]
                for tok in top:
                    key = tuple(seqs[j] + [int(tok)])
                    if key not in scores:
                        order.append(key)
                    scores[key] = sums[j] + lp[tok]
            ranked = sorted(order, key=lambda k: -scores[k])  # stable: ties keep insertion order
            vals = [scores[k] for k in ranked if np.isfinite(scores[k])]
            for a, b in zip(vals[:2 * beam], vals[1:2 * beam + 1]):
                self.margins.beam = min(self.margins.beam, a - b)
            new_seqs, new_sums, newly = [], [], []
            for key in ranked:
                if key[-1] == v.eot:
                    newly.append(key)
                else:
                    new_seqs.append(list(key))
                    new_sums.append(scores[key])
                    if len(new_seqs) == beam:
                        break
            for key in newly:  # already in score order
                if len(finished) >= beam:
                    break
                finished[key] = scores[key]
            seqs, sums = new_seqs, new_sums
            if len(finished) >= beam or len(seqs[0]) > self.n_text_ctx:
                break
        if len(finished) < beam:
            for j in np.argsort(-np.array(sums), kind="stable"):
                finished[tuple(seqs[j] + [v.eot])] = sums[j]
                if len(finished) >= beam:
                    break
        best, best_score = None, -np.inf
        cands = []
        for key, s in finished.items():
            toks = list(key[sample_begin:])
            toks = toks[:toks.index(v.eot)] if v.eot in toks else toks
            cands.append((s / len(toks) if toks else -np.inf, toks, s))
        for score, toks, s in cands:  # np.argmax: first maximum wins
            if best is None or score > best_score:
                best, best_score, best_sum = toks, score, s
        return best, float(best_sum)

    # --- fallback over temperatures ---

    def decode_with_fallback(self, step_logits, prompt, opts, max_initial_index, rng,
                             record_logits=None):
        temps = TEMPERATURES if opts.temperature_fallback else (0.0,)
        attempts = []
        for t in temps:
            rec = [] if record_logits is not None else None
            r = self.decode(step_logits, prompt, opts.timestamps, max_initial_index, t,
                            opts.beam, rng, rec)
            r["logits"] = rec
            attempts.append(r)
            if not opts.temperature_fallback:
                break
            cr_bad = r["compression_ratio"] > opts.compression_ratio_threshold
            lp_bad = r["avg_logprob"] < opts.logprob_threshold
            self.margins.threshold = min(
                self.margins.threshold, abs(r["compression_ratio"] - opts.compression_ratio_threshold),
                abs(r["avg_logprob"] - opts.logprob_threshold))
            if not (cr_bad or lp_bad):
                break
        return attempts[-1], attempts


def transcribe(dec, step_logits_for, mel, n_frames, opts, max_initial_index, record_logits=False):
    """openai transcribe() seeking loop without prompt conditioning or no-speech skipping.

    mel: log-mel of audio + one window of zeros [n_mels, total]; step_logits_for(mel_window)
    returns the step function of that window. Returns dict(language, windows, segments).
    """
    v = dec.v
    content = mel.shape[1] - n_frames
    rng = SplitMix64(opts.seed)
    language, lang_probs = "en", None
    if v.multilingual:
        if opts.language is None:
            language, lang_probs = dec.detect_language(step_logits_for(mel[:, :n_frames]))
        else:
            language = opts.language
    task = opts.task if v.multilingual else "transcribe"
    prompt = dec.prompt(language, task, opts.timestamps)
    input_stride = 2
    precision = 0.02
    seek = 0
    windows, segments = [], []
    while seek < content:
        offset = seek * 160 / 16000
        seg_size = min(n_frames, content - seek)
        seg_dur = seg_size * 160 / 16000
        step = step_logits_for(mel[:, seek:seek + n_frames])
        r, attempts = dec.decode_with_fallback(step, prompt, opts, max_initial_index, rng,
                                               [] if record_logits else None)
        toks = r["tokens"]
        tb = v.timestamp_begin
        is_ts = [t >= tb for t in toks]
        single_end = is_ts[-2:] == [False, True]
        consecutive = [i + 1 for i in range(len(toks) - 1) if is_ts[i] and is_ts[i + 1]]
        cur = []
        if consecutive:
            slices = consecutive + ([len(toks)] if single_end else [])
            last = 0
            for s in slices:
                part = toks[last:s]
                cur.append((offset + (part[0] - tb) * precision, offset + (part[-1] - tb) * precision,
                            part))
                last = s
            if single_end:
                seek += seg_size
            else:
                seek += (toks[last - 1] - tb) * input_stride
        else:
            dur = seg_dur
            ts = [t for t in toks if t >= tb]
            if ts and ts[-1] != tb:
                dur = (ts[-1] - tb) * precision
            cur.append((offset, offset + dur, toks))
            seek += seg_size
        windows.append(dict(seek=int(round(offset * 100)), tokens=toks, temperature=r["temperature"],
                            avg_logprob=r["avg_logprob"], compression_ratio=r["compression_ratio"],
                            attempts=[dict(temperature=a["temperature"], tokens=a["tokens"],
                                           avg_logprob=a["avg_logprob"],
                                           compression_ratio=a["compression_ratio"])
                                      for a in attempts],
                            logits=r["logits"]))
        for start, end, part in cur:
            text = v.decode(part)
            if start == end or text.strip() == "":
                continue  # openai blanks these; we drop them
            segments.append(dict(start=round(start, 2), end=round(end, 2), tokens=part, text=text,
                                 avg_logprob=r["avg_logprob"]))
    return dict(language=language, language_probs=lang_probs, windows=windows, segments=segments,
                text="".join(s["text"] for s in segments))
