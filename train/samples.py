"""A few held-out test utterances shipped with each model, with PyTorch's transcript of each: the
C++ tests check that wrun transcribes them exactly as PyTorch does (tests/bundled_models_test.cc)."""
import json
import os
import subprocess

import common as C

N_SAMPLES = 4


def write_samples(model_dir, data_dir, transcribe, n=N_SAMPLES):
    """transcribe(float64 samples in [-1, 1]) -> dict with at least 'text'."""
    rows = C.read_manifest(os.path.join(data_dir, "test.tsv"))[:n]
    os.makedirs(os.path.join(model_dir, "samples"), exist_ok=True)
    out = []
    for path, ref in rows:
        name = "samples/" + os.path.splitext(os.path.basename(path))[0] + ".flac"
        subprocess.run(["sox", "-q", "-D", path, os.path.join(model_dir, name)], check=True)
        audio = C.read_wav(path).astype("float64") / 32768.0
        out.append({"audio": name, "reference": ref, **transcribe(audio)})
    with open(os.path.join(model_dir, "samples.json"), "w") as f:
        json.dump({"generator": "train/samples.py (PyTorch)", "samples": out}, f, indent=1)
    return out
