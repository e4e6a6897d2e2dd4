#include "speech/audio.h"

#include <fcntl.h>
#include <samplerate.h>
#include <sndfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <memory>

#include "graph/error.h"

namespace wrun::speech {

namespace {

// libmpg123 (inside libsndfile) prints warnings on stderr; a tool owes its user one error line,
// so stderr is silenced while a file is decoded.
class QuietStderr {
 public:
  QuietStderr() {
    std::fflush(stderr);
    saved_ = dup(2);
    int null = open("/dev/null", O_WRONLY);
    if (saved_ >= 0 && null >= 0) dup2(null, 2);
    if (null >= 0) close(null);
  }
  ~QuietStderr() {
    if (saved_ >= 0) {
      dup2(saved_, 2);
      close(saved_);
    }
  }

 private:
  int saved_ = -1;
};

}  // namespace

Audio read_audio(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) fail("cannot read audio '", path, "': no such file");
  if (!S_ISREG(st.st_mode)) fail("cannot read audio '", path, "': not a regular file");
  QuietStderr quiet;
  SF_INFO info;
  std::memset(&info, 0, sizeof(info));
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
  if (!f)
    fail("cannot read audio '", path,
         "': ", st.st_size == 0 ? "the file is empty" : "unrecognised or corrupt audio");
  std::unique_ptr<SNDFILE, int (*)(SNDFILE*)> guard(f, sf_close);
  if (info.channels <= 0 || info.samplerate <= 0)
    fail("audio '", path, "' has ", info.channels, " channels at ", info.samplerate, " Hz");
  if (info.frames <= 0) fail("audio '", path, "' is empty");
  // 24 hours of audio at 48 kHz is the most wrun will decode at once.
  if (info.frames > int64_t(48000) * 3600 * 24 || info.channels > 64)
    fail("audio '", path, "' is too long (", info.frames, " frames, ", info.channels, " channels)");
  Audio a;
  a.sample_rate = info.samplerate;
  a.channels = info.channels;
  a.samples.reserve(static_cast<size_t>(info.frames));
  std::vector<float> buf(static_cast<size_t>(4096) * info.channels);
  for (;;) {
    sf_count_t got = sf_readf_float(f, buf.data(), 4096);
    if (got <= 0) break;
    for (sf_count_t i = 0; i < got; ++i) {
      double sum = 0;  // mix to mono by averaging the channels
      for (int c = 0; c < info.channels; ++c) sum += buf[i * info.channels + c];
      a.samples.push_back(static_cast<float>(sum / info.channels));
    }
  }
  if (sf_error(f) != SF_ERR_NO_ERROR) fail("cannot decode audio '", path, "': ", sf_strerror(f));
  if (a.samples.empty()) fail("audio '", path, "' has no samples");
  return a;
}

std::vector<float> resample(const std::vector<float>& in, int from_rate, int to_rate) {
  if (from_rate == to_rate) return in;
  const double ratio = double(to_rate) / from_rate;
  std::vector<float> out(static_cast<size_t>(double(in.size()) * ratio + 64));
  SRC_DATA d;
  std::memset(&d, 0, sizeof(d));
  d.data_in = in.data();
  d.input_frames = static_cast<long>(in.size());
  d.data_out = out.data();
  d.output_frames = static_cast<long>(out.size());
  d.src_ratio = ratio;
  d.end_of_input = 1;
  if (int err = src_simple(&d, SRC_SINC_BEST_QUALITY, 1))
    fail("resampling from ", from_rate, " Hz to ", to_rate, " Hz failed: ", src_strerror(err));
  out.resize(static_cast<size_t>(d.output_frames_gen));
  return out;
}

std::vector<float> load_audio(const std::string& path, int rate) {
  Audio a = read_audio(path);
  return resample(a.samples, a.sample_rate, rate);
}

}  // namespace wrun::speech
