// Whisper's log-mel front end: STFT (n_fft 400, hop 160, periodic Hann, centred with reflect
// padding, last frame dropped), power spectrum, slaney mel filterbank computed here,
// log10(max(x, 1e-10)), clamp to (max - 8), then (x + 4) / 4.
#pragma once
#include <cstddef>
#include <vector>

namespace wrun::speech {

struct MelSpec {
  int n_mels = 0;
  int n_frames = 0;
  std::vector<float> data;  // [n_mels, n_frames], row-major
  float at(int m, int t) const { return data[static_cast<size_t>(m) * n_frames + t]; }
};

// The slaney-normalised mel filterbank [n_mels, n_fft/2 + 1] (librosa's mel(htk=False,
// norm="slaney")), computed in double.
std::vector<double> mel_filterbank(int n_mels, int n_fft = 400, int sample_rate = 16000);

// Log-mel of 16 kHz samples; one frame per `hop` samples (samples.size() / hop frames).
// The clamp uses the maximum over all of these frames, as openai/whisper does.
MelSpec log_mel(const std::vector<float>& samples, int n_mels, int n_fft = 400, int hop = 160);

// The log-mel transcription uses: the samples followed by one window of zeros, so that every
// window of n_window_frames frames can be sliced from it (openai/whisper's transcribe()).
MelSpec log_mel_padded(const std::vector<float>& samples, int n_mels, int n_window_frames);

// Frames [start, start + n) of a spectrogram, padded with zeros past its end (as openai/whisper's
// pad_or_trim does).
MelSpec slice_frames(const MelSpec& m, int start, int n);

}  // namespace wrun::speech
