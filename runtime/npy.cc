#include "runtime/npy.h"

#include <bit>
#include <cstring>
#include <fstream>
#include <optional>
#include <string_view>

#include "graph/error.h"

namespace wrun {
namespace {

static_assert(std::endian::native == std::endian::little, ".npy I/O assumes a little-endian host");

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;

template <class... Args>
[[noreturn]] void bad(const std::string& path, const Args&... args) {
  fail("npy '", path, "': ", args...);
}

struct DTypeCode {
  std::string_view descr;  // as written; 1-byte types also accept '<'
  DType dtype;
};
constexpr DTypeCode kCodes[] = {
    {"<f4", DType::kF32}, {"<f8", DType::kF64}, {"<f2", DType::kF16}, {"|i1", DType::kI8},
    {"|u1", DType::kU8},  {"<i2", DType::kI16}, {"<u2", DType::kU16}, {"<i4", DType::kI32},
    {"<u4", DType::kU32}, {"<i8", DType::kI64}, {"<u8", DType::kU64}, {"|b1", DType::kBool},
};

DType parse_descr(const std::string& path, const std::string& d) {
  for (const DTypeCode& c : kCodes) {
    if (d == c.descr) return c.dtype;
    // numpy writes '|' for one-byte types; '<' is equally unambiguous.
    if (c.descr[0] == '|' && d.size() == 3 && d[0] == '<' && d.substr(1) == c.descr.substr(1))
      return c.dtype;
  }
  if (!d.empty() && d[0] == '>') bad(path, "big-endian dtype '", d, "' is not supported");
  bad(path, "unsupported dtype '", d, "'");
}

std::string_view descr_of(DType t) {
  for (const DTypeCode& c : kCodes)
    if (c.dtype == t) return c.descr;
  return {};
}

// Parser for the header: a Python dict literal with the keys descr (str), fortran_order (bool)
// and shape (tuple of ints).
class HeaderParser {
 public:
  HeaderParser(const std::string& path, std::string_view text) : path_(path), s_(text) {}

  void parse(std::string& descr, bool& fortran, Shape& shape) {
    bool have_descr = false, have_fortran = false, have_shape = false;
    expect('{', "header is not a dict");
    while (true) {
      if (peek() == '}') break;
      std::string key = string_literal("dict key");
      expect(':', "expected ':' after key '" + key + "'");
      if (key == "descr") {
        if (have_descr) bad(path_, "duplicate key 'descr' in header");
        if (peek() != '\'' && peek() != '"')
          bad(path_, "descr is not a string (structured dtype?)");
        descr = string_literal("descr");
        have_descr = true;
      } else if (key == "fortran_order") {
        if (have_fortran) bad(path_, "duplicate key 'fortran_order' in header");
        fortran = boolean();
        have_fortran = true;
      } else if (key == "shape") {
        if (have_shape) bad(path_, "duplicate key 'shape' in header");
        shape = tuple();
        have_shape = true;
      } else {
        bad(path_, "unexpected key '", key, "' in header");
      }
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != '}') bad(path_, "expected ',' or '}' in header dict");
    }
    ++pos_;
    skip_ws();
    if (pos_ != s_.size()) bad(path_, "trailing characters after header dict");
    if (!have_descr) bad(path_, "header has no 'descr'");
    if (!have_fortran) bad(path_, "header has no 'fortran_order'");
    if (!have_shape) bad(path_, "header has no 'shape'");
  }

 private:
  void skip_ws() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }
  char peek() {
    skip_ws();
    if (pos_ >= s_.size()) bad(path_, "header ends unexpectedly");
    return s_[pos_];
  }
  void expect(char c, const std::string& what) {
    if (peek() != c) bad(path_, what);
    ++pos_;
  }
  std::string string_literal(const char* what) {
    char q = peek();
    if (q != '\'' && q != '"') bad(path_, "expected a string for ", what, " in header");
    size_t end = s_.find(q, pos_ + 1);
    if (end == std::string_view::npos) bad(path_, "unterminated string in header");
    std::string r(s_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return r;
  }
  bool boolean() {
    peek();
    if (s_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (s_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    bad(path_, "fortran_order is not True or False");
  }
  int64_t integer() {
    peek();
    if (s_[pos_] == '-') bad(path_, "negative dimension in shape");
    if (s_[pos_] < '0' || s_[pos_] > '9') bad(path_, "shape entry is not an integer");
    int64_t v = 0;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
      if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, s_[pos_] - '0', &v))
        bad(path_, "shape dimension overflows int64");
      ++pos_;
    }
    if (pos_ < s_.size() && s_[pos_] == 'L') ++pos_;  // Python 2 longs
    return v;
  }
  Shape tuple() {
    expect('(', "shape is not a tuple");
    Shape sh;
    while (peek() != ')') {
      if (sh.rank == kMaxRank) bad(path_, "shape has more than ", kMaxRank, " dimensions");
      sh.d[sh.rank++] = integer();
      if (peek() == ',') {
        ++pos_;
      } else if (peek() != ')') {
        bad(path_, "expected ',' or ')' in shape");
      }
    }
    ++pos_;
    return sh;
  }

  const std::string& path_;
  std::string_view s_;
  size_t pos_ = 0;
};

uint64_t read_le(const unsigned char* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// Copies a strided view into contiguous C order, element by element.
void gather_contiguous(const TensorView& t, size_t elem, uint8_t* out) {
  const int64_t n = t.numel();
  if (n == 0) return;
  const auto* base = static_cast<const uint8_t*>(t.data);
  int64_t idx[kMaxRank] = {};
  int64_t off = 0;  // element offset of idx
  for (int64_t k = 0; k < n; ++k) {
    std::memcpy(out + static_cast<size_t>(k) * elem, base + off * static_cast<int64_t>(elem), elem);
    for (int ax = t.shape.rank - 1; ax >= 0; --ax) {
      if (++idx[ax] < t.shape.d[ax]) {
        off += t.strides[ax];
        break;
      }
      off -= t.strides[ax] * (idx[ax] - 1);
      idx[ax] = 0;
    }
  }
}

}  // namespace

NpyArray read_npy(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) bad(path, "cannot open for reading");
  f.seekg(0, std::ios::end);
  const std::streamoff file_size = f.tellg();
  f.seekg(0);
  if (file_size < 0) bad(path, "cannot determine file size");

  unsigned char pre[12];
  if (file_size < 10 || !f.read(reinterpret_cast<char*>(pre), 8))
    bad(path, "file too short for the .npy preamble");
  if (std::memcmp(pre, kMagic, kMagicLen) != 0) bad(path, "bad magic (not a .npy file)");
  const int major = pre[6], minor = pre[7];
  if ((major != 1 && major != 2 && major != 3) || minor != 0)
    bad(path, "unsupported format version ", major, ".", minor);
  const int len_bytes = major == 1 ? 2 : 4;
  if (!f.read(reinterpret_cast<char*>(pre + 8), len_bytes))
    bad(path, "file too short for the header length");
  const uint64_t header_len = read_le(pre + 8, len_bytes);
  const uint64_t header_start = 8 + len_bytes;
  if (header_len > static_cast<uint64_t>(file_size) - header_start)
    bad(path, "truncated header (", header_len, " bytes declared, ",
        static_cast<uint64_t>(file_size) - header_start, " in file)");

  std::string header(header_len, '\0');
  if (!f.read(header.data(), static_cast<std::streamsize>(header_len)))
    bad(path, "cannot read header");

  std::string descr;
  bool fortran = false;
  NpyArray a;
  HeaderParser(path, header).parse(descr, fortran, a.shape);
  a.dtype = parse_descr(path, descr);
  if (fortran) bad(path, "fortran_order=True is not supported");

  size_t need;
  try {
    need = checked_bytes(a.shape, dtype_size(a.dtype));
  } catch (const Error& e) {
    bad(path, "shape ", a.shape.str(), " is too large (", e.what(), ")");
  }
  const uint64_t have = static_cast<uint64_t>(file_size) - header_start - header_len;
  if (need > have)
    bad(path, "data is ", have, " bytes but shape ", a.shape.str(), " of ", dtype_name(a.dtype),
        " needs ", need);
  if (need < have) bad(path, have - need, " trailing bytes after the data");
  a.data.resize(need);
  if (need && !f.read(reinterpret_cast<char*>(a.data.data()), static_cast<std::streamsize>(need)))
    bad(path, "cannot read data");
  return a;
}

void write_npy(const std::string& path, const TensorView& t) {
  const std::string_view descr = descr_of(t.dtype);
  if (descr.empty()) bad(path, "cannot write dtype ", dtype_name(t.dtype));
  for (int i = 0; i < t.shape.rank; ++i)
    if (t.shape.d[i] < 0) bad(path, "negative dimension in shape ", t.shape.str());
  const size_t elem = dtype_size(t.dtype);
  const size_t bytes = checked_bytes(t.shape, elem);
  if (bytes && !t.data) bad(path, "tensor has no data");

  std::string dict = "{'descr': '" + std::string(descr) + "', 'fortran_order': False, 'shape': (";
  for (int i = 0; i < t.shape.rank; ++i) {
    dict += std::to_string(t.shape.d[i]);
    if (t.shape.rank == 1 || i + 1 < t.shape.rank) dict += i + 1 < t.shape.rank ? ", " : ",";
  }
  dict += "), }";
  // numpy pads the header with spaces and a newline so the data starts 64-byte aligned.
  auto padded_end = [&](size_t prefix) { return (prefix + dict.size() + 1 + 63) / 64 * 64; };
  int major = 1;
  size_t prefix = 10;
  if (padded_end(prefix) - prefix > 65535) major = 2, prefix = 12;  // v1 length is 16-bit
  const size_t total = padded_end(prefix);
  dict.append(total - prefix - dict.size() - 1, ' ');
  dict += '\n';

  std::string pre(kMagic, kMagicLen);
  pre += static_cast<char>(major);
  pre += '\0';
  const uint64_t hl = dict.size();
  for (int i = 0; i < (major == 1 ? 2 : 4); ++i) pre += static_cast<char>((hl >> (8 * i)) & 0xff);

  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) bad(path, "cannot open for writing");
  f.write(pre.data(), static_cast<std::streamsize>(pre.size()));
  f.write(dict.data(), static_cast<std::streamsize>(dict.size()));
  if (bytes) {
    if (t.is_contiguous()) {
      f.write(static_cast<const char*>(t.data), static_cast<std::streamsize>(bytes));
    } else {
      std::vector<uint8_t> buf(bytes);
      gather_contiguous(t, elem, buf.data());
      f.write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(bytes));
    }
  }
  f.flush();
  if (!f) bad(path, "write failed");
}

}  // namespace wrun
