// GRU cell (gate order z, r, h in W, R and B):
//   z = f(Wz x + Rz H + Wbz + Rbz)      r = f(Wr x + Rr H + Wbr + Rbr)
//   h~ = g(Wh x + Rh (r (.) H) + Rbh + Wbh)           linear_before_reset = 0
//   h~ = g(Wh x + r (.) (Rh H + Rbh) + Wbh)           linear_before_reset = 1
//   H' = (1 - z) (.) h~ + z (.) H
// clip bounds the inputs of f and g.
#include "ops/rnn/recurrence.h"

namespace wrun::ops::rnn {
namespace {

struct GruCell {
  static constexpr CellKind kKind = CellKind::kGru;

  template <class T>
  static void step(const Config& cfg, const Act* act, const Weights<T>& w, const StepBuffers& s) {
    const int64_t H = w.H;
    double* z = s.gate;
    double* r = s.gate + H;
    double* cand = s.gate + 2 * H;
    for (int64_t j = 0; j < 2 * H; ++j)
      s.gate[j] = act[0](clip_to(cfg, w.wx(j, s.x) + w.rh(j, s.h) + w.wb(j) + w.rb(j)));
    if (!cfg.linear_before_reset)
      for (int64_t k = 0; k < H; ++k) s.tmp[k] = r[k] * s.h[k];
    for (int64_t j = 0; j < H; ++j) {
      const int64_t row = 2 * H + j;
      const double rec = cfg.linear_before_reset ? r[j] * (w.rh(row, s.h) + w.rb(row))
                                                 : w.rh(row, s.tmp) + w.rb(row);
      cand[j] = act[1](clip_to(cfg, w.wx(row, s.x) + w.wb(row) + rec));
    }
    for (int64_t j = 0; j < H; ++j) s.h[j] = (1 - z[j]) * cand[j] + z[j] * s.h[j];
  }
};

}  // namespace

void gru_run(RunContext& c) { run_cell<GruCell>(c); }

}  // namespace wrun::ops::rnn
