// Reduce* ops: axes from the attribute (older opsets) or from the optional second input, keepdims,
// noop_with_empty_axes. Float sums accumulate in double; integer sums wrap like numpy.
#include <cmath>
#include <limits>
#include <type_traits>

#include "ops/common.h"
#include "ops/linalg/load.h"
#include "ops/linalg/parallel.h"
#include "ops/registry.h"

namespace wrun::ops {
namespace {

enum class Kind { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kSumSquare, kLogSum, kLogSumExp };

// Opset from which axes come from input 1 instead of the attribute.
constexpr int axes_input_opset(Kind k) { return k == Kind::kSum ? 13 : 18; }

// Resolves the reduced axes into mask[]. Returns false when they are not known yet (an axes input
// whose value is not available at load time). *noop is set for an empty axes list with
// noop_with_empty_axes.
bool resolve_axes(const graph::Node& n, int64_t opset, Kind k, bool has_axes_in,
                  const TensorView* axes, int rank, bool* mask, bool* noop) {
  *noop = false;
  for (int i = 0; i < rank; ++i) mask[i] = false;
  int64_t count = 0;
  auto mark = [&](int64_t a) {
    const int i = normalize_axis(a, rank, n);
    if (rank == 0) return;
    if (mask[i]) fail(n.op_type, " '", n.name, "': axis ", a, " repeated");
    mask[i] = true;
    ++count;
  };
  if (opset >= axes_input_opset(k)) {
    if (has_axes_in) {
      if (!axes) return false;
      if (axes->shape.rank > 1) fail(n.op_type, " '", n.name, "': axes must be 1-D");
      for (int64_t i = 0; i < axes->numel(); ++i) mark(read_int(*axes, i));
    }
    if (count == 0 && n.attr_i("noop_with_empty_axes", 0) != 0) {
      *noop = true;
      return true;
    }
  } else if (const std::vector<int64_t>* v = n.attr_ints("axes")) {
    for (int64_t a : *v) mark(a);
  }
  if (count == 0)
    for (int i = 0; i < rank; ++i) mask[i] = true;
  return true;
}

bool reduce_dtype(DType dt) {
  return dt == DType::kF32 || dt == DType::kF64 || dt == DType::kI32 || dt == DType::kI64;
}

template <Kind K>
void reduce_infer(InferContext& c) {
  const DType dt = c.input_dtype(0);
  if (!reduce_dtype(dt)) c.fail("unsupported dtype ", dtype_name(dt));
  const SymShape& x = c.input_shape(0);
  if (!x.rank_known()) return c.set_output(0, dt, SymShape{});
  const bool keep = c.node().attr_i("keepdims", 1) != 0;
  bool mask[kMaxRank], noop;
  if (!resolve_axes(c.node(), c.opset(), K, c.has_input(1), c.input_value(1), x.rank, mask,
                    &noop)) {
    if (!keep) return c.set_output(0, dt, SymShape{});
    SymShape out;
    out.rank = x.rank;
    for (int i = 0; i < x.rank; ++i) out.d[i] = c.unknown_dim();
    return c.set_output(0, dt, out);
  }
  if (noop) return c.set_output(0, dt, x);
  SymShape out = SymShape::scalar();
  for (int i = 0; i < x.rank; ++i) {
    if (!mask[i])
      out.push(x[i]);
    else if (keep)
      out.push(Dim::known(1));
  }
  c.set_output(0, dt, out);
}

// Kept and reduced dims of the input with their strides.
struct ReduceGeom {
  Shape kept, red;
  int64_t kept_str[kMaxRank] = {}, red_str[kMaxRank] = {};
  int64_t count = 1;  // elements per reduction
};

// Calls f(x) for every element of one reduction starting at base (which may be misaligned).
template <class T, class F>
void visit(const char* base, const ReduceGeom& g, F&& f) {
  if (g.red.rank == 0) return f(load<T>(base, 0));
  if (g.count == 0) return;
  const int L = g.red.rank - 1;
  const int64_t len = g.red.d[L], st = g.red_str[L];
  Shape outer = g.red;
  outer.d[L] = 1;
  int64_t idx[kMaxRank] = {};
  do {
    int64_t off = 0;
    for (int i = 0; i < L; ++i) off += idx[i] * g.red_str[i];
    const char* p = elem_ptr<T>(base, off);
    for (int64_t k = 0; k < len; ++k) f(load<T>(p, k * st));
  } while (next_index(outer, idx));
}

// One reduction. Floats accumulate in double; integers in wrapping 64-bit arithmetic.
template <Kind K, class T>
T reduce_one(const char* base, const ReduceGeom& g) {
  constexpr bool kFloat = std::is_floating_point_v<T>;
  using S = std::conditional_t<kFloat, double, uint64_t>;
  using Lim = std::numeric_limits<T>;
  // Integer accumulators hold two's-complement values: read them back as int64.
  auto as_double = [](S s) {
    if constexpr (kFloat)
      return s;
    else
      return static_cast<double>(static_cast<int64_t>(s));
  };
  auto to_t = [](double v) {
    if constexpr (kFloat)
      return static_cast<T>(v);
    else
      return std::isfinite(v) ? static_cast<T>(v) : T{};  // NaN/inf have no integer value
  };
  if constexpr (K == Kind::kMax || K == Kind::kMin) {
    T acc = K == Kind::kMax ? (kFloat ? -Lim::infinity() : Lim::lowest())
                            : (kFloat ? Lim::infinity() : Lim::max());
    visit<T>(base, g, [&](T x) {
      if (K == Kind::kMax ? x > acc : x < acc) acc = x;
      if constexpr (kFloat)
        if (std::isnan(x)) acc = x;  // NaN wins as in numpy
    });
    return acc;
  } else if constexpr (K == Kind::kLogSumExp) {
    double mx = -std::numeric_limits<double>::infinity();
    visit<T>(base, g, [&](T x) { mx = std::max(mx, static_cast<double>(x)); });
    if (!std::isfinite(mx)) mx = 0;  // all -inf (or an inf): no shift
    double s = 0;
    visit<T>(base, g, [&](T x) { s += std::exp(static_cast<double>(x) - mx); });
    return to_t(mx + std::log(s));
  } else if constexpr (K == Kind::kProd) {
    S acc = 1;
    visit<T>(base, g, [&](T x) { acc *= static_cast<S>(x); });
    return static_cast<T>(acc);
  } else {
    S acc = 0;
    visit<T>(base, g, [&](T x) {
      const S v = static_cast<S>(x);
      if constexpr (K == Kind::kL1)
        acc += x < 0 ? S{} - v : v;
      else if constexpr (K == Kind::kL2 || K == Kind::kSumSquare)
        acc += v * v;
      else
        acc += v;
    });
    if constexpr (K == Kind::kSum || K == Kind::kL1 || K == Kind::kSumSquare)
      return static_cast<T>(acc);
    else if constexpr (K == Kind::kMean)
      return to_t(as_double(acc) / static_cast<double>(g.count));
    else if constexpr (K == Kind::kL2)
      return to_t(std::sqrt(as_double(acc)));
    else
      return to_t(std::log(as_double(acc)));
  }
}

template <Kind K, class T>
void reduce_typed(RunContext& ctx) {
  const TensorView& X = ctx.in(0);
  TensorView& Y = ctx.out(0);
  const int rank = X.shape.rank;
  bool mask[kMaxRank], noop;
  resolve_axes(ctx.node, ctx.opset, K, ctx.has_in(1), ctx.has_in(1) ? &ctx.in(1) : nullptr, rank,
               mask, &noop);
  if (noop) return copy_to_contiguous(X, Y.data);
  ReduceGeom g;
  for (int i = 0; i < rank; ++i) {
    if (mask[i]) {
      g.red_str[g.red.rank] = X.strides[i];
      g.red.push(X.shape[i]);
      g.count *= X.shape[i];
    } else {
      g.kept_str[g.kept.rank] = X.strides[i];
      g.kept.push(X.shape[i]);
    }
  }
  const void* x = X.data;
  T* y = Y.as<T>();
  auto task = [&](size_t t) {
    int64_t off = 0, rest = static_cast<int64_t>(t);
    for (int i = g.kept.rank - 1; i >= 0; --i) {
      off += rest % g.kept.d[i] * g.kept_str[i];
      rest /= g.kept.d[i];
    }
    y[t] = reduce_one<K, T>(elem_ptr<T>(x, off), g);
  };
  parallel_for(ctx.pool, static_cast<size_t>(g.kept.numel()), task);
}

template <Kind K>
void reduce_run(RunContext& c) {
  switch (c.in(0).dtype) {
    case DType::kF32:
      return reduce_typed<K, float>(c);
    case DType::kF64:
      return reduce_typed<K, double>(c);
    case DType::kI32:
      return reduce_typed<K, int32_t>(c);
    case DType::kI64:
      return reduce_typed<K, int64_t>(c);
    default:
      fail(c.node.op_type, ": unsupported dtype ", dtype_name(c.in(0).dtype));
  }
}

template <Kind K>
const KernelImpl kKernels[] = {{"reference", nullptr, nullptr, reduce_run<K>, kStridedInputs}};

// Two rows per op: axes as an attribute, then axes as input 1 (with noop_with_empty_axes).
template <Kind K>
constexpr OpSchema attr_row(std::string_view op) {
  return {op,
          "",
          1,
          axes_input_opset(K) - 1,
          reduce_infer<K>,
          kKernels<K>,
          "float32/float64/int32/int64"};
}
template <Kind K>
constexpr OpSchema input_row(std::string_view op) {
  return {op,
          "",
          axes_input_opset(K),
          kLatestOpset,
          reduce_infer<K>,
          kKernels<K>,
          "float32/float64/int32/int64"};
}

const OpSchema kSchemas[] = {
    attr_row<Kind::kSum>("ReduceSum"),
    input_row<Kind::kSum>("ReduceSum"),
    attr_row<Kind::kMean>("ReduceMean"),
    input_row<Kind::kMean>("ReduceMean"),
    attr_row<Kind::kMax>("ReduceMax"),
    input_row<Kind::kMax>("ReduceMax"),
    attr_row<Kind::kMin>("ReduceMin"),
    input_row<Kind::kMin>("ReduceMin"),
    attr_row<Kind::kProd>("ReduceProd"),
    input_row<Kind::kProd>("ReduceProd"),
    attr_row<Kind::kL1>("ReduceL1"),
    input_row<Kind::kL1>("ReduceL1"),
    attr_row<Kind::kL2>("ReduceL2"),
    input_row<Kind::kL2>("ReduceL2"),
    attr_row<Kind::kSumSquare>("ReduceSumSquare"),
    input_row<Kind::kSumSquare>("ReduceSumSquare"),
    attr_row<Kind::kLogSum>("ReduceLogSum"),
    input_row<Kind::kLogSum>("ReduceLogSum"),
    attr_row<Kind::kLogSumExp>("ReduceLogSumExp"),
    input_row<Kind::kLogSumExp>("ReduceLogSumExp"),
};

}  // namespace

std::span<const OpSchema> reduce_schemas() { return kSchemas; }

}  // namespace wrun::ops
