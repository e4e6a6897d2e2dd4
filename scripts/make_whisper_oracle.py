#!/usr/bin/python3
"""Builds tiny Whisper exports (Optimum layout) and reference transcriptions for `wrun transcribe`.

  /usr/bin/python3 scripts/make_whisper_oracle.py --out tests/fixtures/whisper
  /usr/bin/python3 scripts/make_whisper_oracle.py --full-tiny OUT   # random whisper-tiny, benchmarks

Two models (en: English-only, multi: multilingual) at tiny dimensions with a 3 s window are
trained briefly on synthetic tone 'speech' so they emit timestamps and words, exported as
encoder_model / decoder_model / decoder_with_past_model / decoder_model_merged with Hugging Face
config, generation and tokenizer files, and decoded by the reference in whisper_ref.decode (the
rules of docs/decoding.md). Training is seeded but not bit-reproducible with torch on this CPU,
so the trained weights are kept in OUT/weights_{en,multi}.npz and reused by later runs (which are
then deterministic); --retrain trains afresh. Audio seeds whose decisions are near ties are skipped.

The en model is also written as an fp16 export (OUT/en_fp16/, same file names) and as
onnxruntime-style dynamically quantized files (OUT/en/*_quantized.onnx), with greedy cases
against their own references (scripts/whisper_ref/variants.py).
"""
import os

# Single-threaded BLAS/OpenMP before numpy and torch load: threaded kernels made training
# (and so every fixture) differ between runs.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import json  # noqa: E402
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from whisper_ref import audio as A  # noqa: E402
from whisper_ref import decode as D  # noqa: E402
from whisper_ref import model as M  # noqa: E402
from whisper_ref import tokens as T  # noqa: E402
from whisper_ref import variants as V  # noqa: E402

LANGS = ["en", "de", "fr", "es"]
LANG_WORDS = {
    "en": [" hello", " world", " audio", " speech", " model", " sound"],
    "de": [" ein", " zwei", " drei", " haus", " licht", " stein"],
    "fr": [" un", " deux", " trois", " maison", " eau", " pierre"],
    "es": [" uno", " dos", " tres", " casa", " agua", " luz"],
}
WINDOW_S = 3.0
FP16_DOC = ("the en export in float16 (same file names): initializers, constants and types "
            "float16; reference: the en model with weights and graph constants rounded to "
            "float16, computed in float32")
QUANTIZED_DOC = ("*_quantized.onnx: onnxruntime-style dynamic quantization (DynamicQuantizeLinear "
                 "+ MatMulInteger/ConvInteger + Cast + Mul); encoder weights uint8 per tensor, "
                 "decoder weights int8 symmetric per column; reference: the same integer "
                 "arithmetic, decoder calls cut as the runtime cuts them (prompt, then one token "
                 "with the cache)")
# Logits of the quantized cases: max |wrun - reference| <= this x max |reference|, not 1e-4.
# Every DynamicQuantizeLinear rounds x / scale for ~1.5e5 values per window; the nearest lies
# ~2e-6 from a .5 boundary, closer than two float32 implementations of the layers before it
# agree, so an occasional value rounds to the neighbouring step in wrun. One such flip moves
# the logits by ~1e-3..2e-3 x max |ref| (measured by flip_sensitivity()). Tokens stay exact: the
# generator keeps only audio whose tokens survive such flips.
QUANTIZED_LOGITS_TOLERANCE = 5e-3
FLIP_TRIALS, FLIP_NOISE = 6, 3e-7
N_MERGES = 200
MAX_INITIAL_TIMESTAMP_INDEX = 50
MIN_MARGIN = {"greedy": 1e-3, "force_ts": 1e-3, "language": 1e-3, "beam": 1e-4,
              "sample": 1e-6, "threshold": 1e-3}

CLI_FLAGS = {
    "--decoder split|merged|auto": "split: decoder_model + decoder_with_past_model; merged: "
                                   "decoder_model_merged (use_cache_branch); auto (default): merged "
                                   "if present, else split",
    "--variant fp32|fp16|quantized|NAME": "model files: fp32 the unsuffixed ones, NAME those "
                                          "ending in _NAME.onnx; default: unsuffixed if present, "
                                          "else the folder's only variant",
    "--language CODE": "multilingual models only; default: detect on the first window",
    "--task transcribe|translate": "multilingual models only; default transcribe",
    "--no-timestamps": "prompt ends with <|notimestamps|>; timestamp rules off",
    "--beam N": "beam search with N beams (patience 1, no length penalty) at temperature 0; "
                "default 1 = greedy",
    "--temperature-fallback": "retry each window at 0.2, 0.4, ..., 1.0 (sampling) when the "
                              "thresholds fail; default off (temperature 0 only)",
    "--seed S": "splitmix64 seed for sampling; default 0",
    "--logprob-threshold X": "fallback when avg_logprob < X; default -1.0",
    "--compression-ratio-threshold X": "fallback when zlib ratio > X; default 2.4",
}


def make_dims(vocab):
    return M.Dims(d_model=32, encoder_layers=2, decoder_layers=2, heads=4, num_mel_bins=80,
                  max_source_positions=int(WINDOW_S * 50), max_target_positions=64,
                  vocab_size=len(vocab))


def make_vocab(multilingual):
    return T.Vocab(N_MERGES, multilingual, LANGS, WINDOW_S)


def generation_config(v, dims, full=False):
    gen = {
        "begin_suppress_tokens": [v.space, v.eot],
        "bos_token_id": v.eot,
        "decoder_start_token_id": v.sot,
        "eos_token_id": v.eot,
        "pad_token_id": v.eot,
        "is_multilingual": v.multilingual,
        "max_initial_timestamp_index": MAX_INITIAL_TIMESTAMP_INDEX,
        "max_length": dims.max_target_positions,
        "no_timestamps_token_id": v.no_timestamps,
        "prev_sot_token_id": v.sot_prev,
        "return_timestamps": False,
        "suppress_tokens": v.suppress_tokens(),
    }
    if v.multilingual:
        gen["lang_to_id"] = {f"<|{l}|>": i for l, i in zip(v.languages, v.lang_ids)}
        gen["task_to_id"] = {"translate": v.translate, "transcribe": v.transcribe}
        gen["forced_decoder_ids"] = [[1, None], [2, v.transcribe]]
    else:
        gen["forced_decoder_ids"] = None
    return gen


def write_model_dir(out, m, v, gen):
    os.makedirs(out, exist_ok=True)
    d = m.dims
    cfg = {
        "_name_or_path": "wrun-oracle-tiny", "architectures": ["WhisperForConditionalGeneration"],
        "model_type": "whisper", "activation_function": "gelu", "d_model": d.d_model,
        "encoder_layers": d.encoder_layers, "decoder_layers": d.decoder_layers,
        "encoder_attention_heads": d.heads, "decoder_attention_heads": d.heads,
        "encoder_ffn_dim": d.ffn, "decoder_ffn_dim": d.ffn, "num_hidden_layers": d.encoder_layers,
        "num_mel_bins": d.num_mel_bins, "max_source_positions": d.max_source_positions,
        "max_target_positions": d.max_target_positions, "vocab_size": d.vocab_size,
        "scale_embedding": False, "tie_word_embeddings": True, "torch_dtype": "float32",
        "use_cache": True, "bos_token_id": gen["bos_token_id"], "eos_token_id": v.eot,
        "pad_token_id": v.eot, "decoder_start_token_id": v.sot,
        "begin_suppress_tokens": gen["begin_suppress_tokens"],
        "suppress_tokens": gen["suppress_tokens"], "forced_decoder_ids": gen["forced_decoder_ids"],
    }
    n_samples = int(2 * d.max_source_positions * A.HOP)
    pre = {"feature_extractor_type": "WhisperFeatureExtractor", "feature_size": d.num_mel_bins,
           "sampling_rate": A.SAMPLE_RATE, "n_fft": A.N_FFT, "hop_length": A.HOP,
           "chunk_length": n_samples // A.SAMPLE_RATE, "n_samples": n_samples,
           "nb_max_frames": n_samples // A.HOP, "padding_side": "right", "padding_value": 0.0,
           "return_attention_mask": False, "processor_class": "WhisperProcessor"}
    for name, obj in (("config.json", cfg), ("generation_config.json", gen),
                      ("preprocessor_config.json", pre)):
        with open(os.path.join(out, name), "w") as f:
            json.dump(obj, f, indent=1)
    v.write_files(out)
    M.export_optimum(m, out)


# ----- training on synthetic tone speech -----


def make_example(rng, v, multilingual, pad_samples):
    lang = int(rng.integers(len(LANGS))) if multilingual else 0
    task = "translate" if multilingual and rng.random() < 0.3 else "transcribe"
    timestamps = rng.random() < 0.7
    dur = rng.uniform(1.0, 5.0)
    samples, segs = A.synth(rng, dur, lang)
    win = samples[:int(WINDOW_S * A.SAMPLE_RATE)]
    mel = A.log_mel(win, 80, int(WINDOW_S * A.SAMPLE_RATE))[:, :int(WINDOW_S * 100)]
    prompt = [v.sot]
    if multilingual:
        prompt += [v.lang_ids[lang], v.translate if task == "translate" else v.transcribe]
    if not timestamps:
        prompt.append(v.no_timestamps)
    words = LANG_WORDS["en" if task == "translate" else LANGS[lang]]
    out = []
    for s, e, w in segs:
        if s > WINDOW_S - 0.05:
            break
        ids = []
        for part in [words[w]]:
            ids += v.encode_word(part)
        si = v.timestamp_begin + int(round(s / 0.02))
        if timestamps:
            if e > WINDOW_S:
                out.append(si)
                break
            out += [si] + ids + [v.timestamp_begin + min(int(round(e / 0.02)), v.n_timestamps - 1)]
        else:
            out += ids
    seq = prompt + out + [v.eot]
    first = 1 if multilingual else len(prompt)  # multilingual also learns the language token
    return mel.astype(np.float32), seq, first


def train(m, v, multilingual, seed, steps=500, batch=16):
    rng = np.random.default_rng(seed)
    pool = [make_example(rng, v, multilingual, 0) for _ in range(384)]
    opt = torch.optim.Adam([p for p in m.parameters() if p.requires_grad], lr=1e-3)
    m.train()
    for step in range(steps):
        idx = rng.integers(len(pool), size=batch)
        ex = [pool[i] for i in idx]
        L = max(len(e[1]) for e in ex)
        ids = torch.full((batch, L), v.eot, dtype=torch.long)
        tgt = torch.full((batch, L), -100, dtype=torch.long)
        for b, (_, seq, first) in enumerate(ex):
            ids[b, :len(seq)] = torch.tensor(seq)
            tgt[b, first - 1:len(seq) - 1] = torch.tensor(seq[first:])
        mel = torch.from_numpy(np.stack([e[0] for e in ex]))
        enc = m.model.encoder(mel)
        logits = m.logits(ids, enc)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                 tgt.reshape(-1), ignore_index=-100)
        if not torch.isfinite(loss):  # rare overflow on one batch: skip it (deterministically)
            print(f"  train step {step}: non-finite loss, batch skipped", flush=True)
            continue
        opt.zero_grad()
        loss.backward()
        if not torch.isfinite(torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)):
            print(f"  train step {step}: non-finite gradient, batch skipped", flush=True)
            continue
        opt.step()
        if step % 100 == 0 or step == steps - 1:
            print(f"  train step {step} loss {loss.item():.3f}", flush=True)
    m.eval()


# ----- reference decoding -----


def step_fn_factory(m):
    def for_window(mel_window):
        with torch.no_grad():
            enc = m.model.encoder(torch.from_numpy(mel_window.astype(np.float32))[None])

        def step(seqs):
            with torch.no_grad():
                ids = torch.tensor(seqs, dtype=torch.long)
                return m.logits(ids, enc.expand(len(seqs), -1, -1))[:, -1].numpy()
        return step
    return for_window


def cached_step_fn_factory(m):
    """Decoder calls cut as the runtime cuts them: a sequence that extends the previous call's by
    one token runs that token alone against the key/value cache (decoder_with_past_model); any
    other sequence runs whole (decoder_model). Needed where the result depends on the cut (the
    quantized model's DynamicQuantizeLinear ranges). One sequence per call (greedy, sampling)."""
    def for_window(mel_window):
        with torch.no_grad():
            enc = m.model.encoder(torch.from_numpy(mel_window.astype(np.float32))[None])
            cross = m.cross_kv(enc)
        state = {"seq": None, "past": None}

        def step(seqs):
            assert len(seqs) == 1, "the cached reference decodes one sequence"
            seq = list(seqs[0])
            with torch.no_grad():
                if state["seq"] is not None and seq[:-1] == state["seq"]:
                    h, past = m.model.decoder(torch.tensor([seq[-1:]]), cross, state["past"])
                else:
                    h, past = m.model.decoder(torch.tensor([seq]), cross)
                logits = m.proj_out(h)[:, -1].numpy()
            state["seq"], state["past"] = seq, past
            return logits
        return step
    return for_window


def run_case(m, v, gen, mel, opts, factory=step_fn_factory):
    dec = D.Decoder(v, gen, m.dims.max_source_positions, m.dims.max_target_positions)
    res = D.transcribe(dec, factory(m), mel, 2 * m.dims.max_source_positions, opts,
                       gen["max_initial_timestamp_index"], record_logits=True)
    return res, dec.margins.worst()


def case_args(opts, decoder):
    args = ["--decoder", decoder]
    if opts.language:
        args += ["--language", opts.language]
    if opts.task != "transcribe":
        args += ["--task", opts.task]
    if not opts.timestamps:
        args.append("--no-timestamps")
    if opts.beam > 1:
        args += ["--beam", str(opts.beam)]
    if opts.temperature_fallback:
        args += ["--temperature-fallback", "--seed", str(opts.seed), "--logprob-threshold",
                 repr(opts.logprob_threshold)]
        if opts.compression_ratio_threshold != D.Options.compression_ratio_threshold:
            args += ["--compression-ratio-threshold", repr(opts.compression_ratio_threshold)]
    return args


def case_specs(kind):
    """(name, audio, Options, decoders) for one model kind."""
    specs = []
    for length in ("short", "long"):
        specs.append((f"ts_{length}", length, D.Options(), ("split", "merged")))
        nots = D.Options(timestamps=False)
        if kind == "multi":
            nots = (D.Options(timestamps=False, language="de") if length == "short" else
                    D.Options(timestamps=False, language="fr", task="translate"))
        specs.append((f"nots_{length}", length, nots, ("split", "merged")))
    specs.append(("beam3_short", "short", D.Options(beam=3), ("split",)))
    if kind == "en":
        # thresholds chosen by tune_fallback()
        specs.append(("fallback_long", "long", D.Options(temperature_fallback=True, seed=7),
                      ("merged",)))
    return specs


# Other forms of the en export, each with its own reference model and decoder-call cutting:
# (variant, folder suffix or --variant, make reference, step factory, case names).
#   fp16: en_fp16/ with the same file names (Optimum --dtype fp16), weights and constants float16.
#   quantized: en/*_quantized.onnx (onnxruntime dynamic quantization), picked with --variant.
VARIANTS = (
    ("fp16", V.fp16_reference, step_fn_factory, ("ts_short", "ts_long")),
    ("quantized", V.quantized_reference, cached_step_fn_factory, ("ts_short", "ts_long")),
)


def flip_sensitivity(m, v, gen, mel, opts, res):
    """Decodes again FLIP_TRIALS times with every DynamicQuantizeLinear input perturbed by
    FLIP_NOISE (relative), which flips the roundings that lie that close to a boundary. Returns
    (max |logits - res logits| / max |res logits|, whether every trial gave the same tokens)."""
    ref = np.concatenate([np.stack(w["logits"]) for w in res["windows"]])
    worst, same = 0.0, True
    for trial in range(FLIP_TRIALS):
        V.DQL_NOISE = (np.random.default_rng(trial), FLIP_NOISE)
        try:
            r, _ = run_case(m, v, gen, mel, opts, cached_step_fn_factory)
        finally:
            V.DQL_NOISE = None
        if [w["tokens"] for w in r["windows"]] != [w["tokens"] for w in res["windows"]]:
            same = False
            continue
        got = np.concatenate([np.stack(w["logits"]) for w in r["windows"]])
        worst = max(worst, float(np.abs(got - ref).max() / np.abs(ref).max()))
    return worst, same


def recovered_windows(res, opts):
    """Windows that failed at temperature 0 and passed the thresholds at a higher one."""
    return sum(len(w["attempts"]) > 1 and w["temperature"] > 0 and
               w["avg_logprob"] >= opts.logprob_threshold and
               w["compression_ratio"] <= opts.compression_ratio_threshold
               for w in res["windows"])


def tune_fallback(m, v, gen, mel, base):
    """Thresholds under which the fallback case retries and then succeeds at some temperature
    above 0 (not only running the ladder to its end). Tries the default compression-ratio
    threshold first, then one below greedy repetition's ratio; per ratio threshold, the
    log-prob threshold (-1.0 down to -3.0) with the most windows that fall back and succeed
    (ties: the highest). Returns (opts, res, margins) or None."""
    for cr in (base.compression_ratio_threshold, 1.1):
        best = None
        for lp in np.round(np.arange(-1.0, -3.001, -0.1), 1):
            opts = dataclasses.replace(base, logprob_threshold=float(lp),
                                       compression_ratio_threshold=cr)
            res, margins = run_case(m, v, gen, mel, opts)
            if any(x < MIN_MARGIN[k] for k, x in margins.items()):
                continue
            n = recovered_windows(res, opts)
            if n and (best is None or n > best[0]):
                best = (n, opts, res, margins)
        if best:
            return best[1:]
    return None


def varied(res, timestamps):
    toks = sum(len(s["tokens"]) for s in res["segments"])
    if timestamps:
        return len(res["segments"]) >= 2 and toks >= 6
    return toks >= 2


def build_kind(kind, out, seed, weights):
    multilingual = kind == "multi"
    v = make_vocab(multilingual)
    dims = make_dims(v)
    torch.manual_seed(seed)
    m = M.WhisperForConditionalGeneration(dims)
    if weights is None:
        print(f"[{kind}] vocab {len(v)}: training", flush=True)
        train(m, v, multilingual, seed)
    else:
        print(f"[{kind}] vocab {len(v)}: committed weights", flush=True)
        m.load_state_dict({k: torch.from_numpy(x) for k, x in weights.items()}, strict=False)
        m.eval()
    sd = {k: x.detach().numpy() for k, x in m.state_dict().items() if k != "proj_out.weight"}
    os.makedirs(out, exist_ok=True)
    np.savez_compressed(os.path.join(out, f"weights_{kind}.npz"), **sd)
    gen = generation_config(v, dims)
    variants = [(name, make(m), factory, names) for name, make, factory, names in VARIANTS
                ] if kind == "en" else []
    lang_of = {"short": 1, "long": 2} if multilingual else {"short": 0, "long": 0}
    dur = {"short": 2.2, "long": 6.7}
    pad = int(WINDOW_S * A.SAMPLE_RATE)
    for attempt in range(40):
        audio, mels, all_ok, results = {}, {}, True, []
        for length in ("short", "long"):
            rng = np.random.default_rng(1000 * seed + 10 * attempt + (length == "long"))
            samples, _ = A.synth(rng, dur[length], lang_of[length])
            pcm = np.clip(np.round(samples * 32767), -32768, 32767) / 32768.0  # what the WAV holds
            audio[length] = samples
            mels[length] = A.log_mel(pcm, dims.num_mel_bins, pad)
        todo = [(name, length, opts, decoders, None, m, step_fn_factory)
                for name, length, opts, decoders in case_specs(kind)]
        for variant, ref, factory, names in variants:
            todo += [(name, length, opts, decoders, variant, ref, factory)
                     for name, length, opts, decoders in case_specs(kind) if name in names]
        for name, length, opts, decoders, variant, ref, factory in todo:
            label = f"{variant}/{name}" if variant else name
            if opts.temperature_fallback:
                tuned = tune_fallback(ref, v, gen, mels[length], opts)
                if tuned is None:
                    print(f"  attempt {attempt}: {label} rejected: no thresholds make it fall "
                          "back and then succeed", flush=True)
                    all_ok = False
                    break
                opts, res, margins = tuned
            else:
                res, margins = run_case(ref, v, gen, mels[length], opts, factory)
            bad = {k: x for k, x in margins.items() if x < MIN_MARGIN[k]}
            if variant == "quantized" and not bad:
                dev, same = flip_sensitivity(ref, v, gen, mels[length], opts, res)
                print(f"  {label}: rounding flips move the logits by up to {dev:.2g} x max, "
                      f"tokens {'kept' if same else 'CHANGED'}", flush=True)
                if not same or dev > QUANTIZED_LOGITS_TOLERANCE / 2:
                    bad["rounding flips"] = dev
                res["flip_sensitivity"] = dev
            if bad or not varied(res, opts.timestamps):
                print(f"  attempt {attempt}: {label} rejected {bad or 'too little output'}: "
                      f"{res['text']!r}", flush=True)
                all_ok = False
                break
            results.append((name, length, opts, decoders, res, variant))
        if all_ok:
            break
    else:
        raise SystemExit(f"{kind}: no audio seed gave clear decisions")
    model_dir = os.path.join(out, kind)
    write_model_dir(model_dir, m, v, gen)
    if variants:
        write_variants(out, kind)
    for length in ("short", "long"):
        A.write_wav(os.path.join(out, f"{length}_{kind}.wav"), audio[length])
    return m, v, gen, mels, results, {name: ref for name, ref, _, _ in variants}


ONNX_FILES = ("encoder_model", "decoder_model", "decoder_with_past_model", "decoder_model_merged")


def write_variants(out, kind):
    """OUT/KIND_fp16/ (every file of OUT/KIND, the ONNX ones in float16) and
    OUT/KIND/*_quantized.onnx (dynamic quantization of the split files, then merged)."""
    src = os.path.join(out, kind)
    f16 = os.path.join(out, f"{kind}_fp16")
    os.makedirs(f16, exist_ok=True)
    for f in sorted(os.listdir(src)):
        if not f.endswith(".onnx"):
            shutil.copyfile(os.path.join(src, f), os.path.join(f16, f))
    with open(os.path.join(f16, "config.json")) as f:
        cfg = json.load(f)
    cfg["torch_dtype"] = "float16"
    with open(os.path.join(f16, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
    for name in ONNX_FILES:
        V.convert_fp16(os.path.join(src, name + ".onnx"), os.path.join(f16, name + ".onnx"))
    q = {name: os.path.join(src, name + "_quantized.onnx") for name in ONNX_FILES}
    V.quantize_dynamic(os.path.join(src, "encoder_model.onnx"), q["encoder_model"],
                       V.ENCODER_SCHEME)
    for name in ("decoder_model", "decoder_with_past_model"):
        V.quantize_dynamic(os.path.join(src, name + ".onnx"), q[name], V.DECODER_SCHEME)
    M.merge_decoders(q["decoder_model"], q["decoder_with_past_model"], q["decoder_model_merged"])


def check_export(m, model_dir, mel, suffix="", widen=False, label=""):
    """Runs the ONNX files (named *SUFFIX.onnx) with `wrun run` when a build is present, and
    compares with torch: the prompt run, then one token with the cache (as the runtime cuts
    decoder calls). widen: the files are float16 (`wrun run --widen-fp16`)."""
    wrun = None
    for b in ("build", "build-release"):
        p = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), b, "wrun")
        if os.path.exists(p):
            wrun = p
            break
    if wrun is None:
        print("  (no wrun build: ONNX files checked with onnx.checker only)")
        return
    dims = m.dims
    tmp = tempfile.mkdtemp()
    feats = mel[None, :, :2 * dims.max_source_positions].astype(np.float32)
    ids = np.array([[3, 17, 5]], dtype=np.int64)
    one = np.array([[9]], dtype=np.int64)
    with torch.no_grad():
        enc = m.model.encoder(torch.from_numpy(feats))
        pres = M.DecoderExport(m)(torch.from_numpy(ids), enc)
        wp = M.DecoderWithPastExport(m)(torch.from_numpy(one), *pres[1:])
    ref_logits = np.concatenate([pres[0].numpy(), wp[0].numpy()], 1)
    pres = [p.numpy() for p in pres[1:]]
    e = enc.numpy()
    n = dims.decoder_layers
    empty = np.zeros((1, dims.heads, 0, dims.head_dim), np.float32)

    def run(model, inputs, outputs):
        d = os.path.join(tmp, str(len(os.listdir(tmp))))
        os.makedirs(d)
        args = [wrun, "run", os.path.join(model_dir, model.replace(".onnx", suffix + ".onnx"))]
        if widen:
            args.append("--widen-fp16")
        for k, x in inputs.items():
            np.save(os.path.join(d, k + ".npy"), x)
            args += ["--input", f"{k}={os.path.join(d, k + '.npy')}"]
        args += ["--output-dir", d]
        r = subprocess.run(args, capture_output=True, text=True)
        if r.returncode != 0:
            print(f"  wrun run {model} failed: {r.stderr.strip()[:300]}")
            return None
        return [np.load(os.path.join(d, o + ".npy")) for o in outputs]

    checks = []
    got = run("encoder_model.onnx", {"input_features": feats}, ["last_hidden_state"])
    checks.append(("encoder", got and np.abs(got[0] - e).max()))
    past = {}
    for i in range(n):
        past[f"past_key_values.{i}.decoder.key"] = pres[4 * i]
        past[f"past_key_values.{i}.decoder.value"] = pres[4 * i + 1]
        past[f"past_key_values.{i}.encoder.key"] = pres[4 * i + 2]
        past[f"past_key_values.{i}.encoder.value"] = pres[4 * i + 3]
    got = run("decoder_model.onnx", {"input_ids": ids, "encoder_hidden_states": e}, ["logits"])
    checks.append(("decoder", got and np.abs(got[0] - ref_logits[:, :3]).max()))
    got = run("decoder_with_past_model.onnx", {"input_ids": one, **past}, ["logits"])
    checks.append(("with_past", got and np.abs(got[0] - ref_logits[:, 3:]).max()))
    merged_in = {"input_ids": ids, "encoder_hidden_states": e,
                 **{k: empty for k in past}, "use_cache_branch": np.array([False])}
    got = run("decoder_model_merged.onnx", merged_in, ["logits"])
    checks.append(("merged/no_past", got and np.abs(got[0] - ref_logits[:, :3]).max()))
    merged_in = {"input_ids": one, "encoder_hidden_states": e, **past,
                 "use_cache_branch": np.array([True])}
    got = run("decoder_model_merged.onnx", merged_in, ["logits", "present.0.encoder.key"])
    checks.append(("merged/with_past", got and np.abs(got[0] - ref_logits[:, 3:]).max()))
    if got:
        print(f"  merged with-past present.0.encoder.key shape {got[1].shape}")
    shutil.rmtree(tmp)
    for name, err in checks:
        print(f"  onnx {label}{name}: max |wrun - torch| = {err}")


def to_json_windows(windows, row0):
    out = []
    for w in windows:
        rows = len(w["logits"]) if w["logits"] else 0
        item = {k: w[k] for k in ("seek", "temperature", "tokens", "avg_logprob",
                                  "compression_ratio")}
        if len(w["attempts"]) > 1:
            item["attempts"] = w["attempts"]
        item["logits_rows"] = [row0, row0 + rows]
        row0 += rows
        out.append(item)
    return out


def write_fixtures(out, retrain):
    """Training is not bit-reproducible across runs here (torch CPU), so the trained weights are
    committed as weights_{en,multi}.npz and reused; --retrain trains afresh."""
    t0 = time.time()
    weights = {}
    for kind in ("en", "multi"):
        path = os.path.join(out, f"weights_{kind}.npz")
        if not retrain and os.path.exists(path):
            with np.load(path) as z:
                weights[kind] = {k: z[k] for k in z.files}
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(os.path.join(out, "logits"))
    manifest = {
        "generator": "/usr/bin/python3 scripts/make_whisper_oracle.py --out tests/fixtures/whisper",
        "spec": "docs/decoding.md",
        "cli": CLI_FLAGS,
        "window_seconds": WINDOW_S,
        "compare": {"tokens": "exact", "segment times": "exact to 0.01 s (printed %.2f)",
                    "avg_logprob": "abs 1e-3",
                    "logits": "max |wrun - ref| <= 1e-4 x max |ref|, or the case's "
                    "logits_tolerance x max |ref| (quantized: DynamicQuantizeLinear rounding "
                    "flips, see logits_flip_sensitivity); float32, raw model output for the "
                    "last position at each step, before any filter"},
        "models": {}, "audio": {}, "cases": [],
    }
    for kind, seed in (("en", 1), ("multi", 2)):
        m, v, gen, mels, results, refs = build_kind(kind, out, seed, weights.get(kind))
        check_export(m, os.path.join(out, kind), mels["short"])
        if "fp16" in refs:
            check_export(refs["fp16"], os.path.join(out, f"{kind}_fp16"), mels["short"],
                         widen=True, label="fp16 ")
        if "quantized" in refs:
            check_export(refs["quantized"], os.path.join(out, kind), mels["short"],
                         suffix="_quantized", label="quantized ")
        manifest["models"][kind] = {
            "dir": kind, "multilingual": v.multilingual, "vocab_size": len(v), "eot": v.eot,
            "sot": v.sot, "languages": dict(zip(v.languages, v.lang_ids)),
            "translate": v.translate, "transcribe": v.transcribe, "no_timestamps": v.no_timestamps,
            "timestamp_begin": v.timestamp_begin, "suppress_tokens_effective": sorted(
                set(gen["suppress_tokens"]) | {v.translate, v.transcribe, v.sot, v.sot_prev,
                                               v.sot_lm, v.no_speech})}
        if "quantized" in refs:
            manifest["models"][kind]["variants"] = {"quantized": QUANTIZED_DOC}
        if "fp16" in refs:
            manifest["models"][f"{kind}_fp16"] = dict(manifest["models"][kind], dir=f"{kind}_fp16",
                                                      dtype="float16", about=FP16_DOC)
            manifest["models"][f"{kind}_fp16"].pop("variants", None)
        for length in ("short", "long"):
            wav = f"{length}_{kind}.wav"
            manifest["audio"][wav] = {"seconds": round(len(A.read_wav(os.path.join(out, wav))) /
                                                       A.SAMPLE_RATE, 4)}
        # front-end reference (en only, to keep the fixtures small): float32 log-mel of the short
        # WAV plus one window of zeros, and the en encoder's output for its first window
        if kind == "en":
            wav = A.read_wav(os.path.join(out, "short_en.wav"))
            mel = A.log_mel(wav, 80, int(WINDOW_S * A.SAMPLE_RATE)).astype(np.float32)
            np.save(os.path.join(out, "short_en_mel.npy"), mel)
            with torch.no_grad():
                enc = m.model.encoder(torch.from_numpy(mel[None, :, :300])).numpy()
            np.save(os.path.join(out, "short_en_encoder.npy"), enc)
            manifest["audio"]["short_en.wav"]["log_mel"] = "short_en_mel.npy"
            manifest["audio"]["short_en.wav"]["encoder_output_window0"] = "short_en_encoder.npy"
        for name, length, opts, decoders, res, variant in results:
            # fp16: its own folder (same file names); quantized: en's *_quantized.onnx files.
            model = f"{kind}_fp16" if variant == "fp16" else kind
            prefix = f"{kind}_{variant}" if variant else kind
            logits_file = None
            rows = [np.stack(w["logits"]) for w in res["windows"] if w["logits"]]
            greedy = opts.beam == 1 and not opts.temperature_fallback
            if greedy and rows:
                logits_file = f"logits/{prefix}_{name}.npy"
                np.save(os.path.join(out, logits_file), np.concatenate(rows).astype(np.float32))
            expected = {"language": res["language"], "text": res["text"],
                        "segments": res["segments"], "windows": to_json_windows(res["windows"], 0)}
            if res["language_probs"]:
                expected["language_probs"] = res["language_probs"]
            if logits_file:
                expected["logits"] = logits_file
                if variant == "quantized":
                    expected["logits_tolerance"] = QUANTIZED_LOGITS_TOLERANCE
                    expected["logits_flip_sensitivity"] = res["flip_sensitivity"]
            else:
                for w in expected["windows"]:
                    del w["logits_rows"]
            for decoder in decoders:
                args = case_args(opts, decoder)
                if variant == "quantized":
                    args += ["--variant", "quantized"]
                manifest["cases"].append({
                    "name": f"{prefix}_{decoder}_{name}", "model": model,
                    "audio": f"{length}_{kind}.wav", "args": args,
                    "options": {"language": opts.language, "task": opts.task,
                                "timestamps": opts.timestamps, "beam": opts.beam,
                                "temperature_fallback": opts.temperature_fallback,
                                "seed": opts.seed, "logprob_threshold": opts.logprob_threshold,
                                "compression_ratio_threshold": opts.compression_ratio_threshold,
                                "decoder": decoder,
                                "variant": "quantized" if variant == "quantized" else "auto"},
                    "expected": expected})
                print(f"  case {prefix}_{decoder}_{name}: {res['text']!r}", flush=True)
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
    total = sum(os.path.getsize(os.path.join(dp, fn)) for dp, _, fns in os.walk(out) for fn in fns)
    print(f"wrote {len(manifest['cases'])} cases, {total / 1e6:.2f} MB in {time.time() - t0:.0f} s")


def write_full_tiny(out):
    """Random weights at whisper-tiny dimensions with the real multilingual token layout."""
    v = T.Vocab(N_MERGES, True, T.WHISPER_LANGUAGES, 30.0, n_text=50257)
    assert len(v) == 51865 and v.eot == 50257 and v.timestamp_begin == 50364
    dims = M.Dims(d_model=384, encoder_layers=4, decoder_layers=4, heads=6, num_mel_bins=80,
                  max_source_positions=1500, max_target_positions=448, vocab_size=len(v))
    torch.manual_seed(0)
    m = M.WhisperForConditionalGeneration(dims)
    gen = generation_config(v, dims, full=True)
    write_model_dir(out, m, v, gen)
    print(f"wrote whisper-tiny-sized random export to {out}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", help="fixture folder (tests/fixtures/whisper)")
    ap.add_argument("--retrain", action="store_true",
                    help="train afresh instead of reusing OUT/weights_*.npz")
    ap.add_argument("--full-tiny", metavar="OUT", help="write a random whisper-tiny-sized export")
    a = ap.parse_args()
    if not a.out and not a.full_tiny:
        ap.error("give --out and/or --full-tiny")
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    if a.out:
        write_fixtures(a.out, a.retrain)
    if a.full_tiny:
        write_full_tiny(a.full_tiny)


if __name__ == "__main__":
    main()
