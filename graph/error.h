// Errors: one exception type inside the C++ code; messages are one line and name what is wrong.
#pragma once
#include <stdexcept>
#include <string>

namespace wrun {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& msg) : std::runtime_error(msg) {}
};

// Concatenates its arguments with operator<< into an Error message.
template <class... Args>
[[noreturn]] void fail(const Args&... args);

}  // namespace wrun

#include <sstream>
namespace wrun {
template <class... Args>
[[noreturn]] void fail(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  throw Error(os.str());
}
}  // namespace wrun

#define WRUN_CHECK(cond, ...)               \
  do {                                      \
    if (!(cond)) ::wrun::fail(__VA_ARGS__); \
  } while (0)
