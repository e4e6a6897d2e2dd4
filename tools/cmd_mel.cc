// wrun mel: the first window's log-mel of an audio file, as Whisper's encoder receives it.
#include <cstdio>

#include "runtime/npy.h"
#include "speech/audio.h"
#include "speech/mel.h"
#include "tools/args.h"
#include "tools/commands.h"

namespace wrun::tools {

namespace {
const char* kHelp =
    "usage: wrun mel AUDIO -o FILE.npy [--n-mels 80|128] [--frames N]\n"
    "\n"
    "Decodes AUDIO (WAV, FLAC, OGG/Vorbis, MP3), mixes it to mono, resamples it to 16 kHz and\n"
    "writes the log-mel of its first window as float32 [1, n_mels, frames].\n"
    "  -o FILE.npy     output file\n"
    "  --n-mels N      80 (default) or 128\n"
    "  --frames N      frames per window (default 3000: Whisper's 30 s)\n";
}  // namespace

int cmd_mel(int argc, char** argv) {
  Args a = parse_args(argc, argv, {"-o", "--n-mels", "--frames"}, {"--help", "-h"});
  if (a.flag("--help") || a.flag("-h")) {
    std::fputs(kHelp, stdout);
    return 0;
  }
  if (a.positional.size() != 1) fail("mel expects one AUDIO file (see wrun mel --help)");
  const std::string out = a.get("-o");
  WRUN_CHECK(!out.empty(), "mel needs -o FILE.npy");
  const int n_mels = a.get_int("--n-mels", 80);
  WRUN_CHECK(n_mels == 80 || n_mels == 128, "--n-mels must be 80 or 128, got ", n_mels);
  const int frames = a.get_int("--frames", 3000);
  WRUN_CHECK(frames > 0, "--frames must be positive");
  auto samples = speech::load_audio(a.positional[0], 16000);
  auto mel = speech::slice_frames(speech::log_mel_padded(samples, n_mels, frames), 0, frames);
  write_npy(out, make_view(mel.data.data(), DType::kF32, Shape{1, n_mels, frames}));
  return 0;
}

}  // namespace wrun::tools
