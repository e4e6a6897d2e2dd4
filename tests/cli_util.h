// Running the wrun command from tests: exit code, stdout and stderr, and the one-line error rule.
#pragma once
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace wrun::test {

struct Result {
  int code;
  std::string out, err;
};

inline std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Runs `build/wrun ARGS` through the shell (ARGS is shell text).
inline Result wrun(const std::string& args) {
  const std::string dir = ::testing::TempDir();
  const std::string out = dir + "wrun_cli_out", err = dir + "wrun_cli_err";
  const std::string cmd = std::string(WRUN_BINARY_DIR) + "/wrun " + args + " >" + out + " 2>" + err;
  int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128, slurp(out), slurp(err)};
}

// A failure is exactly one line on stderr starting with "error: ", and a non-zero exit.
inline ::testing::AssertionResult one_line_error(const Result& r,
                                                 const std::string& mentions = "") {
  if (r.code == 0) return ::testing::AssertionFailure() << "exit 0";
  if (r.code >= 128) return ::testing::AssertionFailure() << "crashed: " << r.err;
  if (r.err.rfind("error: ", 0) != 0) return ::testing::AssertionFailure() << "stderr: " << r.err;
  if (r.err.find('\n') != r.err.size() - 1)
    return ::testing::AssertionFailure() << "not one line: " << r.err;
  if (!mentions.empty() && r.err.find(mentions) == std::string::npos)
    return ::testing::AssertionFailure() << "does not mention '" << mentions << "': " << r.err;
  return ::testing::AssertionSuccess();
}

}  // namespace wrun::test
