// Scoring transcripts: the text normalization `wrun eval` applies before comparing, and word and
// character edit distances (Levenshtein: substitutions, insertions, deletions cost 1).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wrun::speech {

// Lowercase (ASCII), hyphens to spaces, punctuation other than apostrophes to spaces, whitespace
// collapsed to single spaces, trimmed. Non-ASCII UTF-8 is kept as it is.
std::string normalize_text(std::string_view text);

// Code points of UTF-8 text (invalid bytes count as one symbol each).
std::vector<uint32_t> code_points(std::string_view text);
std::vector<std::string> split_words(std::string_view text);

template <typename T>
int64_t edit_distance(const std::vector<T>& hyp, const std::vector<T>& ref);

// Errors of one hypothesis against its reference, both normalized first.
struct ErrorCounts {
  int64_t word_errors = 0, words = 0;  // words: in the reference
  int64_t char_errors = 0, chars = 0;  // chars: code points of the reference, spaces included
  ErrorCounts& operator+=(const ErrorCounts& o);
  double wer() const { return words ? double(word_errors) / double(words) : 0.0; }
  double cer() const { return chars ? double(char_errors) / double(chars) : 0.0; }
};
ErrorCounts score(std::string_view hyp, std::string_view ref);

}  // namespace wrun::speech
