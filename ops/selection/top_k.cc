// TopK: the k largest (or smallest) elements along an axis with their int64 indices. k is an
// attribute before opset 10 and a 1-element input from 10. Output is always sorted (allowed for
// sorted=0); equal values keep the lower index first, as the spec requires.
#include <algorithm>

#include "ops/common.h"
#include "ops/selection/selection.h"

namespace wrun::ops::selection {

using elementwise::NumericTypes;

namespace {

// k from the attribute (opset < 10) or input 1; false when the input's value is not known yet.
bool read_k(const graph::Node& n, int64_t opset, const TensorView* k_in, int64_t* k) {
  if (opset < 10) {
    *k = n.attr_i("k", -1);
    return true;
  }
  if (!k_in) return false;
  if (k_in->numel() != 1)
    fail("TopK '", n.name, "': K must have exactly one element, got ", k_in->numel());
  *k = read_int(*k_in, 0);
  return true;
}

int topk_axis(const graph::Node& n, int rank) {
  return normalize_axis(n.attr_i("axis", -1), rank, n);
}

// Scratch row: one value with its index, so sorting does not re-read (possibly misaligned) input.
template <class C>
struct Entry {
  C v;
  int64_t i;
};

}  // namespace

void top_k_infer(InferContext& c) {
  const DType dt = c.input_dtype(0);
  if (!elementwise::in_mask(elementwise::mask_of(NumericTypes{}), dt))
    c.fail("unsupported dtype ", dtype_name(dt));
  const SymShape& x = c.input_shape(0);
  if (!x.rank_known()) {
    c.set_output(0, dt, SymShape{});
    return c.set_output(1, DType::kI64, SymShape{});
  }
  if (x.rank == 0) c.fail("input must have rank >= 1");
  const int axis = topk_axis(c.node(), x.rank);
  if (c.opset() >= 10 && (!c.has_input(1) || c.input_dtype(1) != DType::kI64))
    c.fail("K must be given as an int64 input");
  int64_t k = 0;
  SymShape out = x;
  if (read_k(c.node(), c.opset(), c.input_value(1), &k)) {
    if (k < 0) c.fail("k must be >= 0, got ", k);
    if (x.d[axis].is_known() && k > x.d[axis].value)
      c.fail("k = ", k, " exceeds axis ", axis, " of extent ", x.d[axis].value);
    out.d[axis] = Dim::known(k);
  } else {
    out.d[axis] = c.unknown_dim();
  }
  c.set_output(0, dt, out);
  c.set_output(1, DType::kI64, out);
}

void top_k_prepare(PrepareContext& c) {
  const Shape& s = c.inputs[0].shape;
  const int64_t n = s.d[topk_axis(c.node, s.rank)];
  c.scratch_bytes = static_cast<size_t>(n) * 16;  // Entry<C> is at most 16 bytes
}

void top_k_run(RunContext& c) {
  const TensorView& X = c.in(0);
  const int axis = topk_axis(c.node, X.shape.rank);
  const Rows r = rows_of(X.shape, axis);
  int64_t k = 0;
  read_k(c.node, c.opset, c.has_in(1) ? &c.in(1) : nullptr, &k);
  const bool largest = c.node.attr_i("largest", 1) != 0;
  if (r.outer * r.inner * k == 0) return;
  WRUN_CHECK(static_cast<size_t>(r.n) * 16 <= c.scratch_bytes, "TopK '", c.node.name,
             "': scratch too small");
  int64_t* yi = c.has_out(1) ? c.out(1).as<int64_t>() : nullptr;
  char* yv = c.has_out(0) ? c.out(0).as<char>() : nullptr;
  elementwise::dispatch(NumericTypes{}, X.dtype, [&](auto tag) {
    using T = decltype(tag);
    using C = Compute<T>;
    constexpr int64_t es = sizeof(T);
    static_assert(sizeof(Entry<C>) <= 16);
    const char* x = X.as<const char>();
    Entry<C>* e = static_cast<Entry<C>*>(c.scratch);
    // Strict weak order: the wanted extreme first, then the lower index.
    auto before = [largest](const Entry<C>& a, const Entry<C>& b) {
      if (largest ? greater(a.v, b.v) : greater(b.v, a.v)) return true;
      if (largest ? greater(b.v, a.v) : greater(a.v, b.v)) return false;
      return a.i < b.i;
    };
    for (int64_t o = 0; o < r.outer; ++o)
      for (int64_t in = 0; in < r.inner; ++in) {
        const char* row = x + (o * r.n * r.inner + in) * es;
        for (int64_t j = 0; j < r.n; ++j) e[j] = {Elem<T>::load(row + j * r.inner * es), j};
        std::partial_sort(e, e + k, e + r.n, before);
        const int64_t base = o * k * r.inner + in;
        for (int64_t j = 0; j < k; ++j) {
          if (yv) Elem<T>::store(yv + (base + j * r.inner) * es, e[j].v);
          if (yi) yi[base + j * r.inner] = e[j].i;
        }
      }
  });
}

}  // namespace wrun::ops::selection
