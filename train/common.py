"""Shared pieces of the training scripts: data loading, Whisper log-mel in torch, scoring,
checkpoints and progress lines."""
import json
import math
import os
import re
import sys
import time
import wave

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "scripts"))
from whisper_ref import audio as A  # noqa: E402

SR = 16000


def read_manifest(path):
    base = os.path.dirname(os.path.abspath(path))
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line:
                p, t = line.split("\t", 1)
                rows.append((os.path.join(base, p), t))
    return rows


def read_wav(path):
    with wave.open(path) as w:
        assert w.getframerate() == SR and w.getnchannels() == 1 and w.getsampwidth() == 2, path
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)


def load_split(data_dir, split):
    """(list of int16 arrays, list of texts); packs the split into one .npy the first time."""
    rows = read_manifest(os.path.join(data_dir, f"{split}.tsv"))
    pack = os.path.join(data_dir, f"{split}.pack.npy")
    offs = os.path.join(data_dir, f"{split}.offsets.npy")
    if os.path.exists(pack) and os.path.exists(offs) and \
            os.path.getmtime(pack) > os.path.getmtime(os.path.join(data_dir, f"{split}.tsv")):
        data, o = np.load(pack, mmap_mode="r"), np.load(offs)
    else:
        waves = [read_wav(p) for p, _ in rows]
        o = np.cumsum([0] + [len(w) for w in waves])
        data = np.concatenate(waves)
        np.save(pack, data)
        np.save(offs, o)
    audio = [np.asarray(data[o[i]:o[i + 1]]) for i in range(len(rows))]
    return audio, [t for _, t in rows]


class LogMel(torch.nn.Module):
    """Whisper's log-mel (whisper_ref.audio.log_mel) in float32 torch, batched.

    Each row is padded with zeros to `n_samples` first, so the -8 clamp sees what wrun sees for a
    one-window input. Returns [batch, n_mels, n_samples / hop].
    """

    def __init__(self, n_mels=80):
        super().__init__()
        self.register_buffer("filters", torch.from_numpy(A.mel_filters(n_mels)).float())
        self.register_buffer("window", torch.hann_window(A.N_FFT, periodic=True))

    def forward(self, x):  # x: [b, n_samples] float32 in [-1, 1]
        spec = torch.stft(x, A.N_FFT, A.HOP, window=self.window, center=True, pad_mode="reflect",
                          return_complex=True)
        power = spec[..., :-1].abs() ** 2
        logs = torch.clamp(self.filters @ power, min=1e-10).log10()
        peak = logs.amax(dim=(1, 2), keepdim=True)
        return (torch.maximum(logs, peak - 8.0) + 4.0) / 4.0


def batch_audio(waves, n_samples, gain_db=None):
    """int16 arrays -> float32 [b, n_samples], zero padded (or cut)."""
    out = torch.zeros(len(waves), n_samples)
    for i, w in enumerate(waves):
        w = torch.from_numpy(np.asarray(w[:n_samples], dtype=np.float32) / 32768.0)
        if gain_db is not None:
            w = w * 10 ** (gain_db[i] / 20)
        out[i, :len(w)] = w
    return out


def spec_augment(feats, rng, lengths, n_freq=2, f_width=10, n_time=2, t_frac=0.08):
    """Masks a few mel bands and time spans inside the speech (in place, to the row's mean)."""
    b, n_mels, _ = feats.shape
    for i in range(b):
        fill = feats[i].mean()
        for _ in range(n_freq):
            w = int(rng.integers(0, f_width + 1))
            f0 = int(rng.integers(0, n_mels - w + 1))
            feats[i, f0:f0 + w, :] = fill
        t_len = max(1, int(lengths[i]))
        for _ in range(n_time):
            w = int(rng.integers(0, int(t_frac * t_len) + 1))
            t0 = int(rng.integers(0, max(1, t_len - w)))
            feats[i, :, t0:t0 + w] = fill
    return feats


def normalize_text(t):
    """wrun eval's normalization: lowercase, hyphens to spaces, punctuation but apostrophes out."""
    t = t.lower().replace("-", " ")
    t = re.sub(r"[^\w\s']", " ", t)
    return " ".join(t.split())


def edit_distance(a, b):
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y))
        prev = cur
    return prev[-1]


def error_rates(hyps, refs):
    """(WER, CER) over a corpus: total edits / total reference words (characters)."""
    we = wn = ce = cn = 0
    for h, r in zip(hyps, refs):
        h, r = normalize_text(h), normalize_text(r)
        we += edit_distance(h.split(), r.split())
        wn += len(r.split())
        ce += edit_distance(list(h), list(r))
        cn += len(r)
    return we / max(wn, 1), ce / max(cn, 1)


class Checkpoint:
    """Resumable training state in one file, written atomically."""

    def __init__(self, path):
        self.path = path

    def load(self):
        if os.path.exists(self.path):
            return torch.load(self.path)
        return None

    def save(self, state):
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        tmp = self.path + ".tmp"
        torch.save(state, tmp)
        os.replace(tmp, self.path)


class Progress:
    def __init__(self, log_path, total_steps):
        if log_path:
            os.makedirs(os.path.dirname(log_path), exist_ok=True)
        self.log = open(log_path, "a") if log_path else None
        self.total, self.t0 = total_steps, time.time()

    def __call__(self, step, **kv):
        items = " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                         for k, v in kv.items())
        line = f"step {step}/{self.total} {time.time() - self.t0:.0f}s {items}"
        print(line, file=sys.stderr, flush=True)
        if self.log:
            self.log.write(json.dumps({"step": step, **kv}) + "\n")
            self.log.flush()


def speech_span(w, hop=160, rel_db=-35.0):
    """(first, last) 10 ms frame whose energy is within rel_db of the loudest frame."""
    x = np.asarray(w, dtype=np.float32)
    n = len(x) // hop
    if n == 0:
        return 0, 0
    e = (x[:n * hop].reshape(n, hop) ** 2).mean(axis=1) + 1e-12
    db = 10 * np.log10(e / e.max())
    idx = np.nonzero(db > rel_db)[0]
    return int(idx[0]), int(idx[-1]) + 1


def conv1d_mm(x, conv):
    """conv(x) for an nn.Conv1d as unfold + matmul (dense or depthwise), zero padding.

    Training only, under bfloat16 autocast: after bf16 kernels have run in the process, Debian's
    torch 1.13 returns garbage Conv1d gradients (1e8..1e27, from gradients of 1e-7) on this CPU,
    also in float32 and with oneDNN disabled; the matmul form is exact (checked against
    nn.Conv1d forward) and its gradients are sane.
    """
    k, s, p = conv.kernel_size[0], conv.stride[0], conv.padding[0]
    cols = F.pad(x, (p, p)).unfold(2, k, s)  # [b, c_in, t_out, k]
    if conv.groups == 1:
        y = torch.einsum("bctk,ock->bot", cols, conv.weight)
    else:
        assert conv.groups == conv.in_channels == conv.out_channels, "depthwise or dense only"
        y = (cols * conv.weight[:, 0][None, :, None, :]).sum(-1)
    return y if conv.bias is None else y + conv.bias[:, None]


def lr_at(step, total, peak, warmup, floor):
    """Linear warm-up over `warmup` steps, then cosine decay from `peak` to `floor * peak` at
    step `total`."""
    if step < warmup:
        return peak * (step + 1) / warmup
    p = (step - warmup) / max(1, total - warmup)
    return peak * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * min(1.0, p))))
