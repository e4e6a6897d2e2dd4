#include "graph/wire_scan.h"

#include "graph/error.h"

namespace wrun::graph {
namespace {

enum WireType { kVarint = 0, kFixed64 = 1, kLen = 2, kStartGroup = 3, kEndGroup = 4, kFixed32 = 5 };

// Reads fields from a byte range; every read is bounds-checked against the range.
class Reader {
 public:
  Reader(std::string_view buf, uint64_t base) : buf_(buf), base_(base) {}
  bool done() const { return pos_ >= buf_.size(); }
  size_t pos() const { return pos_; }

  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      need(1);
      auto b = static_cast<uint8_t>(buf_[pos_++]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    bad("varint longer than 10 bytes");
  }
  // Reads a tag; returns field number and wire type.
  void tag(uint32_t& field, int& wire) {
    uint64_t t = varint();
    field = static_cast<uint32_t>(t >> 3);
    wire = static_cast<int>(t & 7);
    if (field == 0 || t >> 32) bad("invalid field tag");
  }
  std::string_view bytes_field() {
    uint64_t n = varint();
    need(n);
    std::string_view r = buf_.substr(pos_, n);
    pos_ += n;
    return r;
  }
  // Skips the value of a field whose tag was just read. Groups are skipped iteratively so hostile
  // nesting cannot exhaust the stack.
  void skip(int wire) {
    int depth = 0;
    for (;;) {
      switch (wire) {
        case kVarint:
          varint();
          break;
        case kFixed64:
          need(8);
          pos_ += 8;
          break;
        case kFixed32:
          need(4);
          pos_ += 4;
          break;
        case kLen:
          bytes_field();
          break;
        case kStartGroup:
          ++depth;
          break;
        case kEndGroup:
          if (depth == 0) bad("unmatched end-group");
          --depth;
          break;
        default:
          bad("invalid wire type ", wire);
      }
      if (depth == 0) return;
      uint32_t f;
      tag(f, wire);
    }
  }
  uint64_t abs(size_t p) const { return base_ + p; }
  template <class... A>
  [[noreturn]] void bad(const A&... a) const {
    fail("malformed or truncated protobuf at byte ", base_ + pos_, ": ", a...);
  }

 private:
  void need(uint64_t n) const {
    if (n > buf_.size() - pos_) bad("field runs past the end of its message");
  }
  std::string_view buf_;
  uint64_t base_;
  size_t pos_ = 0;
};

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// Copies a message field by field; fields for which `on` returns true are handled by it.
template <class F>
void copy_message(std::string_view in, uint64_t base, std::string& out, F&& on) {
  Reader r(in, base);
  while (!r.done()) {
    size_t start = r.pos();
    uint32_t field;
    int wire;
    r.tag(field, wire);
    std::string_view tag = in.substr(start, r.pos() - start);
    if (wire == kLen) {
      std::string_view body = r.bytes_field();
      uint64_t body_base = r.abs(r.pos() - body.size());
      if (on(field, tag, body, body_base, out)) continue;
      out.append(in.substr(start, r.pos() - start));
    } else {
      r.skip(wire);
      out.append(in.substr(start, r.pos() - start));
    }
  }
}

// Appends `tag`, then `body` re-encoded by `inner` as a length-delimited field.
template <class F>
void copy_nested(std::string_view tag, std::string_view body, uint64_t base, std::string& out,
                 F&& inner) {
  std::string sub;  // not reserved: the body's size includes the weights being dropped
  copy_message(body, base, sub, inner);
  out.append(tag);
  put_varint(out, sub.size());
  out.append(sub);
}

}  // namespace

StrippedModel strip_initializer_data(std::string_view model) {
  StrippedModel s;
  auto tensor = [&](uint32_t f, std::string_view, std::string_view body, uint64_t base,
                    std::string&) {
    if (f != 9) return false;
    s.ranges.back() = {base, body.size(), true};  // the last raw_data wins, as in protobuf
    return true;
  };
  auto graph = [&](uint32_t f, std::string_view tag, std::string_view body, uint64_t base,
                   std::string& out) {
    if (f != 5) return false;
    s.ranges.emplace_back();
    copy_nested(tag, body, base, out, tensor);
    return true;
  };
  auto top = [&](uint32_t f, std::string_view tag, std::string_view body, uint64_t base,
                 std::string& out) {
    if (f != 7) return false;
    copy_nested(tag, body, base, out, graph);
    return true;
  };
  copy_message(model, 0, s.bytes, top);
  return s;
}

}  // namespace wrun::graph
