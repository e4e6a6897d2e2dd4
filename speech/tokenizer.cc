#include "speech/tokenizer.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "graph/error.h"

namespace wrun::speech {

namespace {

// GPT-2's byte <-> printable code point mapping: printable Latin-1 bytes map to themselves,
// the other 68 bytes to U+0100 onwards in byte order.
struct ByteMap {
  int to_byte[324];
  ByteMap() {
    for (int& b : to_byte) b = -1;
    int next = 256;
    for (int b = 0; b < 256; ++b) {
      bool printable =
          (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      to_byte[printable ? b : next++] = b;
    }
  }
};

const ByteMap& byte_map() {
  static const ByteMap m;
  return m;
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream f(path);
  if (!f) fail("cannot read '", path, "'");
  try {
    return nlohmann::json::parse(f);
  } catch (const std::exception& e) {
    std::string msg = e.what();
    fail("'", path, "' is not valid JSON: ", msg.substr(0, 120));
  }
}

bool exists(const std::string& p) { return static_cast<bool>(std::ifstream(p)); }

// Decodes one UTF-8 code point at s[i]; returns its length or 0 if invalid.
int utf8_length(std::string_view s, size_t i, uint32_t* cp) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  int len;
  uint32_t v;
  if (c < 0x80) {
    *cp = c;
    return 1;
  } else if ((c & 0xE0) == 0xC0) {
    len = 2, v = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, v = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, v = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (int k = 1; k < len; ++k) {
    const unsigned char d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xC0) != 0x80) return 0;
    v = (v << 6) | (d & 0x3F);
  }
  static const uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (v < kMin[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return len;
}

}  // namespace

std::string repair_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    uint32_t cp;
    int len = utf8_length(s, i, &cp);
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  return out;
}

Tokenizer::Tokenizer(const std::unordered_map<std::string, int>& vocab,
                     const std::vector<std::string>& specials) {
  int max_id = -1;
  for (const auto& [tok, id] : vocab) {
    WRUN_CHECK(id >= 0 && id < (1 << 24), "token '", tok, "' has an invalid id ", id);
    max_id = std::max(max_id, id);
  }
  tokens_.assign(max_id + 1, std::string());
  special_.assign(max_id + 1, 0);
  for (const auto& [tok, id] : vocab) {
    tokens_[id] = tok;
    ids_[tok] = id;
  }
  for (const auto& s : specials) {
    auto it = ids_.find(s);
    if (it != ids_.end()) special_[it->second] = 1;
  }
}

Tokenizer Tokenizer::load(const std::string& dir) {
  std::unordered_map<std::string, int> vocab;
  std::vector<std::string> specials;
  const std::string tj = dir + "/tokenizer.json", vj = dir + "/vocab.json",
                    aj = dir + "/added_tokens.json";
  if (exists(tj)) {
    auto j = read_json(tj);
    if (!j.contains("model") || !j["model"].contains("vocab") || !j["model"]["vocab"].is_object())
      fail("'", tj, "': missing key model.vocab");
    for (const auto& [tok, id] : j["model"]["vocab"].items()) {
      if (!id.is_number_integer()) fail("'", tj, "': model.vocab['", tok, "'] is not an integer");
      vocab[tok] = id.get<int>();
    }
    if (j.contains("added_tokens"))
      for (const auto& t : j["added_tokens"]) {
        if (!t.contains("id") || !t.contains("content"))
          fail("'", tj, "': added_tokens entry without id or content");
        vocab[t["content"].get<std::string>()] = t["id"].get<int>();
        if (t.value("special", false)) specials.push_back(t["content"].get<std::string>());
      }
  } else if (exists(vj)) {
    auto j = read_json(vj);
    if (!j.is_object()) fail("'", vj, "' is not a JSON object of token -> id");
    for (const auto& [tok, id] : j.items()) {
      if (!id.is_number_integer()) fail("'", vj, "': '", tok, "' is not mapped to an integer");
      vocab[tok] = id.get<int>();
    }
    if (exists(aj))
      for (const auto& [tok, id] : read_json(aj).items()) {
        if (!id.is_number_integer()) fail("'", aj, "': '", tok, "' is not mapped to an integer");
        vocab[tok] = id.get<int>();
        specials.push_back(tok);
      }
  } else {
    fail("no tokenizer in '", dir, "': expected tokenizer.json or vocab.json");
  }
  // Whisper's special tokens all look like <|...|>, whatever the files flag.
  for (const auto& [tok, id] : vocab)
    if (tok.size() > 4 && tok.rfind("<|", 0) == 0 && tok.compare(tok.size() - 2, 2, "|>") == 0)
      specials.push_back(tok);
  return Tokenizer(vocab, specials);
}

std::optional<int> Tokenizer::id(std::string_view token) const {
  auto it = ids_.find(std::string(token));
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

const std::string& Tokenizer::token(int id) const {
  WRUN_CHECK(id >= 0 && id < size(), "token id ", id, " is outside the vocabulary of ", size());
  return tokens_[id];
}

std::string Tokenizer::bytes(int id) const {
  const std::string& t = token(id);
  std::string out;
  const ByteMap& m = byte_map();
  for (size_t i = 0; i < t.size();) {
    uint32_t cp;
    int len = utf8_length(t, i, &cp);
    if (len == 0) {  // not UTF-8: keep the byte
      out += t[i++];
      continue;
    }
    i += len;
    if (cp < 324 && m.to_byte[cp] >= 0)
      out += static_cast<char>(m.to_byte[cp]);
    else {  // outside the byte alphabet (added tokens): keep as is
      out.append(t, i - len, len);
    }
  }
  return out;
}

std::string Tokenizer::decode(std::span<const int> ids) const {
  std::string raw;
  for (int id : ids)
    if (!is_special(id)) raw += bytes(id);
  return repair_utf8(raw);
}

}  // namespace wrun::speech
