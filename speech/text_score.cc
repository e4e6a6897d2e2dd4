#include "speech/text_score.h"

#include <algorithm>
#include <cctype>

namespace wrun::speech {

std::string normalize_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool space = true;  // suppresses leading and repeated spaces
  for (unsigned char c : text) {
    const bool keep = c >= 0x80 || std::isalnum(c) || c == '\'';
    if (keep) {
      out.push_back(static_cast<char>(std::tolower(c)));
      space = false;
    } else if (!space) {  // whitespace, hyphens and other punctuation separate words
      out.push_back(' ');
      space = true;
    }
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::vector<uint32_t> code_points(std::string_view s) {
  std::vector<uint32_t> out;
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = n > 0 && i + n <= s.size();
    uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; ok && k < n; ++k) {
      const unsigned char d = static_cast<unsigned char>(s[i + k]);
      ok = (d >> 6) == 2;
      cp = (cp << 6) | (d & 0x3F);
    }
    if (!ok) {  // an invalid byte is a symbol of its own (0x110000 + byte: never a code point)
      out.push_back(0x110000u + c);
      ++i;
      continue;
    }
    out.push_back(cp);
    i += n;
  }
  return out;
}

std::vector<std::string> split_words(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ') ++j;
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

template <typename T>
int64_t edit_distance(const std::vector<T>& hyp, const std::vector<T>& ref) {
  // One row of the Levenshtein table at a time.
  std::vector<int64_t> prev(ref.size() + 1), cur(ref.size() + 1);
  for (size_t j = 0; j <= ref.size(); ++j) prev[j] = static_cast<int64_t>(j);
  for (size_t i = 1; i <= hyp.size(); ++i) {
    cur[0] = static_cast<int64_t>(i);
    for (size_t j = 1; j <= ref.size(); ++j)
      cur[j] =
          std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (hyp[i - 1] == ref[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[ref.size()];
}

template int64_t edit_distance(const std::vector<std::string>&, const std::vector<std::string>&);
template int64_t edit_distance(const std::vector<uint32_t>&, const std::vector<uint32_t>&);

ErrorCounts& ErrorCounts::operator+=(const ErrorCounts& o) {
  word_errors += o.word_errors;
  words += o.words;
  char_errors += o.char_errors;
  chars += o.chars;
  return *this;
}

ErrorCounts score(std::string_view hyp, std::string_view ref) {
  const std::string h = normalize_text(hyp), r = normalize_text(ref);
  ErrorCounts e;
  const auto hw = split_words(h), rw = split_words(r);
  e.word_errors = edit_distance(hw, rw);
  e.words = static_cast<int64_t>(rw.size());
  const auto hc = code_points(h), rc = code_points(r);
  e.char_errors = edit_distance(hc, rc);
  e.chars = static_cast<int64_t>(rc.size());
  return e;
}

}  // namespace wrun::speech
