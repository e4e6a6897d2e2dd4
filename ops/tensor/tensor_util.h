// Helpers shared by the tensor ops: int lists that come from an attribute or a tensor, symbolic
// dimension arithmetic, run-time errors naming the node. Nothing here allocates (except on error
// paths and InferContext::unknown_dim, which only load-time inference reaches).
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "graph/ir.h"
#include "ops/common.h"
#include "ops/kernel.h"

namespace wrun::ops::tensor {

// A list of integers given either as an ints attribute (older opsets) or as a 1-D int tensor
// input (newer opsets). Unknown when neither is available.
struct IntList {
  const TensorView* view = nullptr;
  const std::vector<int64_t>* attr = nullptr;

  bool known() const { return view != nullptr || attr != nullptr; }
  int64_t size() const {
    return view ? view->numel() : attr ? static_cast<int64_t>(attr->size()) : 0;
  }
  int64_t operator[](int64_t i) const { return view ? read_int(*view, i) : (*attr)[i]; }

  static IntList of_attr(const graph::Node& n, std::string_view key) {
    IntList l;
    l.attr = n.attr_ints(key);
    return l;
  }
  static IntList of_view(const TensorView* v) {
    IntList l;
    l.view = v;
    return l;
  }
};

// The value of input i at inference time (nullptr if unknown or absent).
inline const TensorView* known_input(const InferContext& ctx, int i) {
  return ctx.has_input(i) ? ctx.input_value(i) : nullptr;
}
// Input i at run time (nullptr if absent).
inline const TensorView* run_input(const RunContext& ctx, int i) {
  return ctx.has_in(i) ? &ctx.in(i) : nullptr;
}

// Length of a 1-D shape-like input whose value is unknown; -1 if its shape is unknown too.
inline int64_t list_length(const InferContext& ctx, int i) {
  const SymShape& s = ctx.input_shape(i);
  if (s.rank == 0) return 1;
  if (s.rank == 1 && s.d[0].is_known()) return s.d[0].value;
  return -1;
}

// Element size of input i; fails for dtypes the tensor ops cannot move (string, undefined).
inline size_t movable_size(const InferContext& ctx, int i) {
  if (!ctx.has_input(i)) ctx.fail("input ", i, " is missing");  // a node may list too few
  const size_t es = dtype_size(ctx.input_dtype(i));
  if (es == 0) ctx.fail("input ", i, " has unsupported dtype ", dtype_name(ctx.input_dtype(i)));
  return es;
}

// Shape-like inputs must be int64 (int32 is tolerated).
inline void check_int_input(const InferContext& ctx, int i) {
  if (!ctx.has_input(i)) ctx.fail("input ", i, " is missing");
  const DType t = ctx.input_dtype(i);
  if (t != DType::kI64 && t != DType::kI32)
    ctx.fail("input ", i, " must be int64, got ", dtype_name(t));
}

// Product of dims: known when all are known; the single symbol when the rest multiply to 1;
// otherwise a fresh unknown dim.
inline Dim dim_product(InferContext& ctx, const Dim* d, int n) {
  int64_t known = 1;
  int nsym = 0;
  Dim sym;
  for (int i = 0; i < n; ++i) {
    if (d[i].is_known()) {
      known *= d[i].value;
    } else {
      ++nsym;
      sym = d[i];
    }
  }
  if (nsym == 0) return Dim::known(known);
  if (known == 0) return Dim::known(0);
  if (nsym == 1 && known == 1) return sym;
  return ctx.unknown_dim();
}

// A rank-r shape of fresh unknown dims (rank -1 when r < 0).
inline SymShape unknown_shape(InferContext& ctx, int64_t r) {
  SymShape s;
  if (r < 0) return s;
  if (r > kMaxRank) ctx.fail("output rank ", r, " exceeds ", kMaxRank);
  s.rank = 0;
  for (int64_t i = 0; i < r; ++i) s.push(ctx.unknown_dim());
  return s;
}

// Error from a kernel naming the node: "Gather 'g1': index 7 out of range".
template <class... A>
[[noreturn]] void run_fail(const RunContext& ctx, const A&... a) {
  ::wrun::fail(ctx.node.op_type, " '", ctx.node.name, "': ", a...);
}

// Copies input 0 to output 0 unless the runtime made them alias.
inline void copy_if_distinct(RunContext& ctx) {
  const TensorView& in = ctx.in(0);
  TensorView& out = ctx.out(0);
  if (out.data != in.data && in.bytes() > 0) std::memcpy(out.data, in.data, in.bytes());
}

}  // namespace wrun::ops::tensor
