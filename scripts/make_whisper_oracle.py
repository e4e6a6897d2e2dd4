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
"""
import os

# Single-threaded BLAS/OpenMP before numpy and torch load: threaded kernels made training
# (and so every fixture) differ between runs.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
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

LANGS = ["en", "de", "fr", "es"]
LANG_WORDS = {
    "en": [" hello", " world", " audio", " speech", " model", " sound"],
    "de": [" ein", " zwei", " drei", " haus", " licht", " stein"],
    "fr": [" un", " deux", " trois", " maison", " eau", " pierre"],
    "es": [" uno", " dos", " tres", " casa", " agua", " luz"],
}
WINDOW_S = 3.0
N_MERGES = 200
MAX_INITIAL_TIMESTAMP_INDEX = 50
MIN_MARGIN = {"greedy": 1e-3, "force_ts": 1e-3, "language": 1e-3, "beam": 1e-4,
              "sample": 1e-6, "threshold": 1e-3}

CLI_FLAGS = {
    "--decoder split|merged|auto": "split: decoder_model + decoder_with_past_model; merged: "
                                   "decoder_model_merged (use_cache_branch); auto (default): merged "
                                   "if present, else split",
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


def run_case(m, v, gen, mel, opts):
    dec = D.Decoder(v, gen, m.dims.max_source_positions, m.dims.max_target_positions)
    res = D.transcribe(dec, step_fn_factory(m), mel, 2 * m.dims.max_source_positions, opts,
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
        specs.append(("fallback_long", "long",
                      D.Options(temperature_fallback=True, seed=7, logprob_threshold=-1.78),
                      ("merged",)))
    return specs


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
        for name, length, opts, decoders in case_specs(kind):
            res, margins = run_case(m, v, gen, mels[length], opts)
            bad = {k: x for k, x in margins.items() if x < MIN_MARGIN[k]}
            if bad or not varied(res, opts.timestamps):
                print(f"  attempt {attempt}: {name} rejected {bad or 'too little output'}: "
                      f"{res['text']!r}", flush=True)
                all_ok = False
                break
            results.append((name, length, opts, decoders, res))
        if all_ok:
            break
    else:
        raise SystemExit(f"{kind}: no audio seed gave clear decisions")
    model_dir = os.path.join(out, kind)
    write_model_dir(model_dir, m, v, gen)
    for length in ("short", "long"):
        A.write_wav(os.path.join(out, f"{length}_{kind}.wav"), audio[length])
    return m, v, gen, mels, results


def check_export(m, model_dir, mel):
    """Runs the ONNX files with `wrun run` when a build is present; compares with torch."""
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
    with torch.no_grad():
        enc = m.model.encoder(torch.from_numpy(feats))
        ref_logits = m.logits(torch.from_numpy(np.concatenate([ids, [[9]]], 1)), enc).numpy()
        pres = M.DecoderExport(m)(torch.from_numpy(ids), enc)
    pres = [p.numpy() for p in pres[1:]]
    e = enc.numpy()
    n = dims.decoder_layers
    empty = np.zeros((1, dims.heads, 0, dims.head_dim), np.float32)

    def run(model, inputs, outputs):
        d = os.path.join(tmp, str(len(os.listdir(tmp))))
        os.makedirs(d)
        args = [wrun, "run", os.path.join(model_dir, model)]
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
    one = np.array([[9]], dtype=np.int64)
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
        print(f"  onnx {name}: max |wrun - torch| = {err}")


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
                    "avg_logprob": "abs 1e-3", "logits": "abs 1e-3 (float32, raw model output "
                    "for the last position at each step, before any filter)"},
        "models": {}, "audio": {}, "cases": [],
    }
    for kind, seed in (("en", 1), ("multi", 2)):
        m, v, gen, mels, results = build_kind(kind, out, seed, weights.get(kind))
        check_export(m, os.path.join(out, kind), mels["short"])
        manifest["models"][kind] = {
            "dir": kind, "multilingual": v.multilingual, "vocab_size": len(v), "eot": v.eot,
            "sot": v.sot, "languages": dict(zip(v.languages, v.lang_ids)),
            "translate": v.translate, "transcribe": v.transcribe, "no_timestamps": v.no_timestamps,
            "timestamp_begin": v.timestamp_begin, "suppress_tokens_effective": sorted(
                set(gen["suppress_tokens"]) | {v.translate, v.transcribe, v.sot, v.sot_prev,
                                               v.sot_lm, v.no_speech})}
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
        for name, length, opts, decoders, res in results:
            logits_file = None
            rows = [np.stack(w["logits"]) for w in res["windows"] if w["logits"]]
            greedy = opts.beam == 1 and not opts.temperature_fallback
            if greedy and rows:
                logits_file = f"logits/{kind}_{name}.npy"
                np.save(os.path.join(out, logits_file), np.concatenate(rows).astype(np.float32))
            expected = {"language": res["language"], "text": res["text"],
                        "segments": res["segments"], "windows": to_json_windows(res["windows"], 0)}
            if res["language_probs"]:
                expected["language_probs"] = res["language_probs"]
            if logits_file:
                expected["logits"] = logits_file
            else:
                for w in expected["windows"]:
                    del w["logits_rows"]
            for decoder in decoders:
                manifest["cases"].append({
                    "name": f"{kind}_{decoder}_{name}", "model": kind,
                    "audio": f"{length}_{kind}.wav", "args": case_args(opts, decoder),
                    "options": {"language": opts.language, "task": opts.task,
                                "timestamps": opts.timestamps, "beam": opts.beam,
                                "temperature_fallback": opts.temperature_fallback,
                                "seed": opts.seed, "logprob_threshold": opts.logprob_threshold,
                                "compression_ratio_threshold": opts.compression_ratio_threshold,
                                "decoder": decoder},
                    "expected": expected})
                print(f"  case {kind}_{decoder}_{name}: {res['text']!r}", flush=True)
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
