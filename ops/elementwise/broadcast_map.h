// The loop every elementwise kernel runs: out[i] = f(in0[i'], in1[i''], ...) over the output
// shape, reading each input through its (broadcast) strides.
#pragma once
#include <cstdint>
#include <utility>

#include "graph/ir.h"
#include "graph/tensor.h"
#include "ops/elementwise/elem_types.h"

namespace wrun::ops::elementwise {

constexpr int kMaxIn = 3;

// The output walk with size-1 dims dropped and adjacent dims merged wherever every input walks
// them as one run, so most broadcasts (same shape, scalar, row, column) become one or two loops.
struct Plan {
  int rank = 0;
  int64_t d[kMaxRank] = {};
  int64_t s[kMaxIn][kMaxRank] = {};  // bytes
};

// Fails naming the node if an input does not broadcast to `out`.
void make_plan(const graph::Node& node, const TensorView* const* in, const size_t* elem_size, int n,
               const Shape& out, Plan* p);

namespace detail {

enum : uint32_t { kRuntime = 0, kUnit = 1, kZero = 2 };  // 2 bits per input in a stride code

template <uint32_t Code, size_t K, class T>
inline int64_t step(const int64_t* s) {
  constexpr uint32_t m = (Code >> (2 * K)) & 3u;
  if constexpr (m == kUnit)
    return static_cast<int64_t>(sizeof(T));
  else if constexpr (m == kZero)
    return 0;
  else
    return s[K];
}

template <class F>
using InnerFn = void (*)(char*, const char* const*, const int64_t*, int64_t, F&);

template <uint32_t Code, class Out, class F, class... In, size_t... K>
void inner_impl(char* o, const char* const* p, const int64_t* s, int64_t n, F& f, Types<In...>,
                std::index_sequence<K...>) {
  for (int64_t i = 0; i < n; ++i)
    Elem<Out>::store(
        o + i * static_cast<int64_t>(sizeof(Out)),
        static_cast<Compute<Out>>(f(Elem<In>::load(p[K] + i * step<Code, K, In>(s))...)));
}

template <uint32_t Code, class F, class Out, class... In>
void inner(char* o, const char* const* p, const int64_t* s, int64_t n, F& f) {
  inner_impl<Code, Out>(o, p, s, n, f, Types<In...>{}, std::index_sequence_for<In...>{});
}

// Compile-time strides for the common cases (all unit; one operand a broadcast scalar or row),
// runtime strides otherwise.
template <class F, class Out, class... In>
InnerFn<F> pick(const int64_t* s) {
  constexpr size_t es[] = {sizeof(In)...};
  constexpr int n = sizeof...(In);
  uint32_t code = 0, all_unit = 0;
  bool simple = true;
  for (int k = 0; k < n; ++k) {
    all_unit |= kUnit << (2 * k);
    if (s[k] == static_cast<int64_t>(es[k]))
      code |= kUnit << (2 * k);
    else if (s[k] == 0)
      code |= kZero << (2 * k);
    else
      simple = false;
  }
  if (simple && code == all_unit) {
    constexpr uint32_t kAll = n == 1 ? 1u : n == 2 ? 5u : 21u;
    return &inner<kAll, F, Out, In...>;
  }
  if constexpr (n == 2) {
    if (simple && code == (kZero | kUnit << 2)) return &inner<kZero | kUnit << 2, F, Out, In...>;
    if (simple && code == (kUnit | kZero << 2)) return &inner<kUnit | kZero << 2, F, Out, In...>;
  }
  return &inner<0, F, Out, In...>;
}

}  // namespace detail

// out[i] = f(Elem<In>::load(...)...) for every output element; Out and In are storage types.
// Reads every operand of element i before writing it, so out may alias an input of its shape.
template <class Out, class... In, class F>
void map(const graph::Node& node, const TensorView* const* in, TensorView& out, F f) {
  constexpr int n = sizeof...(In);
  static_assert(n >= 1 && n <= kMaxIn);
  const int64_t total = out.numel();
  if (total == 0) return;
  constexpr size_t es[] = {sizeof(In)...};
  Plan p;
  make_plan(node, in, es, n, out.shape, &p);
  const int r = p.rank;
  const int64_t inner = p.d[r - 1];
  int64_t is[n];
  for (int k = 0; k < n; ++k) is[k] = p.s[k][r - 1];
  const detail::InnerFn<F> fn = detail::pick<F, Out, In...>(is);
  const int64_t rows = total / inner;
  char* o = static_cast<char*>(out.data);
  int64_t idx[kMaxRank] = {};
  const char* ptr[n];
  for (int64_t row = 0; row < rows; ++row) {
    for (int k = 0; k < n; ++k) {
      int64_t off = 0;
      for (int j = 0; j < r - 1; ++j) off += idx[j] * p.s[k][j];
      ptr[k] = static_cast<const char*>(in[k]->data) + off;
    }
    fn(o + row * inner * static_cast<int64_t>(sizeof(Out)), ptr, is, inner, f);
    for (int j = r - 2; j >= 0; --j) {
      if (++idx[j] < p.d[j]) break;
      idx[j] = 0;
    }
  }
}

}  // namespace wrun::ops::elementwise
