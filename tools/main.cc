// wrun: command-line entry point. Every failure prints one line "error: ..." and exits non-zero.
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <string>

#include "graph/error.h"
#include "tools/commands.h"

#ifndef WRUN_VERSION
#define WRUN_VERSION "dev"
#endif

namespace {

const char* kUsage =
    "usage: wrun <command> [options]\n"
    "\n"
    "commands:\n"
    "  info MODEL.onnx   describe a model: inputs, outputs, ops, planned memory\n"
    "  run MODEL.onnx    run a model on .npy inputs, write .npy outputs\n"
    "  transcribe DIR AUDIO  speech to text with a Whisper export or CTC model folder\n"
    "                    (Whisper fp32, fp16 or quantized: --variant fp32|fp16|quantized|NAME)\n"
    "  eval DIR MANIFEST     word/character error rates and real-time factor\n"
    "  mel AUDIO         write the first window's log-mel as .npy\n"
    "\n"
    "options:\n"
    "  --help            show help (also after a command)\n"
    "  --version         print the version\n";

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
      std::fputs(kUsage, argc < 2 ? stderr : stdout);
      return argc < 2 ? 2 : 0;
    }
    std::string cmd = argv[1];
    if (cmd == "--version") {
      std::printf("wrun %s\n", WRUN_VERSION);
      return 0;
    }
    if (cmd == "info") return wrun::tools::cmd_info(argc - 2, argv + 2);
    if (cmd == "run") return wrun::tools::cmd_run(argc - 2, argv + 2);
    if (cmd == "mel") return wrun::tools::cmd_mel(argc - 2, argv + 2);
    if (cmd == "transcribe") return wrun::tools::cmd_transcribe(argc - 2, argv + 2);
    if (cmd == "eval") return wrun::tools::cmd_eval(argc - 2, argv + 2);
    wrun::fail("unknown command '", cmd, "' (see wrun --help)");
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "error: out of memory\n");
  } catch (const std::exception& e) {
    std::string msg = e.what();
    for (char& c : msg)
      if (c == '\n') c = ' ';
    std::fprintf(stderr, "error: %s\n", msg.c_str());
  }
  return 1;
}
