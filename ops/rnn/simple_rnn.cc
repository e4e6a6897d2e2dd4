// RNN cell: H' = f(Wi x + Ri H + Wbi + Rbi), clip bounding the input of f.
#include "ops/rnn/recurrence.h"

namespace wrun::ops::rnn {
namespace {

struct RnnCell {
  static constexpr CellKind kKind = CellKind::kRnn;

  template <class T>
  static void step(const Config& cfg, const Act* act, const Weights<T>& w, const StepBuffers& s) {
    // All pre-activations first: they read H_{t-1}.
    for (int64_t j = 0; j < w.H; ++j) s.gate[j] = w.wx(j, s.x) + w.rh(j, s.h) + w.wb(j) + w.rb(j);
    for (int64_t j = 0; j < w.H; ++j) s.h[j] = act[0](clip_to(cfg, s.gate[j]));
  }
};

}  // namespace

void rnn_run(RunContext& c) { run_cell<RnnCell>(c); }

}  // namespace wrun::ops::rnn
