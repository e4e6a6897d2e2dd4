// LSTM cell (gate order i, o, f, c in W, R and B; peepholes i, o, f in P):
//   i = f(Wi x + Ri h + Pi (.) C + b_i)     f = f(Wf x + Rf h + Pf (.) C + b_f)  (1 - i if coupled)
//   c~ = g(Wc x + Rc h + b_c)               C' = f (.) C + i (.) c~
//   o = f(Wo x + Ro h + Po (.) C' + b_o)    H' = o (.) h(C')
// clip bounds the inputs of f and g (not of h, as onnxruntime does).
#include "ops/rnn/recurrence.h"

namespace wrun::ops::rnn {
namespace {

struct LstmCell {
  static constexpr CellKind kKind = CellKind::kLstm;
  enum Gate { kI = 0, kO = 1, kF = 2, kC = 3 };

  template <class T>
  static void step(const Config& cfg, const Act* act, const Weights<T>& w, const StepBuffers& s) {
    const int64_t H = w.H;
    // Pre-activations of all gates first: they all read H_{t-1}.
    for (int64_t r = 0; r < 4 * H; ++r) s.gate[r] = w.wx(r, s.x) + w.rh(r, s.h) + w.wb(r) + w.rb(r);
    for (int64_t j = 0; j < H; ++j) {
      double* pre = s.gate;
      const double i = act[0](clip_to(cfg, pre[kI * H + j] + w.peep(kI, j) * s.c[j]));
      const double f =
          cfg.input_forget ? 1 - i : act[0](clip_to(cfg, pre[kF * H + j] + w.peep(kF, j) * s.c[j]));
      const double cand = act[1](clip_to(cfg, pre[kC * H + j]));
      const double c = f * s.c[j] + i * cand;
      const double o = act[0](clip_to(cfg, pre[kO * H + j] + w.peep(kO, j) * c));
      s.c[j] = c;
      s.h[j] = o * act[2](c);
    }
  }
};

}  // namespace

void lstm_run(RunContext& c) { run_cell<LstmCell>(c); }

}  // namespace wrun::ops::rnn
