"""Whisper's log-mel front end in float64 numpy, and the synthetic 'speech' the fixtures use."""
import wave

import numpy as np

SAMPLE_RATE = 16000
N_FFT = 400
HOP = 160


def hz_to_mel(f):
    """Slaney mel scale (librosa htk=False): linear below 1 kHz, log above."""
    f = np.asarray(f, dtype=np.float64)
    f_sp = 200.0 / 3
    mels = f / f_sp
    min_log_hz, logstep = 1000.0, np.log(6.4) / 27.0
    min_log_mel = min_log_hz / f_sp
    return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-12) / min_log_hz) / logstep,
                    mels)


def mel_to_hz(m):
    m = np.asarray(m, dtype=np.float64)
    f_sp = 200.0 / 3
    min_log_hz, logstep = 1000.0, np.log(6.4) / 27.0
    min_log_mel = min_log_hz / f_sp
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


def mel_filters(n_mels, sr=SAMPLE_RATE, n_fft=N_FFT):
    """librosa.filters.mel(sr, n_fft, n_mels, fmin=0, fmax=sr/2, htk=False, norm='slaney')."""
    fft_freqs = np.linspace(0, sr / 2, 1 + n_fft // 2)
    mel_pts = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(sr / 2), n_mels + 2))
    fdiff = np.diff(mel_pts)
    ramps = mel_pts[:, None] - fft_freqs[None, :]
    w = np.zeros((n_mels, len(fft_freqs)))
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        w[i] = np.maximum(0, np.minimum(lower, upper))
    w *= (2.0 / (mel_pts[2:n_mels + 2] - mel_pts[:n_mels]))[:, None]
    return w


def log_mel(audio, n_mels, pad_samples):
    """openai/whisper log_mel_spectrogram(audio, n_mels, padding=pad_samples) in float64.

    Appends pad_samples zeros, reflect-pads n_fft/2 both sides (center=True), periodic Hann,
    |rfft|^2, drops the last frame, mel, log10(max(x,1e-10)), max(x, global_max - 8), (x+4)/4.
    The -8 clamp uses the maximum over the whole padded signal, not per window.
    """
    x = np.concatenate([np.asarray(audio, dtype=np.float64), np.zeros(pad_samples)])
    x = np.pad(x, (N_FFT // 2, N_FFT // 2), mode="reflect")
    n_frames = 1 + (len(x) - N_FFT) // HOP
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)
    idx = np.arange(N_FFT)[None, :] + HOP * np.arange(n_frames)[:, None]
    spec = np.abs(np.fft.rfft(x[idx] * window, axis=1)) ** 2
    mel = mel_filters(n_mels) @ spec[:-1].T
    logs = np.log10(np.maximum(mel, 1e-10))
    logs = np.maximum(logs, logs.max() - 8.0)
    return (logs + 4.0) / 4.0


def write_wav(path, audio):
    pcm = np.clip(np.round(audio * 32767), -32768, 32767).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(pcm.tobytes())


def read_wav(path):
    """16-bit PCM WAV -> float64 samples / 32768 (as ffmpeg's s16le -> float in openai's load)."""
    with wave.open(path, "rb") as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2 and w.getframerate() == SAMPLE_RATE
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return pcm.astype(np.float64) / 32768.0


N_WORDS = 6  # per language


def word_freq(lang_index, word):
    """Tone frequency of a 'word': 24 log-spaced tones, 6 per language."""
    k = lang_index * N_WORDS + word
    return 250.0 * (3600.0 / 250.0) ** (k / 23.0)


def synth(rng, duration_s, lang_index, gap=(0.15, 0.5), length=(0.25, 0.7)):
    """Tone bursts with gaps over faint noise. Returns samples and [(start_s, end_s, word)]."""
    n = int(duration_s * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    audio = 0.003 * rng.standard_normal(n)
    segs = []
    pos = rng.uniform(0.0, 0.6)
    while True:
        length_s = rng.uniform(*length)
        if pos + 0.1 > duration_s:
            break
        word = int(rng.integers(N_WORDS))
        f = word_freq(lang_index, word)
        a, b = int(pos * SAMPLE_RATE), min(n, int((pos + length_s) * SAMPLE_RATE))
        env = np.sin(np.pi * np.linspace(0, 1, b - a)) ** 0.5
        audio[a:b] += 0.3 * env * (np.sin(2 * np.pi * f * t[a:b]) +
                                   0.3 * np.sin(2 * np.pi * 2 * f * t[a:b]))
        segs.append((pos, min(duration_s, pos + length_s), word))
        pos += length_s + rng.uniform(*gap)
    return audio, segs
