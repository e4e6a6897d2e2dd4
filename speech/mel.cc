#include "speech/mel.h"

#include <kissfft/kiss_fftr.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "graph/error.h"

namespace wrun::speech {

namespace {

// Slaney's mel scale (librosa's default, htk=False).
constexpr double kFSp = 200.0 / 3, kMinLogHz = 1000.0, kMinLogMel = kMinLogHz / kFSp;
const double kLogStep = std::log(6.4) / 27.0;

double hz_to_mel(double f) {
  return f < kMinLogHz ? f / kFSp : kMinLogMel + std::log(f / kMinLogHz) / kLogStep;
}
double mel_to_hz(double m) {
  return m < kMinLogMel ? m * kFSp : kMinLogHz * std::exp(kLogStep * (m - kMinLogMel));
}

}  // namespace

std::vector<double> mel_filterbank(int n_mels, int n_fft, int sample_rate) {
  WRUN_CHECK(n_mels > 0 && n_fft > 0 && sample_rate > 0, "invalid mel filterbank parameters");
  const int n_bins = n_fft / 2 + 1;
  std::vector<double> fft_hz(n_bins), mel_hz(n_mels + 2);
  for (int k = 0; k < n_bins; ++k) fft_hz[k] = double(sample_rate) / 2 * k / (n_bins - 1);
  const double lo = hz_to_mel(0), hi = hz_to_mel(double(sample_rate) / 2);
  for (int i = 0; i < n_mels + 2; ++i) mel_hz[i] = mel_to_hz(lo + (hi - lo) * i / (n_mels + 1));
  std::vector<double> w(static_cast<size_t>(n_mels) * n_bins);
  for (int m = 0; m < n_mels; ++m) {
    const double enorm = 2.0 / (mel_hz[m + 2] - mel_hz[m]);
    for (int k = 0; k < n_bins; ++k) {
      const double lower = (fft_hz[k] - mel_hz[m]) / (mel_hz[m + 1] - mel_hz[m]);
      const double upper = (mel_hz[m + 2] - fft_hz[k]) / (mel_hz[m + 2] - mel_hz[m + 1]);
      w[static_cast<size_t>(m) * n_bins + k] = std::max(0.0, std::min(lower, upper)) * enorm;
    }
  }
  return w;
}

MelSpec log_mel(const std::vector<float>& samples, int n_mels, int n_fft, int hop) {
  WRUN_CHECK(!samples.empty(), "no audio samples for the log-mel");
  WRUN_CHECK(n_fft % 2 == 0 && hop > 0, "invalid STFT parameters");
  const int64_t n = static_cast<int64_t>(samples.size()), pad = n_fft / 2;
  WRUN_CHECK(n > pad, "audio too short for the STFT: ", n, " samples");
  const int n_bins = n_fft / 2 + 1;
  const int n_frames = static_cast<int>(n / hop);  // 1 + n / hop, less the dropped last frame
  // Centred frames: reflect-pad by n_fft / 2 on both sides.
  auto at = [&](int64_t i) -> double {
    i -= pad;
    if (i < 0) i = -i;
    if (i >= n) i = 2 * (n - 1) - i;
    return samples[static_cast<size_t>(i)];
  };
  std::vector<double> window(n_fft);
  for (int i = 0; i < n_fft; ++i) window[i] = 0.5 - 0.5 * std::cos(2 * M_PI * i / n_fft);
  const std::vector<double> filters = mel_filterbank(n_mels, n_fft, 16000);

  std::unique_ptr<std::remove_pointer_t<kiss_fftr_cfg>, void (*)(void*)> cfg(
      kiss_fftr_alloc(n_fft, 0, nullptr, nullptr), kiss_fftr_free);
  WRUN_CHECK(cfg, "cannot set up the FFT");
  std::vector<kiss_fft_scalar> frame(n_fft);
  std::vector<kiss_fft_cpx> spec(n_bins);
  std::vector<double> power(n_bins);
  MelSpec out;
  out.n_mels = n_mels;
  out.n_frames = n_frames;
  out.data.resize(static_cast<size_t>(n_mels) * n_frames);
  std::vector<double> logs(out.data.size());
  double max_log = -1e30;
  for (int t = 0; t < n_frames; ++t) {
    const int64_t start = static_cast<int64_t>(t) * hop;
    for (int i = 0; i < n_fft; ++i)
      frame[i] = static_cast<kiss_fft_scalar>(at(start + i) * window[i]);
    kiss_fftr(cfg.get(), frame.data(), spec.data());
    for (int k = 0; k < n_bins; ++k)
      power[k] = double(spec[k].r) * spec[k].r + double(spec[k].i) * spec[k].i;
    for (int m = 0; m < n_mels; ++m) {
      const double* f = &filters[static_cast<size_t>(m) * n_bins];
      double e = 0;
      for (int k = 0; k < n_bins; ++k) e += f[k] * power[k];
      const double l = std::log10(std::max(e, 1e-10));
      logs[static_cast<size_t>(m) * n_frames + t] = l;
      max_log = std::max(max_log, l);
    }
  }
  for (size_t i = 0; i < logs.size(); ++i)
    out.data[i] = static_cast<float>((std::max(logs[i], max_log - 8.0) + 4.0) / 4.0);
  return out;
}

MelSpec log_mel_padded(const std::vector<float>& samples, int n_mels, int n_window_frames) {
  std::vector<float> padded(samples);
  padded.resize(samples.size() + static_cast<size_t>(n_window_frames) * 160, 0.0f);
  return log_mel(padded, n_mels);
}

MelSpec slice_frames(const MelSpec& m, int start, int n) {
  MelSpec out;
  out.n_mels = m.n_mels;
  out.n_frames = n;
  out.data.assign(static_cast<size_t>(m.n_mels) * n, 0.0f);
  for (int r = 0; r < m.n_mels; ++r)
    for (int t = 0; t < n && start + t < m.n_frames; ++t)
      out.data[static_cast<size_t>(r) * n + t] = m.at(r, start + t);
  return out;
}

}  // namespace wrun::speech
