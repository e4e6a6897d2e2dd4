#include "tools/args.h"

#include <algorithm>
#include <cstdlib>

#include "graph/error.h"

namespace wrun::tools {

std::string Args::get(const std::string& name, const std::string& def) const {
  auto it = options.find(name);
  return it == options.end() ? def : it->second;
}

std::vector<std::string> Args::all(const std::string& name) const {
  std::vector<std::string> r;
  auto [a, b] = options.equal_range(name);
  for (auto it = a; it != b; ++it) r.push_back(it->second);
  return r;
}

static long long parse_ll(const std::string& s, const std::string& what) {
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || errno) fail(what, ": '", s, "' is not an integer");
  return v;
}

int Args::get_int(const std::string& name, int def) const {
  auto it = options.find(name);
  if (it == options.end()) return def;
  long long v = parse_ll(it->second, name);
  WRUN_CHECK(v >= 0 && v <= 1 << 20, name, ": ", v, " is out of range");
  return static_cast<int>(v);
}

Args parse_args(int argc, char** argv, const std::vector<std::string>& with_value,
                const std::vector<std::string>& flags) {
  Args a;
  auto has = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  for (int i = 0; i < argc; ++i) {
    std::string s = argv[i];
    if (s.size() > 1 && s[0] == '-' && s != "-") {
      std::string name = s, value;
      bool inline_value = false;
      if (auto eq = s.find('='); eq != std::string::npos && s.rfind("--", 0) == 0) {
        name = s.substr(0, eq);
        value = s.substr(eq + 1);
        inline_value = true;
      }
      if (has(with_value, name)) {
        if (!inline_value) {
          if (i + 1 >= argc) fail("option ", name, " needs a value");
          value = argv[++i];
        }
        a.options.emplace(name, value);
      } else if (has(flags, name) && !inline_value) {
        a.options.emplace(name, "");
      } else {
        fail("unknown option ", name, " (see --help)");
      }
    } else {
      a.positional.push_back(s);
    }
  }
  return a;
}

std::pair<std::string, Shape> parse_shape_arg(const std::string& s) {
  auto eq = s.find('=');
  if (eq == std::string::npos || eq == 0) fail("--shape expects NAME=d0,d1,..., got '", s, "'");
  Shape shape;
  std::string dims = s.substr(eq + 1);
  size_t pos = 0;
  while (pos <= dims.size() && !dims.empty()) {
    size_t comma = dims.find(',', pos);
    std::string tok =
        dims.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    long long v = parse_ll(tok, "--shape " + s.substr(0, eq));
    WRUN_CHECK(v >= 0, "--shape ", s.substr(0, eq), ": negative dim ", v);
    shape.push(v);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return {s.substr(0, eq), shape};
}

std::pair<std::string, std::string> parse_pair_arg(const std::string& s, const char* what) {
  auto eq = s.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == s.size())
    fail(what, " expects NAME=VALUE, got '", s, "'");
  return {s.substr(0, eq), s.substr(eq + 1)};
}

size_t parse_bytes(const std::string& s) {
  WRUN_CHECK(!s.empty(), "empty size");
  size_t mult = 1;
  std::string num = s;
  switch (s.back()) {
    case 'K':
    case 'k':
      mult = 1ull << 10;
      num.pop_back();
      break;
    case 'M':
    case 'm':
      mult = 1ull << 20;
      num.pop_back();
      break;
    case 'G':
    case 'g':
      mult = 1ull << 30;
      num.pop_back();
      break;
    default:
      break;
  }
  long long v = parse_ll(num, "size");
  WRUN_CHECK(v > 0, "size must be positive: ", s);
  return static_cast<size_t>(checked_mul(v, static_cast<int64_t>(mult)));
}

}  // namespace wrun::tools
