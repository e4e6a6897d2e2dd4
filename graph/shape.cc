#include "graph/shape.h"

#include <limits>

namespace wrun {

std::string Shape::str() const {
  std::string s = "[";
  for (int i = 0; i < rank; ++i) {
    if (i) s += ",";
    s += std::to_string(d[i]);
  }
  return s + "]";
}

int64_t checked_mul(int64_t a, int64_t b) {
  int64_t r;
  if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r)) fail("size overflow: ", a, " x ", b);
  return r;
}

int64_t checked_add(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) fail("size overflow: ", a, " + ", b);
  return r;
}

size_t checked_bytes(const Shape& s, size_t elem_size) {
  int64_t n = static_cast<int64_t>(elem_size);
  int64_t span = 1;  // product of the non-zero dims: strides and numel() stay representable
  for (int i = 0; i < s.rank; ++i) {
    WRUN_CHECK(s.d[i] >= 0, "negative dimension ", s.d[i], " in shape ", s.str());
    n = checked_mul(n, s.d[i]);
    if (s.d[i]) span = checked_mul(span, s.d[i]);
  }
  return static_cast<size_t>(n);
}

}  // namespace wrun
