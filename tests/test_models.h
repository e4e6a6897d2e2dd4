// Finds (or generates with Debian's PyTorch) the models of scripts/make_test_models.py.
#pragma once
#include <sys/stat.h>

#include <cstdlib>
#include <string>

namespace wrun::testing {

inline bool file_exists(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0;
}

// Returns the folder, or "" with the reason in *why.
inline std::string test_models_dir(std::string* why) {
  if (const char* env = std::getenv("WRUN_TEST_MODELS"))
    if (file_exists(std::string(env) + "/manifest.json")) return env;
  const std::string dir = std::string(WRUN_BINARY_DIR) + "/test-models";
  if (file_exists(dir + "/manifest.json")) return dir;
  if (!file_exists("/usr/bin/python3") ||
      std::system("/usr/bin/python3 -c 'import torch, onnx' >/dev/null 2>&1") != 0) {
    *why = "Debian's python3-torch and python3-onnx are missing (scripts/setup.sh installs them)";
    return "";
  }
  const std::string cmd = "/usr/bin/python3 " WRUN_SOURCE_DIR
                          "/scripts/make_test_models.py --out " +
                          dir + " >/dev/null";
  if (std::system(cmd.c_str()) != 0) {
    *why = "scripts/make_test_models.py failed";
    return "";
  }
  return dir;
}

}  // namespace wrun::testing
