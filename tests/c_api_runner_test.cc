// Runs tests/c_api_test.c (the C API from C99, linked against libwrun.so) as a child process.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/test_models.h"

namespace wrun {
namespace {

struct Child {
  int code;
  std::string output;
};

Child run_c_test(const std::string& args) {
  const std::string log = ::testing::TempDir() + "wrun_c_api_test.log";
  const std::string cmd =
      std::string(WRUN_BINARY_DIR) + "/wrun_c_api_test " + args + " >" + log + " 2>&1";
  const int status = std::system(cmd.c_str());
  std::ifstream f(log);
  std::stringstream ss;
  ss << f.rdbuf();
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128, ss.str()};
}

TEST(CApi, TinyModelInfoRunsOptionsAndErrorPaths) {
  std::string tmp = ::testing::TempDir();
  if (!tmp.empty() && tmp.back() == '/') tmp.pop_back();
  const Child c = run_c_test("tiny " + tmp);
  EXPECT_EQ(c.code, 0) << c.output;
}

TEST(CApi, EncoderMatchesPyTorch) {
  std::string why;
  const std::string dir = testing::test_models_dir(&why);
  if (dir.empty()) GTEST_SKIP() << why;
  const Child c = run_c_test("encoder " + dir);
  if (c.code == 77) GTEST_SKIP() << c.output;
  EXPECT_EQ(c.code, 0) << c.output;
}

}  // namespace
}  // namespace wrun
