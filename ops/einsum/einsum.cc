// Einsum (opset 12): a general reference that walks the output and, for each element, the space
// of summed labels; an operand's stride for a label is the sum of its dims' strides with that
// label, so repeated labels (diagonals) and broadcasting (stride 0) need no special case.
// Floats accumulate in double, integers in wrapping 64-bit arithmetic.
#include <algorithm>
#include <type_traits>

#include "ops/common.h"
#include "ops/einsum/equation.h"
#include "ops/elementwise/elem_types.h"
#include "ops/linalg/parallel.h"
#include "ops/registry.h"

namespace wrun::ops {
namespace {

using einsum::kMaxLabels;
using einsum::kMaxOperands;
using einsum::Spec;
using elementwise::Elem;
using elementwise::NumericTypes;

void einsum_infer(InferContext& c) {
  const int n_in = c.num_inputs();
  if (n_in < 1) c.fail("needs at least one input");
  const DType dt = c.input_dtype(0);
  if (!elementwise::in_mask(elementwise::mask_of(NumericTypes{}), dt))
    c.fail("unsupported dtype ", dtype_name(dt));
  if (n_in > kMaxOperands) c.fail("more than ", kMaxOperands, " operands");
  int ranks[kMaxOperands];
  SymShape shapes[kMaxOperands];
  for (int p = 0; p < n_in; ++p) {
    if (c.input_dtype(p) != dt) c.fail("input ", p, " has a different dtype");
    shapes[p] = c.input_shape(p);
    if (!shapes[p].rank_known()) return c.set_output(0, dt, SymShape{});
    ranks[p] = shapes[p].rank;
  }
  Spec s;
  einsum::parse(c.node(), ranks, n_in, &s);
  Dim ext[kMaxLabels];
  einsum::label_extents(c.node(), s, shapes, ext);
  SymShape out = SymShape::scalar();
  for (int i = 0; i < s.out_rank; ++i) out.push(ext[s.out_label[i]]);
  c.set_output(0, dt, out);
}

// Two operands where the output's last label indexes only one of them ("bij,bjk->bik"): per
// output row, each summed position scales a row of that operand into a block of accumulators,
// which walks memory along the output instead of across it. The summation order per output
// element is the generic loop's, so results are identical.
template <class T, class Acc>
void contract_rows(RunContext& c, const Shape& out, const Shape& sum, const char* const* base,
                   const int64_t (*ost)[kMaxRank], const int64_t (*sst)[kMaxLabels], T* y) {
  constexpr int64_t kBlock = 256;
  const int lo = out.rank - 1;
  const int a = ost[0][lo] == 0 ? 0 : 1, b = 1 - a;
  const int64_t len = out.d[lo], step = ost[b][lo];
  auto row = [&](size_t t) {
    int64_t idx[kMaxRank] = {}, rest = static_cast<int64_t>(t);
    for (int i = lo - 1; i >= 0; --i) idx[i] = rest % out.d[i], rest /= out.d[i];
    const char* pa = base[a];
    const char* pb = base[b];
    for (int i = 0; i < lo; ++i) pa += idx[i] * ost[a][i], pb += idx[i] * ost[b][i];
    for (int64_t k0 = 0; k0 < len; k0 += kBlock) {
      const int64_t m = std::min(kBlock, len - k0);
      Acc acc[kBlock] = {};
      int64_t k[kMaxRank] = {};
      do {
        const char* qa = pa;
        const char* qb = pb + k0 * step;
        for (int i = 0; i < sum.rank; ++i) qa += k[i] * sst[a][i], qb += k[i] * sst[b][i];
        const Acc av = static_cast<Acc>(Elem<T>::load(qa));
        for (int64_t j = 0; j < m; ++j)
          acc[j] += av * static_cast<Acc>(Elem<T>::load(qb + j * step));
      } while (next_index(sum, k));
      for (int64_t j = 0; j < m; ++j)
        Elem<T>::store(reinterpret_cast<char*>(y + static_cast<int64_t>(t) * len + k0 + j),
                       static_cast<elementwise::Compute<T>>(acc[j]));
    }
  };
  parallel_for(c.pool, static_cast<size_t>(out.numel() / len), row);
}

template <class T>
void einsum_typed(RunContext& c, const Spec& s, const int64_t* ext) {
  using Acc = std::conditional_t<std::is_floating_point_v<elementwise::Compute<T>>, double,
                                 uint64_t>;  // unsigned: integer overflow wraps
  constexpr int64_t es = sizeof(T);
  const int n_in = s.n_in;
  // Byte strides of each operand per output label and per summed label.
  int64_t ost[kMaxOperands][kMaxRank] = {}, sst[kMaxOperands][kMaxLabels] = {};
  for (int p = 0; p < n_in; ++p) {
    const TensorView& X = c.in(p);
    int64_t by_label[kMaxLabels] = {};
    for (int i = 0; i < s.rank[p]; ++i)
      if (X.shape.d[i] != 1) by_label[s.label[p][i]] += X.strides[i] * es;
    for (int i = 0; i < s.out_rank; ++i) ost[p][i] = by_label[s.out_label[i]];
    for (int i = 0; i < s.n_sum; ++i) sst[p][i] = by_label[s.sum_label[i]];
  }
  Shape out, sum;
  for (int i = 0; i < s.out_rank; ++i) out.push(ext[s.out_label[i]]);
  // The summed space as a shape (rank may exceed kMaxRank only with > 8 summed labels).
  if (s.n_sum > kMaxRank)
    fail("Einsum '", c.node.name, "': more than ", kMaxRank, " summed labels");
  for (int i = 0; i < s.n_sum; ++i) sum.push(ext[s.sum_label[i]]);
  const int64_t sum_n = sum.numel();
  const int last = s.n_sum - 1;
  const int64_t inner = s.n_sum ? sum.d[last] : 1;
  T* y = c.out(0).as<T>();
  const char* base[kMaxOperands];
  for (int p = 0; p < n_in; ++p) base[p] = c.in(p).as<const char>();
  const int lo = s.out_rank - 1;
  if (n_in == 2 && lo >= 0 && sum_n > 0 && out.numel() > 0 &&
      (ost[0][lo] == 0) != (ost[1][lo] == 0))
    return contract_rows<T, Acc>(c, out, sum, base, ost, sst, y);
  auto element = [&](size_t t) {
    int64_t idx[kMaxRank] = {}, rest = static_cast<int64_t>(t);
    for (int i = s.out_rank - 1; i >= 0; --i) idx[i] = rest % out.d[i], rest /= out.d[i];
    const char* ptr[kMaxOperands];
    for (int p = 0; p < n_in; ++p) {
      ptr[p] = base[p];
      for (int i = 0; i < s.out_rank; ++i) ptr[p] += idx[i] * ost[p][i];
    }
    Acc acc = 0;
    if (sum_n > 0) {
      int64_t k[kMaxRank] = {};
      Shape outer = sum;
      if (s.n_sum) outer.d[last] = 1;
      do {
        const char* q[kMaxOperands];
        int64_t step[kMaxOperands];
        for (int p = 0; p < n_in; ++p) {
          q[p] = ptr[p];
          for (int i = 0; i < last; ++i) q[p] += k[i] * sst[p][i];
          step[p] = s.n_sum ? sst[p][last] : 0;
        }
        if (n_in == 2) {  // the common contraction, without the operand loop
          for (int64_t j = 0; j < inner; ++j)
            acc += static_cast<Acc>(Elem<T>::load(q[0] + j * step[0])) *
                   static_cast<Acc>(Elem<T>::load(q[1] + j * step[1]));
        } else {
          for (int64_t j = 0; j < inner; ++j) {
            Acc prod = 1;
            for (int p = 0; p < n_in; ++p)
              prod *= static_cast<Acc>(Elem<T>::load(q[p] + j * step[p]));
            acc += prod;
          }
        }
      } while (next_index(outer, k));
    }
    Elem<T>::store(reinterpret_cast<char*>(y + t), static_cast<elementwise::Compute<T>>(acc));
  };
  parallel_for(c.pool, static_cast<size_t>(out.numel()), element);
}

void einsum_run(RunContext& c) {
  const int n_in = static_cast<int>(c.inputs.size());
  int ranks[kMaxOperands];
  SymShape shapes[kMaxOperands];
  for (int p = 0; p < n_in && p < kMaxOperands; ++p) {
    ranks[p] = c.in(p).shape.rank;
    shapes[p] = SymShape::of(c.in(p).shape);
  }
  Spec s;
  einsum::parse(c.node, ranks, n_in, &s);
  Dim dext[kMaxLabels];
  einsum::label_extents(c.node, s, shapes, dext);
  int64_t ext[kMaxLabels];
  for (int i = 0; i < kMaxLabels; ++i) ext[i] = dext[i].value;
  elementwise::dispatch(NumericTypes{}, c.in(0).dtype,
                        [&](auto tag) { einsum_typed<decltype(tag)>(c, s, ext); });
}

constexpr KernelImpl kEinsum[] = {{"reference", nullptr, nullptr, einsum_run, kStridedInputs}};

const OpSchema kSchemas[] = {
    {"Einsum", "", 12, kLatestOpset, einsum_infer, kEinsum,
     "numeric dtypes; up to 8 operands and 8 summed labels"},
};

}  // namespace

std::span<const OpSchema> einsum_schemas() { return kSchemas; }

}  // namespace wrun::ops
