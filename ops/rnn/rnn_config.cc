// Attribute parsing, shape inference, supports() and prepare() shared by LSTM, GRU and RNN.
#include <cctype>
#include <memory>
#include <optional>
#include <string_view>

#include "ops/common.h"
#include "ops/rnn/rnn.h"

namespace wrun::ops::rnn {
namespace {

template <class... A>
[[noreturn]] void node_fail(const graph::Node& n, const A&... a) {
  fail(n.op_type, " '", n.name, "': ", a...);
}

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

// The spec's activation list: which of alpha/beta each takes, and the defaults of the
// corresponding ONNX operators.
struct ActInfo {
  std::string_view name;
  Act::Kind kind;
  bool uses_alpha, uses_beta;
  double alpha, beta;
};
constexpr ActInfo kActs[] = {
    {"Sigmoid", Act::kSigmoid, false, false, 0, 0},
    {"Tanh", Act::kTanh, false, false, 0, 0},
    {"Relu", Act::kRelu, false, false, 0, 0},
    {"Affine", Act::kAffine, true, true, 1.0, 0.0},
    {"LeakyRelu", Act::kLeakyRelu, true, false, 0.01, 0},
    {"ThresholdedRelu", Act::kThresholdedRelu, true, false, 1.0, 0},
    {"ScaledTanh", Act::kScaledTanh, true, true, 1.0, 1.0},
    {"HardSigmoid", Act::kHardSigmoid, true, true, 0.2, 0.5},
    {"Elu", Act::kElu, true, false, 1.0, 0},
    {"Softsign", Act::kSoftsign, false, false, 0, 0},
    {"Softplus", Act::kSoftplus, false, false, 0, 0},
};

void parse_activations(const graph::Node& n, Config& cfg) {
  const int per_dir = num_acts(cfg.kind);
  // Defaults: f = Sigmoid, g = h = Tanh (RNN's only function is Tanh).
  for (int d = 0; d < 2; ++d)
    for (int k = 0; k < 3; ++k)
      cfg.acts[d][k].kind = (k == 0 && cfg.kind != CellKind::kRnn) ? Act::kSigmoid : Act::kTanh;
  const graph::Attribute* names = n.attr("activations");
  if (!names || names->strings.empty()) return;
  const int count = static_cast<int>(names->strings.size());
  // A bidirectional node may list one direction's functions: both directions use them.
  if (count != per_dir * cfg.dirs && count != per_dir)
    node_fail(n, "activations has ", count, " entries, expected ", per_dir * cfg.dirs);
  const graph::Attribute* alphas = n.attr("activation_alpha");
  const graph::Attribute* betas = n.attr("activation_beta");
  size_t ai = 0, bi = 0;
  // alpha/beta are consumed in order by the functions that take them (as onnxruntime does).
  for (int a = 0; a < per_dir * cfg.dirs; ++a) {
    const int d = a / per_dir, k = a % per_dir;
    if (a >= count) {  // repeated list: same function and parameters
      cfg.acts[d][k] = cfg.acts[0][k];
      continue;
    }
    const std::string& name = names->strings[a];
    const ActInfo* info = nullptr;
    for (const auto& e : kActs)
      if (iequal(e.name, name)) info = &e;
    if (!info) node_fail(n, "unknown activation '", name, "'");
    Act& act = cfg.acts[d][k];
    act.kind = info->kind;
    act.alpha = info->alpha;
    act.beta = info->beta;
    if (info->uses_alpha && alphas && ai < alphas->floats.size()) act.alpha = alphas->floats[ai++];
    if (info->uses_beta && betas && bi < betas->floats.size()) act.beta = betas->floats[bi++];
  }
}

constexpr const char* kInputNames[] = {"X",         "W",         "R", "B", "sequence_lens",
                                       "initial_h", "initial_c", "P"};

// Fails if dim `axis` of input `i` is known and differs from `want` (when that is known).
void check_dim(InferContext& c, int i, int axis, std::optional<Dim> want) {
  const SymShape& s = c.input_shape(i);
  if (!s.rank_known() || !want || !want->is_known() || !s[axis].is_known()) return;
  if (s[axis].value != want->value)
    c.fail("input ", kInputNames[i], " has ", s[axis].value, " at dim ", axis, ", expected ",
           want->value);
}

std::optional<Dim> times(std::optional<Dim> d, int64_t k) {
  if (!d || !d->is_known()) return std::nullopt;
  return Dim::known(d->value * k);
}

void infer_common(InferContext& c, CellKind kind) {
  const Config cfg = parse_config(c.node(), c.opset(), kind);
  const DType dt = c.input_dtype(0);
  if (dt != DType::kF32 && dt != DType::kF64 && dt != DType::kF16)
    c.fail("X has dtype ", dtype_name(dt), ", expected a float type");
  const int n_in = kind == CellKind::kLstm ? 8 : 6;
  if (c.num_inputs() > n_in) c.fail("has ", c.num_inputs(), " inputs, at most ", n_in);
  if (!c.has_input(1) || !c.has_input(2)) c.fail("inputs W and R are required");
  for (int i = 1; i < n_in; ++i) {
    if (!c.has_input(i)) continue;
    if (i == 4) {
      const DType s = c.input_dtype(4);
      if (s != DType::kI32 && s != DType::kI64) c.fail("sequence_lens must be int32");
    } else if (c.input_dtype(i) != dt) {
      c.fail("input ", kInputNames[i], " has dtype ", dtype_name(c.input_dtype(i)), ", expected ",
             dtype_name(dt));
    }
    const SymShape& s = c.input_shape(i);
    const int want_rank = i == 3 || i == 7 ? 2 : i == 4 ? 1 : 3;
    if (s.rank_known() && s.rank != want_rank)
      c.fail("input ", kInputNames[i], " has rank ", s.rank, ", expected ", want_rank);
  }
  const SymShape& x = c.input_shape(0);
  if (x.rank_known() && x.rank != 3) c.fail("X has rank ", x.rank, ", expected 3");
  const SymShape& r = c.input_shape(2);
  std::optional<Dim> hidden, seq, batch, input;
  if (cfg.hidden >= 0)
    hidden = Dim::known(cfg.hidden);
  else if (r.rank_known())
    hidden = r[2];
  const std::optional<Dim> dirs = Dim::known(cfg.dirs), gh = times(hidden, num_gates(kind));
  if (x.rank_known()) {
    seq = x[cfg.layout ? 1 : 0];
    batch = x[cfg.layout ? 0 : 1];
    input = x[2];
  }
  // W [D, G*H, I], R [D, G*H, H], B [D, 2*G*H], sequence_lens [batch], states [D, batch, H]
  // (layout 1: [batch, D, H]), P [D, 3*H].
  for (int i : {1, 2, 3, 7}) {
    if (!c.has_input(i)) continue;
    check_dim(c, i, 0, dirs);
    check_dim(c, i, 1, i == 3 ? times(gh, 2) : i == 7 ? times(hidden, 3) : gh);
  }
  check_dim(c, 1, 2, input);
  check_dim(c, 2, 2, hidden);
  if (c.has_input(4)) check_dim(c, 4, 0, batch);
  for (int i : {5, 6}) {
    if (!c.has_input(i)) continue;
    check_dim(c, i, cfg.layout ? 1 : 0, dirs);
    check_dim(c, i, cfg.layout ? 0 : 1, batch);
    check_dim(c, i, 2, hidden);
  }
  if (!x.rank_known()) {
    for (int o = 0; o < c.num_outputs(); ++o) c.set_output(o, dt, SymShape{});
    return;
  }
  const Dim h = hidden ? *hidden : c.unknown_dim();
  SymShape y, state;
  y.rank = 4;
  state.rank = 3;
  if (cfg.layout) {
    y.d[0] = *batch, y.d[1] = *seq, y.d[2] = *dirs, y.d[3] = h;
    state.d[0] = *batch, state.d[1] = *dirs, state.d[2] = h;
  } else {
    y.d[0] = *seq, y.d[1] = *dirs, y.d[2] = *batch, y.d[3] = h;
    state.d[0] = *dirs, state.d[1] = *batch, state.d[2] = h;
  }
  c.set_output(0, dt, y);
  c.set_output(1, dt, state);
  if (kind == CellKind::kLstm) c.set_output(2, dt, state);
}

template <CellKind K>
void prepare_common(PrepareContext& c) {
  auto st = std::make_unique<State>();
  st->cfg = parse_config(c.node, c.opset, K);
  const Shape& x = c.inputs[0].shape;
  const Shape& r = c.inputs[2].shape;
  if (x.rank == 3 && r.rank == 3) {
    const int64_t batch = x[st->cfg.layout ? 0 : 1];
    const int64_t per = task_doubles(K, x[2], r[2]);
    c.scratch_bytes = checked_bytes(Shape{st->cfg.dirs, batch, per}, sizeof(double));
  }
  c.state = std::move(st);
}

}  // namespace

Config parse_config(const graph::Node& n, int64_t opset, CellKind kind) {
  Config cfg;
  cfg.kind = kind;
  const std::string_view dir = n.attr_s("direction", "forward");
  if (dir == "bidirectional")
    cfg.dirs = 2;
  else if (dir == "reverse")
    cfg.reverse = true;
  else if (dir != "forward")
    node_fail(n, "unknown direction '", dir, "'");
  if (n.attr("layout") && opset < 14) node_fail(n, "layout needs opset 14, model has ", opset);
  const int64_t layout = n.attr_i("layout", 0);
  if (layout != 0 && layout != 1) node_fail(n, "layout must be 0 or 1, got ", layout);
  cfg.layout = static_cast<int>(layout);
  if (n.attr("hidden_size")) {
    cfg.hidden = n.attr_i("hidden_size", 0);
    if (cfg.hidden <= 0) node_fail(n, "hidden_size must be positive, got ", cfg.hidden);
  }
  if (n.attr("clip")) {
    cfg.has_clip = true;
    cfg.clip = n.attr_f("clip", 0);
    if (!(cfg.clip >= 0)) node_fail(n, "clip must be non-negative, got ", cfg.clip);
  }
  if (kind == CellKind::kLstm) cfg.input_forget = n.attr_i("input_forget", 0) != 0;
  if (kind == CellKind::kGru) cfg.linear_before_reset = n.attr_i("linear_before_reset", 0) != 0;
  parse_activations(n, cfg);
  return cfg;
}

void lstm_infer(InferContext& c) { infer_common(c, CellKind::kLstm); }
void gru_infer(InferContext& c) { infer_common(c, CellKind::kGru); }
void rnn_infer(InferContext& c) { infer_common(c, CellKind::kRnn); }

std::string supports(const SupportQuery& q) {
  if (!q.in_dtypes.empty() && q.in_dtypes[0] == DType::kF16)
    return "float16 (float32 and float64 only)";
  return {};
}

void lstm_prepare(PrepareContext& c) { prepare_common<CellKind::kLstm>(c); }
void gru_prepare(PrepareContext& c) { prepare_common<CellKind::kGru>(c); }
void rnn_prepare(PrepareContext& c) { prepare_common<CellKind::kRnn>(c); }

}  // namespace wrun::ops::rnn
