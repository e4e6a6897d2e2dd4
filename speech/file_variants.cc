#include "speech/file_variants.h"

#include <filesystem>
#include <set>
#include <string_view>

#include "graph/error.h"

namespace wrun::speech {

namespace {

// The variant of a file name ("" unsuffixed), or false if it is not BASE[_NAME].onnx.
bool variant_of(const std::string& file, const std::vector<std::string>& bases,
                std::string* variant) {
  constexpr std::string_view ext = ".onnx";
  if (file.size() <= ext.size() || file.compare(file.size() - ext.size(), ext.size(), ext) != 0)
    return false;
  const std::string stem = file.substr(0, file.size() - ext.size());
  for (const std::string& base : bases) {
    const size_t n = base.size();
    if (stem.compare(0, n, base) != 0) continue;
    if (stem.size() == n) {
      variant->clear();
      return true;
    }
    if (stem.size() > n + 1 && stem[n] == '_') {
      *variant = stem.substr(n + 1);
      // Names are quoted in one-line errors: skip names with control characters.
      for (unsigned char ch : *variant)
        if (ch < 0x20 || ch == 0x7f) return false;
      return true;
    }
  }
  return false;
}

}  // namespace

std::vector<std::string> file_variants(const std::string& dir,
                                       const std::vector<std::string>& bases) {
  std::set<std::string> found;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    std::string v;
    if (e.is_regular_file(ec) && variant_of(e.path().filename().string(), bases, &v))
      found.insert(v);
  }
  return {found.begin(), found.end()};
}

std::string variant_list(const std::vector<std::string>& vs) {
  std::string r;
  for (const auto& v : vs) r += (r.empty() ? "" : ", ") + (v.empty() ? "(unsuffixed)" : v);
  return r;
}

void check_variant_name(const std::string& variant) {
  for (unsigned char ch : variant)
    if (ch == '/' || ch < 0x20 || ch == 0x7f) fail("--variant: not a file-name suffix");
}

}  // namespace wrun::speech
