// The recurrence shared by LSTM, GRU and RNN: each (direction, batch) sequence is independent, so
// one task runs one of them over its valid steps with its state in double-precision scratch. A
// cell type supplies the per-step update.
#pragma once
#include <algorithm>
#include <cstdint>

#include "ops/common.h"
#include "ops/linalg/load.h"
#include "ops/linalg/parallel.h"
#include "ops/rnn/rnn.h"

namespace wrun::ops::rnn {

// One direction's parameters (pointers into possibly misaligned inputs) and the row products a
// cell needs, accumulated in double.
template <class T>
struct Weights {
  const char* W;  // [G*H, I]
  const char* R;  // [G*H, H]
  const char* B;  // [2*G*H] (Wb then Rb), or nullptr
  const char* P;  // LSTM peepholes [3*H] (i, o, f), or nullptr
  int64_t I, H, G;

  static double dot(const char* m, int64_t row, int64_t n, const double* v) {
    const char* p = elem_ptr<T>(m, row * n);
    double s = 0;
    for (int64_t k = 0; k < n; ++k) s += static_cast<double>(load<T>(p, k)) * v[k];
    return s;
  }
  double wx(int64_t row, const double* x) const { return dot(W, row, I, x); }
  double rh(int64_t row, const double* h) const { return dot(R, row, H, h); }
  double wb(int64_t row) const { return B ? static_cast<double>(load<T>(B, row)) : 0.0; }
  double rb(int64_t row) const { return B ? static_cast<double>(load<T>(B, G * H + row)) : 0.0; }
  double peep(int gate, int64_t j) const {
    return P ? static_cast<double>(load<T>(P, gate * H + j)) : 0.0;
  }
};

// Per-step buffers of one task (all in scratch).
struct StepBuffers {
  double* x;     // [I]   x_t
  double* h;     // [H]   H_{t-1}, then H_t
  double* c;     // [H]   C_{t-1}, then C_t (LSTM)
  double* gate;  // [G*H] gate values
  double* tmp;   // [H]   spare row (GRU's r (.) H_{t-1})
};

inline double clip_to(const Config& cfg, double v) {
  return cfg.has_clip ? std::clamp(v, -cfg.clip, cfg.clip) : v;
}

// Offsets (in elements) of X[t, b], Y[t, d, b] and a state [d, b] in either layout.
struct Geom {
  int64_t seq, batch, input, hidden;
  int dirs, layout;
  int64_t x_at(int64_t t, int64_t b) const {
    return (layout ? b * seq + t : t * batch + b) * input;
  }
  int64_t y_at(int64_t t, int d, int64_t b) const {
    return (layout ? (b * seq + t) * dirs + d : (t * dirs + d) * batch + b) * hidden;
  }
  int64_t state_at(int d, int64_t b) const {
    return (layout ? b * dirs + d : d * batch + b) * hidden;
  }
};

// Runs the node. Cell::kKind names the cell; Cell::step<T>(cfg, acts, weights, buffers) advances
// buffers.h (and .c) by one step.
template <class T, class Cell>
void run_recurrence(RunContext& ctx) {
  constexpr CellKind kKind = Cell::kKind;
  constexpr int G = num_gates(kKind);
  const Config& cfg = ctx.state_as<State>().cfg;
  const TensorView& X = ctx.in(0);
  const TensorView& W = ctx.in(1);
  const TensorView& R = ctx.in(2);
  const Geom g{X.shape[cfg.layout ? 1 : 0],
               X.shape[cfg.layout ? 0 : 1],
               X.shape[2],
               R.shape[2],
               cfg.dirs,
               cfg.layout};
  const int64_t H = g.hidden, I = g.input;
  const bool has_lens = ctx.has_in(4);
  if (has_lens)
    for (int64_t b = 0; b < g.batch; ++b) {
      const int64_t len = read_int(ctx.in(4), b);
      if (len < 0 || len > g.seq)
        fail(ctx.node.op_type, " '", ctx.node.name, "': sequence_lens[", b, "] = ", len,
             " is outside [0, ", g.seq, "]");
    }
  const int64_t per = task_doubles(kKind, I, H);
  const int64_t tasks = g.dirs * g.batch;
  const size_t need = static_cast<size_t>(tasks * per) * sizeof(double);
  if (ctx.scratch_bytes < need)
    fail(ctx.node.op_type, " '", ctx.node.name, "': scratch of ", ctx.scratch_bytes, " bytes < ",
         need, " needed");
  double* scratch = static_cast<double*>(ctx.scratch);
  T* Y = ctx.has_out(0) ? ctx.out(0).as<T>() : nullptr;
  T* Yh = ctx.has_out(1) ? ctx.out(1).as<T>() : nullptr;
  T* Yc = kKind == CellKind::kLstm && ctx.has_out(2) ? ctx.out(2).as<T>() : nullptr;
  const void* h0 = ctx.has_in(5) ? ctx.in(5).data : nullptr;
  const void* c0 = kKind == CellKind::kLstm && ctx.has_in(6) ? ctx.in(6).data : nullptr;
  const void* B = ctx.has_in(3) ? ctx.in(3).data : nullptr;
  const void* P = kKind == CellKind::kLstm && ctx.has_in(7) ? ctx.in(7).data : nullptr;

  auto task = [&](size_t t) {
    const int d = static_cast<int>(static_cast<int64_t>(t) / g.batch);
    const int64_t b = static_cast<int64_t>(t) % g.batch;
    double* base = scratch + static_cast<int64_t>(t) * per;
    const StepBuffers buf{base, base + I, base + I + H, base + I + 2 * H, base + I + (2 + G) * H};
    const Weights<T> w{elem_ptr<T>(W.data, d * G * H * I),
                       elem_ptr<T>(R.data, d * G * H * H),
                       B ? elem_ptr<T>(B, d * 2 * G * H) : nullptr,
                       P ? elem_ptr<T>(P, d * 3 * H) : nullptr,
                       I,
                       H,
                       G};
    const int64_t s0 = g.state_at(d, b);
    for (int64_t j = 0; j < H; ++j) {
      buf.h[j] = h0 ? static_cast<double>(load<T>(h0, s0 + j)) : 0.0;
      buf.c[j] = c0 ? static_cast<double>(load<T>(c0, s0 + j)) : 0.0;
    }
    const int64_t len = has_lens ? read_int(ctx.in(4), b) : g.seq;
    const bool backward = cfg.reverse || d == 1;
    for (int64_t s = 0; s < len; ++s) {
      const int64_t ts = backward ? len - 1 - s : s;
      const char* xt = elem_ptr<T>(X.data, g.x_at(ts, b));
      for (int64_t k = 0; k < I; ++k) buf.x[k] = static_cast<double>(load<T>(xt, k));
      Cell::template step<T>(cfg, cfg.acts[d], w, buf);
      if (Y)
        for (int64_t j = 0; j < H; ++j) Y[g.y_at(ts, d, b) + j] = static_cast<T>(buf.h[j]);
    }
    // Steps past a sequence's length produce zeros; the final states are those of its last step.
    if (Y)
      for (int64_t ts = len; ts < g.seq; ++ts) std::fill_n(Y + g.y_at(ts, d, b), H, T{});
    for (int64_t j = 0; j < H; ++j) {
      if (Yh) Yh[s0 + j] = static_cast<T>(buf.h[j]);
      if (Yc) Yc[s0 + j] = static_cast<T>(buf.c[j]);
    }
  };
  parallel_for(ctx.pool, static_cast<size_t>(tasks), task);
}

// Dispatches run_recurrence on the float dtype of X.
template <class Cell>
void run_cell(RunContext& ctx) {
  if (ctx.in(0).dtype == DType::kF64)
    run_recurrence<double, Cell>(ctx);
  else
    run_recurrence<float, Cell>(ctx);
}

}  // namespace wrun::ops::rnn
