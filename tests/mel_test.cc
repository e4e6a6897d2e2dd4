// Whisper's front end against independent references: the filterbank against Whisper's own
// mel_filters.npz, the log-mel against a float64 NumPy implementation (scripts/ref_log_mel.py)
// on the same 16 kHz samples, and the full 44.1 kHz FLAC path against sox's resampling.
#include "speech/mel.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include "runtime/npy.h"
#include "speech/audio.h"
#include "tests/test_models.h"

namespace wrun {
namespace {

const std::string kAssets = std::string(WRUN_SOURCE_DIR) + "/../shared/whisper-assets";

bool have_numpy() {
  return testing::file_exists("/usr/bin/python3") &&
         std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") == 0;
}

std::string tmp(const std::string& name) { return ::testing::TempDir() + "wrun_mel_" + name; }

// Extracts mel_<n> from mel_filters.npz to .npy with NumPy.
NpyArray reference_filters(int n_mels) {
  const std::string out = tmp("filters" + std::to_string(n_mels) + ".npy");
  const std::string cmd = "/usr/bin/python3 -c \"import numpy as np; np.save('" + out +
                          "', np.load('" + kAssets + "/mel_filters.npz')['mel_" +
                          std::to_string(n_mels) + "'])\"";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  return read_npy(out);
}

class MelAssets : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::file_exists(kAssets + "/jfk.flac"))
      GTEST_SKIP() << "../shared/whisper-assets is not beside the project (a developer checkout)";
    if (!have_numpy()) GTEST_SKIP() << "Debian's python3-numpy is missing (scripts/setup.sh)";
  }
};

TEST_F(MelAssets, FilterbankMatchesWhisper) {
  for (int n_mels : {80, 128}) {
    NpyArray ref = reference_filters(n_mels);
    ASSERT_EQ(ref.shape, (Shape{n_mels, 201}));
    const float* r = reinterpret_cast<const float*>(ref.data.data());
    auto w = speech::mel_filterbank(n_mels);
    double worst = 0, peak = 0;
    for (size_t i = 0; i < w.size(); ++i) {
      worst = std::max(worst, std::fabs(w[i] - r[i]));
      peak = std::max(peak, std::fabs(double(r[i])));
    }
    EXPECT_LE(worst, 1e-6 * peak) << n_mels << " mels: max diff " << worst;
  }
}

// Our log-mel and the float64 NumPy one on identical 16 kHz samples (jfk.flac through our
// decoder and resampler): max abs difference <= 1e-4.
TEST_F(MelAssets, LogMelMatchesFloat64NumPy) {
  auto samples = speech::load_audio(kAssets + "/jfk.flac", 16000);
  ASSERT_GT(samples.size(), 16000u * 10);
  const std::string in = tmp("samples.npy");
  write_npy(in, make_view(samples.data(), DType::kF32, Shape{int64_t(samples.size())}));
  for (int n_mels : {80, 128}) {
    const std::string out = tmp("ref" + std::to_string(n_mels) + ".npy");
    const std::string cmd = "/usr/bin/python3 " WRUN_SOURCE_DIR "/scripts/ref_log_mel.py " + in +
                            " " + kAssets + "/mel_filters.npz " + std::to_string(n_mels) + " " +
                            out;
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    NpyArray ref = read_npy(out);
    auto got = speech::log_mel(samples, n_mels);
    ASSERT_EQ(ref.shape, (Shape{n_mels, got.n_frames}));
    const double* r = reinterpret_cast<const double*>(ref.data.data());
    double worst = 0;
    for (size_t i = 0; i < got.data.size(); ++i)
      worst = std::max(worst, std::fabs(double(got.data[i]) - r[i]));
    std::printf("log-mel %d bins, %d frames: max |wrun - numpy float64| = %.2e\n", n_mels,
                got.n_frames, worst);
    EXPECT_LE(worst, 1e-4);
  }
}

// The whole path from the 44.1 kHz stereo 24-bit FLAC against sox's conversion to 16 kHz mono:
// resamplers differ, so the bound is looser.
TEST_F(MelAssets, FullPathFromFlacNearSox) {
  if (std::system("sox --version >/dev/null 2>&1") != 0) GTEST_SKIP() << "sox is missing";
  const std::string wav = tmp("jfk16k.wav");
  ASSERT_EQ(std::system(("sox " + kAssets + "/jfk.flac -r 16000 -c 1 -b 32 -e floating-point " +
                         wav + " 2>/dev/null")
                            .c_str()),
            0);
  auto ours = speech::log_mel(speech::load_audio(kAssets + "/jfk.flac"), 80);
  auto sox = speech::log_mel(speech::load_audio(wav), 80);
  const int frames = std::min(ours.n_frames, sox.n_frames);
  EXPECT_LE(std::abs(ours.n_frames - sox.n_frames), 1);
  double worst = 0, mean = 0;
  for (int m = 0; m < 80; ++m)
    for (int t = 0; t < frames; ++t) {
      double d = std::fabs(double(ours.at(m, t)) - sox.at(m, t));
      worst = std::max(worst, d);
      mean += d;
    }
  mean /= 80.0 * frames;
  std::printf("jfk.flac 44.1 kHz path vs sox: max diff %.3e, mean diff %.3e\n", worst, mean);
  EXPECT_LE(mean, 2e-3);
  EXPECT_LE(worst, 0.1);
}

TEST(Audio, BadFilesGiveErrors) {
  EXPECT_THROW(speech::read_audio("/nonexistent.wav"), Error);
  const std::string empty = tmp("empty.wav");
  {
    FILE* f = std::fopen(empty.c_str(), "wb");
    std::fclose(f);
  }
  EXPECT_THROW(speech::read_audio(empty), Error);
  const std::string junk = tmp("junk.wav");
  {
    FILE* f = std::fopen(junk.c_str(), "wb");
    std::fputs("RIFF....WAVEjunkjunkjunk", f);
    std::fclose(f);
  }
  EXPECT_THROW(speech::read_audio(junk), Error);
}

TEST(Audio, ResampleKeepsDurationAndTone) {
  std::vector<float> tone(44100);
  for (size_t i = 0; i < tone.size(); ++i) tone[i] = float(std::sin(2 * M_PI * 440 * i / 44100.0));
  auto out = speech::resample(tone, 44100, 16000);
  EXPECT_NEAR(double(out.size()), 16000, 2);
  // The resampled tone still has amplitude ~1 in its middle.
  float peak = 0;
  for (size_t i = 4000; i < 12000; ++i) peak = std::max(peak, std::fabs(out[i]));
  EXPECT_NEAR(peak, 1.0, 0.01);
}

TEST(Mel, SilenceAndShapes) {
  std::vector<float> zeros(16000, 0.0f);
  auto m = speech::log_mel(zeros, 80);
  EXPECT_EQ(m.n_frames, 100);
  for (float v : m.data) EXPECT_FLOAT_EQ(v, (-10.0f + 4.0f) / 4.0f);
  auto padded = speech::log_mel_padded(zeros, 80, 3000);
  EXPECT_EQ(padded.n_frames, 3100);
  auto w = speech::slice_frames(padded, 3000, 3000);
  EXPECT_EQ(w.n_frames, 3000);
  EXPECT_EQ(w.at(0, 2999), 0.0f);  // past the end: zeros, as pad_or_trim
}

}  // namespace
}  // namespace wrun
