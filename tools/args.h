// A small command-line parser shared by the wrun subcommands.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "graph/shape.h"

namespace wrun::tools {

struct Args {
  std::vector<std::string> positional;
  std::multimap<std::string, std::string> options;  // "--name" -> value ("" for flags)

  bool flag(const std::string& name) const { return options.count(name) > 0; }
  std::string get(const std::string& name, const std::string& def = "") const;
  std::vector<std::string> all(const std::string& name) const;
  int get_int(const std::string& name, int def) const;
};

// Parses argv. `with_value` lists options that take a value ("--threads 4" or "--threads=4").
// Unknown options are an error naming them.
Args parse_args(int argc, char** argv, const std::vector<std::string>& with_value,
                const std::vector<std::string>& flags);

// "NAME=d0,d1,..." -> (NAME, shape)
std::pair<std::string, Shape> parse_shape_arg(const std::string& s);
// "NAME=FILE" -> (NAME, FILE)
std::pair<std::string, std::string> parse_pair_arg(const std::string& s, const char* what);
// Parses a byte size like "512M", "2G", "1000" (bytes).
size_t parse_bytes(const std::string& s);

}  // namespace wrun::tools
