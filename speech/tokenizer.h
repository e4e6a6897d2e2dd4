// Byte-level BPE tokenizer as Whisper's exports ship it (GPT-2 style): decodes ids to UTF-8 text
// and looks up special tokens. Loads tokenizer.json, or vocab.json (+ added_tokens.json).
#pragma once
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace wrun::speech {

class Tokenizer {
 public:
  // Reads the tokenizer files of a model folder; errors name the file and the key.
  static Tokenizer load(const std::string& dir);

  int size() const { return static_cast<int>(tokens_.size()); }
  std::optional<int> id(std::string_view token) const;
  const std::string& token(int id) const;  // the token as stored ("Ġhello", "<|en|>")
  bool is_special(int id) const { return id >= 0 && id < size() && special_[id]; }
  // UTF-8 text of the ids; special tokens are left out. Bytes that do not form valid UTF-8
  // become U+FFFD, as Hugging Face's decoder does.
  std::string decode(std::span<const int> ids) const;
  // The raw bytes of one token (byte-level decoding, no UTF-8 repair).
  std::string bytes(int id) const;

  // Builds a tokenizer from a vocabulary (token -> id) and the special tokens among them.
  Tokenizer(const std::unordered_map<std::string, int>& vocab,
            const std::vector<std::string>& specials);
  Tokenizer() = default;

 private:
  std::vector<std::string> tokens_;
  std::vector<char> special_;
  std::unordered_map<std::string, int> ids_;
};

// Repairs a byte string into valid UTF-8, replacing each invalid sequence with U+FFFD.
std::string repair_utf8(std::string_view bytes);

}  // namespace wrun::speech
