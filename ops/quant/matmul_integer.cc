// MatMulInteger (int32 output) and QLinearMatMul (requantized 8-bit output): numpy matmul of
// uint8/int8 operands with per-tensor, per-row (A) or per-column (B) zero points.
#include <algorithm>

#include "ops/linalg/parallel.h"
#include "ops/quant/int_gemm.h"
#include "ops/quant/quant.h"

namespace wrun::ops::quant {
namespace {

// Input indices of the operands and their parameters (-1: the op has no such input).
struct Inputs {
  int a, a_scale, a_zp, b, b_scale, b_zp;
};
constexpr Inputs kMatMulInteger{0, -1, 2, 1, -1, 3};
constexpr Inputs kQLinearMatMul{0, 1, 2, 3, 4, 5};

// Shape of numpy matmul(a, b), or an unknown-rank shape if a rank is unknown.
SymShape matmul_shape(const InferContext& c, const SymShape& a, const SymShape& b) {
  if (!a.rank_known() || !b.rank_known()) return SymShape{};
  if (a.rank == 0 || b.rank == 0) c.fail("operands must have rank >= 1");
  const Dim ka = a[a.rank - 1], kb = b[b.rank >= 2 ? b.rank - 2 : 0];
  if (ka.is_known() && kb.is_known() && ka.value != kb.value)
    c.fail("inner dimensions differ (", ka.value, " vs ", kb.value, ")");
  SymShape ba = SymShape::scalar(), bb = SymShape::scalar(), out;
  for (int i = 0; i + 2 < a.rank; ++i) ba.push(a[i]);
  for (int i = 0; i + 2 < b.rank; ++i) bb.push(b[i]);
  if (!broadcast_shapes(ba, bb, &out)) c.fail("batch dimensions do not broadcast");
  if (a.rank >= 2) out.push(a[a.rank - 2]);
  if (b.rank >= 2) out.push(b[b.rank - 1]);
  return out;
}

// Checks the dtype of a parameter and, when shapes are known, that it is per tensor, per row
// (of A) or per column (of B).
void check_param(const InferContext& c, int p, int x, bool per_row, DType dt, const char* what) {
  if (p < 0 || !c.has_input(p)) return;
  if (c.input_dtype(p) != dt)
    c.fail(what, " must be ", dtype_name(dt), ", got ", dtype_name(c.input_dtype(p)));
  const SymShape& ps = c.input_shape(p);
  const SymShape& xs = c.input_shape(x);
  ParamIndex pi;
  if (ps.fully_known() && xs.fully_known() &&
      !make_param_index(xs.concrete(), ps.concrete(), per_row, &pi))
    c.fail(what, " must be per tensor or per ", per_row ? "row" : "column", " of its operand");
}

void infer_operands(InferContext& c, Inputs in) {
  const DType at = c.input_dtype(in.a), bt = c.input_dtype(in.b);
  if (!is_q8(at) || !is_q8(bt))
    c.fail("operands must be uint8 or int8, got ", dtype_name(at), " and ", dtype_name(bt));
  check_param(c, in.a_zp, in.a, true, at, "a_zero_point");
  check_param(c, in.b_zp, in.b, false, bt, "b_zero_point");
  check_param(c, in.a_scale, in.a, true, DType::kF32, "a_scale");
  check_param(c, in.b_scale, in.b, false, DType::kF32, "b_scale");
}

ParamIndex param_index(const RunContext& c, int p, int x, bool per_row) {
  ParamIndex pi;
  if (p >= 0 && c.has_in(p) && !make_param_index(c.in(x).shape, c.in(p).shape, per_row, &pi))
    fail(c.node.op_type, " '", c.node.name, "': input ", p, " is not per tensor or per ",
         per_row ? "row" : "column");
  return pi;
}

// Writes operand x - its zero point as int32 [batches, R, C].
void widen_operand(const RunContext& c, int x, int zp, bool per_row, int64_t batches, int64_t R,
                   int64_t C, int32_t* dst) {
  const ParamIndex pi = param_index(c, zp, x, per_row);
  const void* z = c.has_in(zp) ? c.in(zp).data : nullptr;
  dispatch_q8(c.in(x).dtype, [&](auto t) {
    widen<decltype(t)>(c.in(x).data, z, pi, per_row, batches, R, C, dst);
  });
}

// Scratch: A', then B' when A has enough rows to use the GEMM, then (QLinearMatMul) the int32
// accumulator.
size_t scratch_for(const PrepareContext& c, Inputs in, bool acc) {
  const Shape& a = c.inputs[in.a].shape;
  const Shape& b = c.inputs[in.b].shape;
  if (a.rank < 1 || b.rank < 1) return 0;
  const IntMatMul g = int_matmul_geom(a, b);
  size_t n = section_bytes(a.numel());
  if (g.M >= kDirectRows) n += section_bytes(b.numel());
  if (acc) n += section_bytes(c.outputs[0].shape.numel());
  return n;
}

// Computes the int32 product into y (the output, or scratch for QLinearMatMul).
void multiply(RunContext& c, Inputs in, const IntMatMul& g, int32_t* y) {
  if (g.batches * g.M * g.N == 0) return;
  const bool direct = g.M < kDirectRows;
  const size_t a_bytes = section_bytes(c.in(in.a).numel());
  const size_t need = a_bytes + (direct ? 0 : section_bytes(c.in(in.b).numel()));
  if (!c.scratch || c.scratch_bytes < need)
    fail(c.node.op_type, " '", c.node.name, "': scratch of ", c.scratch_bytes, " bytes < ", need);
  char* s = static_cast<char*>(c.scratch);
  int32_t* a = reinterpret_cast<int32_t*>(s);
  widen_operand(c, in.a, in.a_zp, true, g.a_batches, g.M, g.K, a);
  const TensorView& B = c.in(in.b);
  if (!direct) {
    int32_t* b = reinterpret_cast<int32_t*>(s + a_bytes);
    widen_operand(c, in.b, in.b_zp, false, g.b_batches, g.K, g.N, b);
    return int_matmul(g, a, b, y, c.pool);
  }
  const ParamIndex pb = param_index(c, in.b_zp, in.b, false);
  const void* zp = c.has_in(in.b_zp) ? c.in(in.b_zp).data : nullptr;
  const int64_t nblocks = (g.N + kDirectCols - 1) / kDirectCols;
  dispatch_q8(B.dtype, [&](auto t) {
    using T = decltype(t);
    auto task = [&](size_t i) {
      const int64_t bi = static_cast<int64_t>(i) / nblocks;
      const int64_t n0 = static_cast<int64_t>(i) % nblocks * kDirectCols;
      int64_t ia, ib;
      g.batch_of(bi, &ia, &ib);
      direct_cols<T>(g.M, g.K, g.N, n0, std::min(g.N, n0 + kDirectCols), a + ia * g.M * g.K,
                     elem_ptr<T>(B.data, ib * g.K * g.N), zp, zp ? pb.base(ib) : 0, pb.vstride,
                     y + bi * g.M * g.N);
    };
    parallel_for(c.pool, static_cast<size_t>(g.batches * nblocks), task);
  });
}

template <class Q>
void requantize(RunContext& c, const IntMatMul& g, const int32_t* acc) {
  const Inputs in = kQLinearMatMul;
  const ParamIndex pa = param_index(c, in.a_scale, in.a, true);
  const ParamIndex pb = param_index(c, in.b_scale, in.b, false);
  const float ys = load<float>(c.in(6).data, 0);
  const int32_t yzp = read_i32(c.in(7), 0);
  const void* as = c.in(in.a_scale).data;
  const void* bs = c.in(in.b_scale).data;
  Q* y = c.out(0).as<Q>();
  for (int64_t bi = 0; bi < g.batches; ++bi) {
    int64_t ia, ib;
    g.batch_of(bi, &ia, &ib);
    const int64_t a0 = pa.base(ia), b0 = pb.base(ib);
    for (int64_t m = 0; m < g.M; ++m) {
      const float sa = load<float>(as, a0 + m * pa.vstride);
      const int64_t row = (bi * g.M + m) * g.N;
      for (int64_t n = 0; n < g.N; ++n) {
        // The multiplier in float32 as the spec's arithmetic has it; the product in double.
        const float mult = sa * load<float>(bs, b0 + n * pb.vstride) / ys;
        y[row + n] = quantize_value<Q>(static_cast<double>(acc[row + n]) * mult, yzp);
      }
    }
  }
}

}  // namespace

void matmul_integer_infer(InferContext& c) {
  infer_operands(c, kMatMulInteger);
  c.set_output(0, DType::kI32, matmul_shape(c, c.input_shape(0), c.input_shape(1)));
}

void matmul_integer_prepare(PrepareContext& c) {
  c.scratch_bytes = scratch_for(c, kMatMulInteger, false);
}

void matmul_integer_run(RunContext& c) {
  const IntMatMul g = int_matmul_geom(c.in(0).shape, c.in(1).shape);
  multiply(c, kMatMulInteger, g, c.out(0).as<int32_t>());
}

void qlinear_matmul_infer(InferContext& c) {
  infer_operands(c, kQLinearMatMul);
  if (c.input_dtype(6) != DType::kF32) c.fail("y_scale must be float32");
  const DType yt = c.input_dtype(7);
  if (!is_q8(yt)) c.fail("y_zero_point must be uint8 or int8, got ", dtype_name(yt));
  require_scalar(c, 6, "y_scale");
  require_scalar(c, 7, "y_zero_point");
  c.set_output(0, yt, matmul_shape(c, c.input_shape(0), c.input_shape(3)));
}

void qlinear_matmul_prepare(PrepareContext& c) {
  c.scratch_bytes = scratch_for(c, kQLinearMatMul, true);
}

void qlinear_matmul_run(RunContext& c) {
  const Inputs in = kQLinearMatMul;
  const IntMatMul g = int_matmul_geom(c.in(in.a).shape, c.in(in.b).shape);
  if (g.batches * g.M * g.N == 0) return;
  const size_t off = section_bytes(c.in(in.a).numel()) +
                     (g.M < kDirectRows ? 0 : section_bytes(c.in(in.b).numel()));
  if (c.scratch_bytes < off + section_bytes(g.batches * g.M * g.N))
    fail(c.node.op_type, " '", c.node.name, "': scratch too small");
  int32_t* acc = reinterpret_cast<int32_t*>(static_cast<char*>(c.scratch) + off);
  multiply(c, in, g, acc);
  dispatch_q8(c.out(0).dtype, [&](auto q) { requantize<decltype(q)>(c, g, acc); });
}

}  // namespace wrun::ops::quant
