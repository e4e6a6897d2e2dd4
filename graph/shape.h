// Shapes: symbolic (for the IR and shape inference) and concrete (for tensors at run time).
// Both are fixed-capacity so that re-binding shapes during a run never allocates.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>

#include "graph/error.h"

namespace wrun {

constexpr int kMaxRank = 8;

// One dimension: a known extent, or a symbol (an index into the model's symbol table).
struct Dim {
  int64_t value = 0;
  int32_t sym = -1;  // >= 0: symbolic, value unused

  static Dim known(int64_t v) { return Dim{v, -1}; }
  static Dim symbol(int32_t s) { return Dim{0, s}; }
  bool is_known() const { return sym < 0; }
  bool operator==(const Dim& o) const { return sym == o.sym && (sym >= 0 || value == o.value); }
};

// Concrete shape: rank and extents.
struct Shape {
  int rank = 0;
  int64_t d[kMaxRank] = {};

  Shape() = default;
  Shape(std::initializer_list<int64_t> dims) {
    WRUN_CHECK(dims.size() <= kMaxRank, "rank ", dims.size(), " exceeds ", kMaxRank);
    for (int64_t v : dims) d[rank++] = v;
  }
  static Shape from(std::span<const int64_t> dims) {
    WRUN_CHECK(dims.size() <= kMaxRank, "rank ", dims.size(), " exceeds ", kMaxRank);
    Shape s;
    for (int64_t v : dims) s.d[s.rank++] = v;
    return s;
  }
  int64_t operator[](int i) const { return d[i]; }
  int64_t& operator[](int i) { return d[i]; }
  // Number of elements (1 for rank 0). Dims are validated non-negative before use.
  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < rank; ++i) n *= d[i];
    return n;
  }
  void push(int64_t v) {
    WRUN_CHECK(rank < kMaxRank, "rank exceeds ", kMaxRank);
    d[rank++] = v;
  }
  std::span<const int64_t> dims() const { return {d, static_cast<size_t>(rank)}; }
  bool operator==(const Shape& o) const {
    if (rank != o.rank) return false;
    for (int i = 0; i < rank; ++i)
      if (d[i] != o.d[i]) return false;
    return true;
  }
  std::string str() const;  // "[1,80,3000]"
};

// Symbolic shape. rank < 0 means the rank itself is unknown.
struct SymShape {
  int rank = -1;
  Dim d[kMaxRank] = {};

  static SymShape of(const Shape& s) {
    SymShape r;
    r.rank = s.rank;
    for (int i = 0; i < s.rank; ++i) r.d[i] = Dim::known(s.d[i]);
    return r;
  }
  static SymShape scalar() {
    SymShape r;
    r.rank = 0;
    return r;
  }
  bool rank_known() const { return rank >= 0; }
  bool fully_known() const {
    if (rank < 0) return false;
    for (int i = 0; i < rank; ++i)
      if (!d[i].is_known()) return false;
    return true;
  }
  Shape concrete() const {  // requires fully_known()
    Shape s;
    s.rank = rank;
    for (int i = 0; i < rank; ++i) s.d[i] = d[i].value;
    return s;
  }
  void push(Dim v) {
    WRUN_CHECK(rank < kMaxRank, "rank exceeds ", kMaxRank);
    if (rank < 0) rank = 0;
    d[rank++] = v;
  }
  const Dim& operator[](int i) const { return d[i]; }
  Dim& operator[](int i) { return d[i]; }
};

// Checked arithmetic for sizes: any overflow becomes an Error.
int64_t checked_mul(int64_t a, int64_t b);
int64_t checked_add(int64_t a, int64_t b);
size_t checked_bytes(const Shape& s, size_t elem_size);

}  // namespace wrun
