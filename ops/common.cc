#include "ops/common.h"

namespace wrun::ops {

double read_scalar(const TensorView& t, int64_t i) {
  int64_t off = t.shape.rank == 0 ? 0 : i * t.strides[t.shape.rank - 1];
  const char* p = t.as<const char>();
  switch (t.dtype) {
    case DType::kF16: {
      uint16_t h;
      std::memcpy(&h, p + off * 2, 2);
      return f16_to_f32(h);
    }
    case DType::kBF16: {
      uint16_t h;
      std::memcpy(&h, p + off * 2, 2);
      return bf16_to_f32(h);
    }
    default:
      break;
  }
  return dispatch_numeric(t.dtype, [&](auto z) -> double {
    using T = decltype(z);
    T v;
    std::memcpy(&v, p + off * static_cast<int64_t>(sizeof(T)), sizeof(T));
    return static_cast<double>(v);
  });
}

bool broadcast_shapes(const SymShape& a, const SymShape& b, SymShape* out) {
  if (!a.rank_known() || !b.rank_known()) {
    *out = SymShape{};
    return true;
  }
  const int r = a.rank > b.rank ? a.rank : b.rank;
  SymShape o;
  o.rank = r;
  for (int i = 0; i < r; ++i) {
    int ia = i - (r - a.rank), ib = i - (r - b.rank);
    Dim da = ia >= 0 ? a.d[ia] : Dim::known(1);
    Dim db = ib >= 0 ? b.d[ib] : Dim::known(1);
    if (da.is_known() && da.value == 1)
      o.d[i] = db;
    else if (db.is_known() && db.value == 1)
      o.d[i] = da;
    else if (da == db)
      o.d[i] = da;
    else if (da.is_known() && db.is_known())
      return false;
    else
      o.d[i] = da.is_known() ? da : db;  // a symbol must equal the known extent
  }
  *out = o;
  return true;
}

void copy_to_contiguous(const TensorView& src, void* dst) {
  const size_t es = dtype_size(src.dtype);
  const int64_t n = src.numel();
  if (n == 0) return;
  if (src.is_contiguous()) {
    std::memcpy(dst, src.data, static_cast<size_t>(n) * es);
    return;
  }
  // Copy innermost contiguous runs.
  const int r = src.shape.rank;
  int64_t idx[kMaxRank] = {};
  const int64_t inner = src.shape.d[r - 1];
  const bool inner_unit = src.strides[r - 1] == 1;
  char* out = static_cast<char*>(dst);
  const char* in = src.as<const char>();
  Shape outer = src.shape;
  outer.d[r - 1] = 1;
  do {
    const char* base = in + offset_of(src, idx) * static_cast<int64_t>(es);
    if (inner_unit) {
      std::memcpy(out, base, static_cast<size_t>(inner) * es);
      out += inner * static_cast<int64_t>(es);
    } else {
      for (int64_t k = 0; k < inner; ++k, out += es)
        std::memcpy(out, base + k * src.strides[r - 1] * static_cast<int64_t>(es), es);
    }
  } while (next_index(outer, idx));
}

}  // namespace wrun::ops
