// Audio input: decodes WAV, FLAC, OGG/Vorbis and MP3 with libsndfile, mixes to mono and resamples
// with libsamplerate. Errors (unreadable, empty, unsupported) are one line naming the file.
#pragma once
#include <string>
#include <vector>

namespace wrun::speech {

struct Audio {
  std::vector<float> samples;  // mono, in [-1, 1]
  int sample_rate = 0;
  int channels = 0;  // of the file, before mixing
  double seconds() const { return sample_rate ? double(samples.size()) / sample_rate : 0; }
};

// Decodes a file to mono at its own sample rate.
Audio read_audio(const std::string& path);
// Resamples mono samples (SRC_SINC_BEST_QUALITY); returns them unchanged at the same rate.
std::vector<float> resample(const std::vector<float>& in, int from_rate, int to_rate);
// read_audio + resample to `rate` (16 kHz for Whisper).
std::vector<float> load_audio(const std::string& path, int rate = 16000);

}  // namespace wrun::speech
