#!/usr/bin/python3
"""Synthetic English speech for training and evaluating wrun's bundled models.

  /usr/bin/python3 train/make_speech_data.py --out DIR [--splits train,dev,test] [--jobs 2]

Sentences come from train/sentences.py (one seed, all distinct; test, dev and train take disjoint
slices). Each utterance is spoken by espeak-ng with a voice variant, speed and pitch drawn from
its own seeded generator, then sox resamples it to 16 kHz mono and applies tempo, gain, padding
and sometimes reverb; light Gaussian noise at a drawn SNR is added here with numpy. The test and
dev splits use voice variants held out of training. Output: DIR/SPLIT/NNNNNN.wav (16-bit PCM) and
DIR/SPLIT.tsv (`SPLIT/NNNNNN.wav<TAB>text`, the `wrun eval` manifest format). Every utterance
depends only on (seed, split, index), so any split can be regenerated alone, identically, given
the same espeak-ng and sox.
"""
import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import time
import wave

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sentences as S  # noqa: E402

SR = 16000
ACCENTS = ["en-us", "en-gb"]
VOICES = {
    "train": ["m1", "m2", "m3", "m5", "m6", "f1", "f2"],
    "dev": ["m7", "f4"],   # held out of training
    "test": ["m4", "f3"],  # held out of training and dev
}
SPLIT_ID = {"train": 0, "dev": 1, "test": 2}
DEFAULT_COUNTS = {"train": 24000, "dev": 400, "test": 600}


def split_sentences(seed, counts):
    """Disjoint slices of one list of distinct sentences: test first, then dev, then train."""
    total = counts["test"] + counts["dev"] + counts["train"]
    all_s = S.sentences(seed, total)
    a, b = counts["test"], counts["test"] + counts["dev"]
    return {"test": all_s[:a], "dev": all_s[a:b], "train": all_s[b:]}


def utterance_params(seed, split, index):
    r = np.random.default_rng([seed, SPLIT_ID[split], index])
    p = {
        "voice": f"{r.choice(ACCENTS)}+{r.choice(VOICES[split])}",
        "speed": int(r.integers(130, 201)),
        "pitch": int(r.integers(30, 71)),
        "tempo": float(np.round(r.uniform(0.92, 1.08), 3)) if r.random() < 0.5 else 1.0,
        "norm_db": float(np.round(r.uniform(-12, -1), 1)),
        "pad_before": float(np.round(r.uniform(0.05, 0.4), 3)),
        "pad_after": float(np.round(r.uniform(0.1, 0.4), 3)),
        "reverb": int(r.integers(10, 50)) if r.random() < 0.3 else 0,
        "snr_db": float(np.round(r.uniform(20, 40), 1)) if r.random() < 0.7 else None,
        "noise_seed": int(r.integers(1 << 31)),
    }
    return p


def synthesize(text, p):
    speak = subprocess.run(["espeak-ng", "-v", p["voice"], "-s", str(p["speed"]), "-p",
                            str(p["pitch"]), "--stdout", text], capture_output=True, check=True)
    effects = ["norm", str(p["norm_db"])]
    if p["tempo"] != 1.0:
        effects += ["tempo", "-s", str(p["tempo"])]
    if p["reverb"]:
        effects += ["reverb", str(p["reverb"]), "50", "40"]
    effects += ["pad", str(p["pad_before"]), str(p["pad_after"])]
    sox = subprocess.run(["sox", "-q", "-D", "-t", "wav", "-", "-t", "raw", "-e", "signed", "-b", "16",
                          "-c", "1", "-r", str(SR), "-", "remix", "-"] + effects,
                         input=speak.stdout, capture_output=True, check=True)
    x = np.frombuffer(sox.stdout, dtype=np.int16).astype(np.float64) / 32768.0
    if p["snr_db"] is not None:
        power = np.mean(x**2) + 1e-12
        noise = np.random.default_rng(p["noise_seed"]).standard_normal(len(x))
        x = x + noise * np.sqrt(power / 10 ** (p["snr_db"] / 10))
    return np.clip(np.round(x * 32767), -32768, 32767).astype(np.int16)


def write_wav(path, samples):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(samples.tobytes())


def _job(args):
    out, seed, split, index, text = args
    path = os.path.join(out, split, f"{index:06d}.wav")
    p = utterance_params(seed, split, index)
    if not os.path.exists(path):
        audio = synthesize(text, p)
        tmp = path + ".tmp"
        write_wav(tmp, audio)
        os.replace(tmp, path)  # an interrupted run never leaves a half file
    with wave.open(path) as w:
        return w.getnframes() / SR


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--splits", default="train,dev,test")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    for split, n in DEFAULT_COUNTS.items():
        ap.add_argument(f"--n-{split}", type=int, default=n)
    a = ap.parse_args()
    counts = {s: getattr(a, f"n_{s}") for s in DEFAULT_COUNTS}
    texts = split_sentences(a.seed, counts)
    meta = {"generator": "train/make_speech_data.py", "seed": a.seed, "counts": counts,
            "voices": VOICES, "accents": ACCENTS, "sample_rate": SR,
            "espeak-ng": subprocess.run(["espeak-ng", "--version"], capture_output=True,
                                        text=True).stdout.strip(),
            "sox": subprocess.run(["sox", "--version"], capture_output=True,
                                  text=True).stdout.strip(), "splits": {}}
    with multiprocessing.Pool(a.jobs) as pool:
        for split in a.splits.split(","):
            os.makedirs(os.path.join(a.out, split), exist_ok=True)
            jobs = [(a.out, a.seed, split, i, t) for i, t in enumerate(texts[split])]
            t0, durations = time.time(), []
            for k, d in enumerate(pool.imap(_job, jobs, chunksize=16)):
                durations.append(d)
                if (k + 1) % 1000 == 0 or k + 1 == len(jobs):
                    print(f"{split}: {k + 1}/{len(jobs)} utterances, {time.time() - t0:.0f} s",
                          file=sys.stderr, flush=True)
            with open(os.path.join(a.out, f"{split}.tsv"), "w", encoding="utf-8") as f:
                for i, t in enumerate(texts[split]):
                    f.write(f"{split}/{i:06d}.wav\t{t}\n")
            meta["splits"][split] = {"utterances": len(jobs), "hours": sum(durations) / 3600,
                                     "words": sum(len(t.split()) for t in texts[split])}
    old = {}
    meta_path = os.path.join(a.out, "meta.json")
    if os.path.exists(meta_path):
        with open(meta_path) as f:
            old = json.load(f).get("splits", {})
    meta["splits"] = {**old, **meta["splits"]}
    with open(meta_path, "w") as f:
        json.dump(meta, f, indent=1)


if __name__ == "__main__":
    main()
