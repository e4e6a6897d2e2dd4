#!/usr/bin/python3
"""Independent float64 NumPy log-mel (openai/whisper's audio.py, in float64), the oracle for
wrun's front end. Usage: ref_log_mel.py SAMPLES.npy FILTERS.npz N_MELS OUT.npy

SAMPLES.npy holds 16 kHz mono samples; the filterbank comes from Whisper's mel_filters.npz.
Writes the log-mel [n_mels, len(samples) // 160] with the clamp over all frames."""
import sys

import numpy as np

samples = np.load(sys.argv[1]).astype(np.float64)
filters = np.load(sys.argv[2])[f"mel_{sys.argv[3]}"].astype(np.float64)
n_fft, hop = 400, 160
window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)  # periodic Hann
padded = np.pad(samples, n_fft // 2, mode="reflect")
n_frames = 1 + len(samples) // hop
frames = np.stack([padded[t * hop: t * hop + n_fft] for t in range(n_frames)])
power = np.abs(np.fft.rfft(frames * window, axis=1)) ** 2
power = power[:-1]  # the last frame is dropped
mel = filters @ power.T
log = np.log10(np.maximum(mel, 1e-10))
log = np.maximum(log, log.max() - 8.0)
np.save(sys.argv[4], (log + 4.0) / 4.0)
