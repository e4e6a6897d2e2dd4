#include "runtime/executor.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

#include "ops/common.h"
#include "ops/evaluate.h"
#include "ops/registry.h"

namespace wrun::runtime {

using graph::Graph;
using graph::Node;

namespace {

std::string node_label(const Node& n) { return n.op_type + " '" + n.name + "'"; }

// WRUN_PROFILE=1: time per op type over the process, printed to stderr at exit.
struct Profile {
  std::mutex mu;
  std::map<std::string, std::pair<double, int64_t>> by_op;  // ms, calls
  ~Profile() {
    std::vector<std::pair<double, std::string>> rows;
    double total = 0;
    for (const auto& [op, v] : by_op) rows.emplace_back(v.first, op), total += v.first;
    std::sort(rows.rbegin(), rows.rend());
    std::fprintf(stderr, "wrun profile: %.1f ms in kernels\n", total);
    for (const auto& [ms, op] : rows)
      std::fprintf(stderr, "  %-24s %10.1f ms %5.1f%% %8lld calls\n", op.c_str(), ms,
                   total > 0 ? 100 * ms / total : 0.0, static_cast<long long>(by_op[op].second));
  }
};

void profile_add(const std::string& op, std::chrono::steady_clock::duration d) {
  static Profile p;
  std::lock_guard<std::mutex> lock(p.mu);
  auto& e = p.by_op[op];
  e.first += std::chrono::duration<double, std::milli>(d).count();
  ++e.second;
}

constexpr int64_t kMaxPlanTimeElements = 4096;     // small tensors are evaluated while planning
constexpr int64_t kMaxPlanTimeInputElements = 64;  // inputs small enough to be shape-like
constexpr int kStagingGrow = -2;                   // staging[i]: a run-time growable buffer

// Discard buffers for unused outputs: >= 0 is an arena buffer, <= -2 a dynamic buffer.
int encode_dynamic(int d) { return -(d + 2); }
int decode_dynamic(int code) { return -code - 2; }

// A non-owning constant over known plan-time data.
std::shared_ptr<graph::Constant> borrow(const TensorView& v) {
  auto c = std::make_shared<graph::Constant>();
  c->dtype = v.dtype;
  c->shape = v.shape;
  c->data = v.data;
  c->nbytes = v.bytes();
  return c;
}

bool is_op(const Node& n, const char* op) { return n.domain.empty() && n.op_type == op; }

}  // namespace

char* GrowBuffer::reserve(size_t bytes) {
  if (bytes > cap_ || !p_) {
    size_t cap = std::max<size_t>((bytes + 63) / 64 * 64 + 64, 64);
    p_.reset(static_cast<char*>(std::aligned_alloc(64, cap)));
    WRUN_CHECK(p_, "out of memory growing a ", bytes, "-byte buffer");
    cap_ = cap - 64;
  }
  return p_.get();
}

TensorView CacheBuffer::view(int64_t len) const {
  TensorView v = make_view(memory.get(), dtype, full);
  v.shape.d[axis] = len;
  v.capacity = checked_bytes(full, dtype_size(dtype));
  return v;
}

void copy_view(const TensorView& src, const TensorView& dst) {
  WRUN_CHECK(src.dtype == dst.dtype && src.shape == dst.shape, "internal: copy_view mismatch");
  if (src.numel() == 0) return;
  if (dst.is_contiguous()) {
    ops::copy_to_contiguous(src, dst.data);
    return;
  }
  const size_t es = dtype_size(src.dtype);
  int64_t idx[kMaxRank] = {};
  const char* s = src.as<const char>();
  char* d = dst.as<char>();
  do {
    std::memcpy(d + ops::offset_of(dst, idx) * static_cast<int64_t>(es),
                s + ops::offset_of(src, idx) * static_cast<int64_t>(es), es);
  } while (ops::next_index(src.shape, idx));
}

GraphPlan::GraphPlan(const graph::Model& m, const Graph& g, std::vector<CacheBuffer>* caches,
                     const std::vector<PlanValue>* parent, const PlanOptions& opts)
    : m_(m), g_(g), caches_(caches), parent_(parent), opts_(opts) {}

GraphPlan::~GraphPlan() = default;

void GraphPlan::bind_input(int input_index, const TensorView& v) {
  slots_[g_.inputs[input_index]].view = v;
}

void GraphPlan::build(const std::vector<TensorView>& inputs) {
  const size_t nv = g_.values.size();
  slots_.assign(nv, Slot{});
  pv_.assign(nv, PlanValue{});
  steps_.clear();
  buffers_.clear();
  dyn_.clear();
  // Values known while planning: constants, small inputs given with data, small computed ones.
  std::vector<std::shared_ptr<graph::Constant>> known(nv);

  for (size_t v = 0; v < nv; ++v) {
    const auto& val = g_.values[v];
    Slot& s = slots_[v];
    if (val.constant) {
      s.kind = SlotKind::kConstant;
      s.view = val.constant->view();
      pv_[v].view = s.view;
      pv_[v].sym = SymShape::of(s.view.shape);
      known[v] = val.constant;
    } else if (val.outer >= 0) {
      WRUN_CHECK(parent_, "value '", val.name, "' refers to an outer scope that is missing");
      s.kind = SlotKind::kOuter;
      s.source = val.outer;
      s.maybe_strided = true;
      pv_[v] = (*parent_)[val.outer];
      if (pv_[v].view.data && !pv_[v].dynamic && pv_[v].view.is_contiguous())
        known[v] = borrow(pv_[v].view);
    }
  }
  WRUN_CHECK(inputs.size() == g_.inputs.size(), "internal: input count mismatch");
  for (size_t i = 0; i < inputs.size(); ++i) {
    int v = g_.inputs[i];
    slots_[v].kind = SlotKind::kInput;
    pv_[v].view = inputs[i];
    pv_[v].view.data = nullptr;
    pv_[v].sym = SymShape::of(inputs[i].shape);
    // Small inputs given with data (the first run's actual values) act as plan-time values, so
    // shapes that depend on them (axes, sizes given as inputs) can be planned.
    if (inputs[i].data && inputs[i].dtype != DType::kString && inputs[i].is_contiguous() &&
        inputs[i].numel() <= kMaxPlanTimeInputElements)
      known[v] = graph::Constant::copy_of(inputs[i].dtype, inputs[i].shape, inputs[i].data);
    if (caches_)
      for (size_t c = 0; c < caches_->size(); ++c)
        if ((*caches_)[c].input == v) {
          slots_[v].kind = SlotKind::kCache;
          slots_[v].cache = static_cast<int>(c);
          slots_[v].maybe_strided = true;
          (*caches_)[c].appended_in_place = false;
        }
  }

  steps_.resize(g_.nodes.size());
  for (size_t n = 0; n < g_.nodes.size(); ++n) plan_step(n, known);
  assign_memory();
}

void GraphPlan::plan_step(size_t n_idx, std::vector<std::shared_ptr<graph::Constant>>& known) {
  const Node& n = g_.nodes[n_idx];
  Step& s = steps_[n_idx];
  s.node = static_cast<int>(n_idx);
  s.opset = m_.opset(n.domain);
  const size_t ni = n.inputs.size(), no = n.outputs.size();
  s.in_views.assign(ni, TensorView{});
  s.out_views.assign(no, TensorView{});
  s.in_dt.assign(ni, DType::kUndefined);
  s.out_dt.assign(no, DType::kUndefined);
  s.in_sh.assign(ni, SymShape{});
  s.out_sh.assign(no, SymShape{});
  s.in_vals.assign(ni, nullptr);
  s.staging.assign(ni, -1);
  s.discard.assign(no, -1);

  std::vector<TensorView> known_views(ni);
  bool any_dynamic_input = false;
  for (size_t i = 0; i < ni; ++i) {
    int v = n.inputs[i];
    if (v < 0) continue;
    const PlanValue& p = pv_[v];
    WRUN_CHECK(p.view.dtype != DType::kUndefined, node_label(n), " input ", i, " '",
               g_.values[v].name, "' has no type at planning time");
    s.in_dt[i] = p.view.dtype;
    s.in_sh[i] = p.sym;
    any_dynamic_input |= p.dynamic;
    if (known[v]) {
      known_views[i] = known[v]->view();
      s.in_vals[i] = &known_views[i];
    }
  }

  s.schema = ops::Registry::builtin().find(n.domain, n.op_type, s.opset);
  if (!s.schema)
    fail(node_label(n), ": op ", n.domain.empty() ? "" : n.domain + ".", n.op_type,
         " is not supported at opset ", s.opset);

  std::vector<char> force_dynamic(no, 0);
  if (is_op(n, "If")) {
    s.kind = Step::Kind::kIf;
    const auto* then_g = n.attr("then_branch");
    const auto* else_g = n.attr("else_branch");
    WRUN_CHECK(then_g && then_g->g && else_g && else_g->g, node_label(n), ": missing branch");
    const Graph* branches[2] = {then_g->g.get(), else_g->g.get()};
    for (int b = 0; b < 2; ++b) {
      s.branch[b] = std::make_unique<GraphPlan>(m_, *branches[b], nullptr, &pv_, opts_);
      s.branch[b]->build({});
      WRUN_CHECK(branches[b]->outputs.size() == no, node_label(n),
                 ": branch output count differs from the node's");
    }
    for (size_t o = 0; o < no; ++o) {
      const PlanValue& a = s.branch[0]->plan_values()[branches[0]->outputs[o]];
      const PlanValue& b = s.branch[1]->plan_values()[branches[1]->outputs[o]];
      s.out_dt[o] = a.view.dtype;
      if (a.dynamic || b.dynamic || a.view.shape.rank != b.view.shape.rank) {
        force_dynamic[o] = 1;
        s.out_sh[o] = a.sym.rank == b.sym.rank ? a.sym : SymShape{};
      } else {  // capacity of the larger branch; the run binds the real shape
        s.out_sh[o] = SymShape::of(a.view.bytes() >= b.view.bytes() ? a.view.shape : b.view.shape);
      }
    }
  } else if (is_op(n, "Loop")) {
    s.kind = Step::Kind::kLoop;
    ops::InferContext ctx(n, s.opset, s.in_dt, s.in_sh, s.in_vals, s.out_dt, s.out_sh,
                          const_cast<graph::Model*>(&m_));
    s.schema->infer(ctx);
    // Loop outputs change with the trip count and carried shapes: always dynamic.
    std::fill(force_dynamic.begin(), force_dynamic.end(), 1);
  } else {
    // The kernel first: a gap it states (attribute, dtype) is the clearest error.
    choose_kernel(s, n);
    ops::InferContext ctx(n, s.opset, s.in_dt, s.in_sh, s.in_vals, s.out_dt, s.out_sh,
                          const_cast<graph::Model*>(&m_));
    s.schema->infer(ctx);
    // Append to a bound KV cache in place.
    if (is_op(n, "Concat") && ni == 2 && n.inputs[0] >= 0 &&
        slots_[n.inputs[0]].kind == SlotKind::kCache) {
      int c = slots_[n.inputs[0]].cache;
      auto& cb = (*caches_)[c];
      int axis = ops::normalize_axis(n.attr_i("axis", 0), s.in_sh[0].rank, n);
      if (cb.output == n.outputs[0] && axis == cb.axis) {
        s.kind = Step::Kind::kAppend;
        s.cache = c;
        s.append_axis = axis;
        cb.appended_in_place = true;
      }
    }
  }

  bool any_dynamic_output = false;
  for (size_t o = 0; o < no; ++o) {
    if (s.out_dt[o] == DType::kUndefined) {
      if (n.outputs[o] >= 0)
        fail(node_label(n), ": output ", o, " '", g_.values[n.outputs[o]].name,
             "' has no inferred type");
      continue;
    }
    PlanValue p;
    p.view.dtype = s.out_dt[o];
    p.sym = s.out_sh[o];
    if (!force_dynamic[o] && s.out_sh[o].fully_known()) {
      p.view.shape = s.out_sh[o].concrete();
      for (int d = 0; d < p.view.shape.rank; ++d)
        WRUN_CHECK(p.view.shape.d[d] >= 0, node_label(n), ": output ", o, " has negative dim");
      // Checked first: strides of an absurd shape would overflow.
      p.view.capacity = checked_bytes(p.view.shape, dtype_size(p.view.dtype));
      p.view.set_contiguous_strides();
    } else {
      p.dynamic = true;  // size known only at run time
      any_dynamic_output = true;
    }
    s.out_views[o] = p.view;
    if (n.outputs[o] >= 0) pv_[n.outputs[o]] = p;
  }

  // Evaluate small nodes whose inputs are known so later shapes (Reshape targets...) resolve.
  if (s.kind == Step::Kind::kKernel && !any_dynamic_output) {
    bool all_known = true, small = true;
    for (size_t i = 0; i < ni; ++i)
      if (n.inputs[i] >= 0 && !s.in_vals[i]) all_known = false;
    const bool shape_only = (is_op(n, "Shape") || is_op(n, "Size")) && !any_dynamic_input;
    for (size_t o = 0; o < no; ++o)
      if (s.out_dt[o] != DType::kUndefined && s.out_views[o].numel() > kMaxPlanTimeElements)
        small = false;
    if ((all_known || shape_only) && small) {
      std::vector<std::shared_ptr<graph::Constant>> proxies;
      std::vector<const graph::Constant*> in;
      for (size_t i = 0; i < ni; ++i) {
        int v = n.inputs[i];
        if (v < 0) {
          in.push_back(nullptr);
        } else if (known[v]) {
          in.push_back(known[v].get());
        } else {  // Shape/Size: the shape is enough
          auto c = std::make_shared<graph::Constant>();
          c->dtype = pv_[v].view.dtype;
          c->shape = pv_[v].view.shape;
          proxies.push_back(c);
          in.push_back(c.get());
        }
      }
      ops::EvalOptions eo;
      eo.opset = s.opset;
      auto outs = ops::evaluate(n, in, eo);
      for (size_t o = 0; o < no; ++o)
        if (n.outputs[o] >= 0 && outs[o]) {
          known[n.outputs[o]] = outs[o];
          pv_[n.outputs[o]].view.data = outs[o]->mutable_data();
        }
    }
  }
}

void GraphPlan::choose_kernel(Step& s, const Node& n) {
  std::vector<const TensorView*> vals(s.in_vals.begin(), s.in_vals.end());
  ops::SupportQuery q{n, s.opset, s.in_dt, s.in_sh, vals, *opts_.cpu};
  const auto& ks = s.schema->kernels;
  WRUN_CHECK(!ks.empty(), node_label(n), ": op has no kernels");
  const ops::KernelImpl* chosen = nullptr;
  if (!opts_.force_reference)
    for (size_t k = 1; k < ks.size() && !chosen; ++k)
      if (!ks[k].supports || ks[k].supports(q).empty()) chosen = &ks[k];
  if (!chosen) {
    std::string why = ks[0].supports ? ks[0].supports(q) : std::string();
    if (!why.empty()) fail(node_label(n), ": not supported: ", why);
    chosen = &ks[0];
  }
  s.kernel = chosen;
  s.alias_out0 = s.schema->alias_output0;
}

void GraphPlan::assign_memory() {
  const int nsteps = static_cast<int>(steps_.size());
  const size_t nv = g_.values.size();
  std::vector<int> last_use(nv, -1);
  for (int st = 0; st < nsteps; ++st) {
    const Node& n = g_.nodes[steps_[st].node];
    for (int in : n.inputs)
      if (in >= 0) last_use[in] = std::max(last_use[in], st);
    // Values a subgraph reads from this scope live until its node has run.
    auto mark_outer = [&](const Graph& sub) {
      for (const auto& v : sub.values)
        if (v.outer >= 0) last_use[v.outer] = std::max(last_use[v.outer], st);
    };
    for (const auto& [k, a] : n.attrs) {
      if (a.g) mark_outer(*a.g);
      for (const auto& sg : a.graphs) mark_outer(*sg);
    }
  }
  std::vector<char> is_output(nv, 0);
  for (int o : g_.outputs) {
    is_output[o] = 1;
    last_use[o] = nsteps;  // graph outputs survive the run
  }

  auto root = [&](int v) {  // the value whose memory v uses
    while (slots_[v].kind == SlotKind::kAlias) v = slots_[v].source;
    return v;
  };
  std::vector<char> pinned;  // per buffer: holds a graph output
  auto new_buffer = [&](size_t size, int first, int last) {
    BufferRequest r;
    r.size = size;
    r.first_use = first;
    r.last_use = std::max(first, last);
    buffers_.push_back(r);
    pinned.push_back(0);
    return static_cast<int>(buffers_.size()) - 1;
  };
  auto new_dynamic = [&]() {
    dyn_.emplace_back();
    return static_cast<int>(dyn_.size()) - 1;
  };

  for (int st = 0; st < nsteps; ++st) {
    Step& s = steps_[st];
    const Node& n = g_.nodes[s.node];
    bool touches_dynamic = false;
    for (int in : n.inputs) touches_dynamic |= in >= 0 && pv_[in].dynamic;
    for (int o : n.outputs) touches_dynamic |= o >= 0 && pv_[o].dynamic;
    for (size_t o = 0; o < n.outputs.size(); ++o)
      touches_dynamic |=
          n.outputs[o] < 0 && s.out_dt[o] != DType::kUndefined && !s.out_sh[o].fully_known();
    if (s.kind == Step::Kind::kKernel) {
      // Contiguous staging copies for kernels that cannot read strides.
      if (!(s.kernel->flags & ops::kStridedInputs))
        for (size_t i = 0; i < n.inputs.size(); ++i) {
          int v = n.inputs[i];
          if (v < 0 || !slots_[root(v)].maybe_strided) continue;
          s.staging[i] = pv_[v].dynamic ? kStagingGrow : new_buffer(pv_[v].view.capacity, st, st);
          if (pv_[v].dynamic) s.dyn_staging.resize(n.inputs.size());
        }
      if (s.kernel->prepare) {
        if (touches_dynamic) {
          s.lazy_prepare = true;
        } else {
          std::vector<TensorView> ins(n.inputs.size());
          for (size_t i = 0; i < n.inputs.size(); ++i) {
            if (n.inputs[i] < 0) continue;
            ins[i] = pv_[n.inputs[i]].view;
            if (slots_[n.inputs[i]].kind != SlotKind::kConstant) ins[i].data = nullptr;
          }
          ops::PrepareContext pc{n, s.opset, ins, s.out_views, *opts_.cpu, nullptr, 0};
          s.kernel->prepare(pc);
          s.state = std::move(pc.state);
          s.scratch_bytes = pc.scratch_bytes;
          if (s.scratch_bytes) s.scratch_buffer = new_buffer(s.scratch_bytes, st, st);
        }
      }
    }
    if (s.kind == Step::Kind::kIf) {
      size_t need = std::max(s.branch[0]->total_bytes(), s.branch[1]->total_bytes());
      s.branch_buffer = new_buffer(need, st, st);
    }
    for (size_t o = 0; o < n.outputs.size(); ++o) {
      int v = n.outputs[o];
      if (s.out_dt[o] == DType::kUndefined) continue;
      if (v < 0) {  // unused optional output: somewhere to write that nobody reads
        s.discard[o] = s.out_sh[o].fully_known() ? new_buffer(s.out_views[o].capacity, st, st)
                                                 : encode_dynamic(new_dynamic());
        continue;
      }
      Slot& slot = slots_[v];
      if (s.kind == Step::Kind::kAppend) {
        slot.kind = SlotKind::kCache;
        slot.cache = s.cache;
        slot.maybe_strided = true;
        continue;
      }
      if (o == 0 && s.kind == Step::Kind::kKernel && s.alias_out0 && n.inputs[0] >= 0 &&
          !slots_[root(n.inputs[0])].maybe_strided && !is_output[v]) {
        slot.kind = SlotKind::kAlias;
        slot.source = n.inputs[0];
        int r = root(v);
        if (slots_[r].kind == SlotKind::kArena)
          buffers_[slots_[r].buffer].last_use =
              std::max(buffers_[slots_[r].buffer].last_use, last_use[v]);
        continue;
      }
      if (pv_[v].dynamic) {
        slot.kind = SlotKind::kDynamic;
        slot.buffer = new_dynamic();
        continue;
      }
      const size_t bytes = s.out_views[o].capacity;
      // In place: output 0 reuses input 0's buffer when nothing reads that buffer afterwards.
      if (o == 0 && s.kind == Step::Kind::kKernel && (s.kernel->flags & ops::kInPlace0) &&
          n.inputs[0] >= 0 && !is_output[v]) {
        int r = root(n.inputs[0]);
        const Slot& rs = slots_[r];
        if (rs.kind == SlotKind::kArena && !pinned[rs.buffer] &&
            buffers_[rs.buffer].last_use == st && s.in_dt[0] == s.out_dt[0] &&
            !pv_[n.inputs[0]].dynamic && pv_[n.inputs[0]].view.capacity >= bytes) {
          slot.kind = SlotKind::kArena;
          slot.buffer = rs.buffer;
          slot.capacity = buffers_[rs.buffer].size;
          buffers_[rs.buffer].last_use = std::max(st, last_use[v]);
          continue;
        }
      }
      slot.kind = SlotKind::kArena;
      slot.buffer = new_buffer(bytes, st, last_use[v] < 0 ? st : last_use[v]);
      slot.capacity = bytes;
      if (is_output[v]) pinned[slot.buffer] = 1;
    }
  }
  arena_ = plan_arena(buffers_);
}

void GraphPlan::run(char* arena, const std::vector<Slot>* parent_slots, pthreadpool_t pool) {
  for (size_t v = 0; v < slots_.size(); ++v) {
    Slot& s = slots_[v];
    if (s.kind == SlotKind::kOuter)
      s.view = (*parent_slots)[s.source].view;
    else if (s.kind == SlotKind::kCache && g_.values[v].is_input)
      s.view = (*caches_)[s.cache].view((*caches_)[s.cache].length);
  }
  static const bool profile = std::getenv("WRUN_PROFILE") != nullptr;
  for (auto& s : steps_) {
    const auto t0 =
        profile ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    run_step(s, arena, pool);
    if (profile) profile_add(g_.nodes[s.node].op_type, std::chrono::steady_clock::now() - t0);
  }
}

void GraphPlan::run_step(Step& s, char* arena, pthreadpool_t pool) {
  switch (s.kind) {
    case Step::Kind::kKernel:
      run_kernel(s, arena, pool);
      break;
    case Step::Kind::kIf:
      run_if(s, arena, pool);
      break;
    case Step::Kind::kLoop:
      run_loop(s, arena, pool);
      break;
    case Step::Kind::kAppend:
      run_append(s);
      break;
  }
}

void GraphPlan::bind_outputs(Step& s, const Node& n, char* arena) {
  for (size_t o = 0; o < n.outputs.size(); ++o) {
    if (s.out_dt[o] == DType::kUndefined) continue;
    TensorView& ov = s.out_views[o];
    WRUN_CHECK(s.out_sh[o].fully_known(), node_label(n), ": output ", o, " shape unknown");
    ov.dtype = s.out_dt[o];
    ov.shape = s.out_sh[o].concrete();
    for (int d = 0; d < ov.shape.rank; ++d)
      WRUN_CHECK(ov.shape.d[d] >= 0, node_label(n), ": output ", o, " has negative dim");
    const size_t bytes = checked_bytes(ov.shape, dtype_size(ov.dtype));  // before the strides
    ov.set_contiguous_strides();
    const int v = n.outputs[o];
    if (v < 0) {
      if (s.discard[o] >= 0) {
        const auto& b = buffers_[s.discard[o]];
        if (bytes > b.size) throw NeedReplan{-1};
        ov.data = arena + arena_.offsets[s.discard[o]];
        ov.capacity = b.size;
      } else {
        GrowBuffer& g = dyn_[decode_dynamic(s.discard[o])];
        ov.data = g.reserve(bytes);
        ov.capacity = g.capacity();
      }
      continue;
    }
    Slot& slot = slots_[v];
    if (slot.kind == SlotKind::kAlias) {
      const TensorView& src = s.in_views[0];
      WRUN_CHECK(bytes <= src.bytes(), node_label(n), ": aliased output larger than its input");
      ov.data = src.data;
      ov.capacity = src.capacity;
    } else if (slot.kind == SlotKind::kDynamic) {
      ov.data = dyn_[slot.buffer].reserve(bytes);
      ov.capacity = dyn_[slot.buffer].capacity();
    } else {
      if (bytes > slot.capacity) throw NeedReplan{v};
      ov.data = arena + arena_.offsets[slot.buffer];
      ov.capacity = slot.capacity;
    }
    slot.view = ov;
  }
}

void GraphPlan::gather_inputs(Step& s, const Node& n, char* arena) {
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    int v = n.inputs[i];
    if (v < 0) {
      s.in_views[i] = TensorView{};
      s.in_vals[i] = nullptr;
      s.in_dt[i] = DType::kUndefined;
      continue;
    }
    s.in_views[i] = slots_[v].view;
    if (s.staging[i] != -1 && !s.in_views[i].is_contiguous()) {
      const size_t bytes = s.in_views[i].bytes();
      char* dst;
      size_t cap;
      if (s.staging[i] >= 0) {
        if (bytes > buffers_[s.staging[i]].size) throw NeedReplan{v};
        dst = arena + arena_.offsets[s.staging[i]];
        cap = buffers_[s.staging[i]].size;
      } else {  // a dynamic strided input
        GrowBuffer& g = s.dyn_staging[i];
        dst = g.reserve(bytes);
        cap = g.capacity();
      }
      ops::copy_to_contiguous(s.in_views[i], dst);
      s.in_views[i] = make_view(dst, s.in_views[i].dtype, s.in_views[i].shape, cap);
    }
    s.in_dt[i] = s.in_views[i].dtype;
    s.in_sh[i] = SymShape::of(s.in_views[i].shape);
    s.in_vals[i] = &s.in_views[i];
  }
}

void GraphPlan::run_kernel(Step& s, char* arena, pthreadpool_t pool) {
  const Node& n = g_.nodes[s.node];
  gather_inputs(s, n, arena);
  ops::InferContext ctx(n, s.opset, s.in_dt, s.in_sh, s.in_vals, s.out_dt, s.out_sh, nullptr);
  s.schema->infer(ctx);
  bind_outputs(s, n, arena);
  void* scratch = s.scratch_buffer >= 0 ? arena + arena_.offsets[s.scratch_buffer] : nullptr;
  if (s.lazy_prepare) {
    // Prepared again only when input shapes change.
    bool same = s.prepared_valid && n.inputs.size() <= 16;
    for (size_t i = 0; same && i < n.inputs.size(); ++i)
      same = s.in_views[i].shape == s.prepared[i];
    if (!same) {
      // As at plan time, prepare() sees data only for constants: other inputs change per run.
      std::vector<TensorView> ins(s.in_views);
      for (size_t i = 0; i < n.inputs.size(); ++i)
        if (n.inputs[i] >= 0 && slots_[n.inputs[i]].kind != SlotKind::kConstant)
          ins[i].data = nullptr;
      ops::PrepareContext pc{n, s.opset, ins, s.out_views, *opts_.cpu, nullptr, 0};
      s.kernel->prepare(pc);
      s.state = std::move(pc.state);
      s.scratch_bytes = pc.scratch_bytes;
      for (size_t i = 0; i < n.inputs.size() && i < 16; ++i) s.prepared[i] = s.in_views[i].shape;
      s.prepared_valid = true;
    }
    scratch = s.scratch_bytes ? s.run_scratch.reserve(s.scratch_bytes) : nullptr;
  }
  ops::RunContext rc{n,           s.opset, s.state.get(),   s.in_views,
                     s.out_views, scratch, s.scratch_bytes, pool};
  s.kernel->run(rc);
}

void GraphPlan::run_if(Step& s, char* arena, pthreadpool_t pool) {
  const Node& n = g_.nodes[s.node];
  const TensorView& cond = slots_[n.inputs[0]].view;
  WRUN_CHECK(cond.numel() >= 1, node_label(n), ": empty condition");
  const bool take_then = ops::read_scalar(cond, 0) != 0;
  GraphPlan& b = *s.branch[take_then ? 0 : 1];
  b.run(arena + arena_.offsets[s.branch_buffer], &slots_, pool);
  for (size_t o = 0; o < n.outputs.size(); ++o) {
    TensorView src = b.slots_[b.g_.outputs[o]].view;
    s.out_dt[o] = src.dtype;
    s.out_sh[o] = SymShape::of(src.shape);
  }
  bind_outputs(s, n, arena);
  for (size_t o = 0; o < n.outputs.size(); ++o)
    copy_view(b.slots_[b.g_.outputs[o]].view, s.out_views[o]);
}

void GraphPlan::run_append(Step& s) {
  const Node& n = g_.nodes[s.node];
  CacheBuffer& cb = (*caches_)[s.cache];
  const TensorView& past = slots_[n.inputs[0]].view;
  const TensorView& fresh = slots_[n.inputs[1]].view;
  WRUN_CHECK(fresh.dtype == cb.dtype && fresh.shape.rank == cb.full.rank, node_label(n),
             ": appended tensor does not match cache '", g_.values[cb.input].name, "'");
  for (int d = 0; d < cb.full.rank; ++d)
    if (d != s.append_axis)
      WRUN_CHECK(fresh.shape.d[d] == cb.full.d[d], node_label(n), ": appended dim ", d, " is ",
                 fresh.shape.d[d], ", cache has ", cb.full.d[d]);
  const int64_t len = past.shape.d[s.append_axis];
  const int64_t total = len + fresh.shape.d[s.append_axis];
  WRUN_CHECK(total <= cb.max_len, "cache '", g_.values[cb.input].name, "' is full: ", total,
             " entries exceed its maximum ", cb.max_len);
  TensorView dst = cb.view(total);
  TensorView window = dst;  // the part being written
  window.shape = fresh.shape;
  window.data = static_cast<char*>(dst.data) +
                len * dst.strides[s.append_axis] * static_cast<int64_t>(dtype_size(cb.dtype));
  copy_view(fresh, window);
  slots_[n.outputs[0]].view = dst;
  s.out_views[0] = dst;
}

void GraphPlan::run_loop(Step& s, char* arena, pthreadpool_t pool) {
  const Node& n = g_.nodes[s.node];
  const Graph& body = *n.attr("body")->g;
  const size_t ni = n.inputs.size();
  WRUN_CHECK(ni >= 2, node_label(n), ": expects inputs M and cond");
  const size_t carried_n = ni - 2;
  WRUN_CHECK(body.inputs.size() == carried_n + 2 && body.outputs.size() >= carried_n + 1,
             node_label(n), ": body has ", body.inputs.size(), " inputs and ", body.outputs.size(),
             " outputs for ", carried_n, " loop-carried values");
  const size_t scan_n = body.outputs.size() - 1 - carried_n;
  WRUN_CHECK(n.outputs.size() == carried_n + scan_n, node_label(n), ": expects ",
             carried_n + scan_n, " outputs");

  int64_t max_trip = INT64_MAX;
  if (ni > 0 && n.inputs[0] >= 0) max_trip = ops::read_int(slots_[n.inputs[0]].view, 0);
  bool cond = true;
  if (n.inputs[1] >= 0) cond = ops::read_scalar(slots_[n.inputs[1]].view, 0) != 0;

  std::vector<TensorView> cur(carried_n);
  for (size_t k = 0; k < carried_n; ++k) {
    WRUN_CHECK(n.inputs[2 + k] >= 0, node_label(n), ": loop-carried input ", k, " is missing");
    cur[k] = slots_[n.inputs[2 + k]].view;
  }
  s.carried.resize(2 * carried_n);
  std::vector<std::vector<uint8_t>> scans(scan_n);
  std::vector<TensorView> scan_elem(scan_n);

  // The body's iteration number and condition have the rank its inputs declare ([] or [1]).
  int64_t iter = 0;
  uint8_t cond_in = 1;
  auto body_input = [&](int i, void* data, DType dt) {
    const auto& decl = body.values[body.inputs[i]].shape;
    Shape sh;
    if (decl.rank == 1) sh.push(1);
    return make_view(data, dt, sh);
  };
  std::vector<TensorView> in(carried_n + 2);
  std::vector<Shape> planned;
  auto plan_body = [&] {
    // The body sees this graph's values as they are now (run time), so shapes that depend on
    // small outer values plan exactly.
    s.body_parent.assign(slots_.size(), PlanValue{});
    for (size_t v = 0; v < slots_.size(); ++v) {
      s.body_parent[v].view = slots_[v].view;
      s.body_parent[v].sym = SymShape::of(slots_[v].view.shape);
    }
    s.body = std::make_unique<GraphPlan>(m_, body, nullptr, &s.body_parent, opts_);
    s.body->build(in);
    s.body_arena.reserve(s.body->total_bytes());
    planned.clear();
    for (const auto& v : in) planned.push_back(v.shape);
  };

  for (; iter < max_trip && cond; ++iter) {
    in[0] = body_input(0, &iter, DType::kI64);
    in[1] = body_input(1, &cond_in, DType::kBool);
    for (size_t k = 0; k < carried_n; ++k) in[2 + k] = cur[k];
    bool replan = !s.body || planned.size() != in.size();
    for (size_t i = 0; !replan && i < in.size(); ++i) replan = !(planned[i] == in[i].shape);
    if (replan) plan_body();
    for (size_t i = 0; i < in.size(); ++i) s.body->bind_input(static_cast<int>(i), in[i]);
    try {
      s.body->run(s.body_arena.data(), &slots_, pool);
    } catch (const NeedReplan&) {
      plan_body();
      for (size_t i = 0; i < in.size(); ++i) s.body->bind_input(static_cast<int>(i), in[i]);
      s.body->run(s.body_arena.data(), &slots_, pool);
    }
    const auto& bs = s.body->slots_;
    cond = ops::read_scalar(bs[body.outputs[0]].view, 0) != 0;
    cond_in = cond;
    for (size_t k = 0; k < carried_n; ++k) {
      const TensorView& out = bs[body.outputs[1 + k]].view;
      GrowBuffer& g = s.carried[2 * k + (iter & 1)];
      char* dst = g.reserve(out.bytes());
      ops::copy_to_contiguous(out, dst);
      cur[k] = make_view(dst, out.dtype, out.shape, g.capacity());
    }
    for (size_t j = 0; j < scan_n; ++j) {
      const TensorView& out = bs[body.outputs[1 + carried_n + j]].view;
      if (iter == 0) scan_elem[j] = out;
      WRUN_CHECK(out.dtype == scan_elem[j].dtype && out.shape == scan_elem[j].shape, node_label(n),
                 ": scan output ", j, " changes shape between iterations");
      const size_t used = scans[j].size();
      scans[j].resize(used + out.bytes());
      ops::copy_to_contiguous(out, scans[j].data() + used);
    }
  }

  for (size_t k = 0; k < carried_n; ++k) {
    s.out_dt[k] = cur[k].dtype;
    s.out_sh[k] = SymShape::of(cur[k].shape);
  }
  for (size_t j = 0; j < scan_n; ++j) {
    const size_t o = carried_n + j;
    SymShape sh;
    sh.push(Dim::known(iter));
    if (iter > 0) {
      for (int d = 0; d < scan_elem[j].shape.rank; ++d)
        sh.push(Dim::known(scan_elem[j].shape.d[d]));
    } else {  // no iteration: the declared per-iteration shape where known
      const auto& decl = body.values[body.outputs[1 + carried_n + j]];
      if (decl.shape.fully_known())
        for (int d = 0; d < decl.shape.rank; ++d) sh.push(decl.shape.d[d]);
      s.out_dt[o] = decl.dtype;
    }
    if (iter > 0) s.out_dt[o] = scan_elem[j].dtype;
    s.out_sh[o] = sh;
  }
  bind_outputs(s, n, arena);
  for (size_t k = 0; k < carried_n; ++k)
    if (s.out_views[k].data) copy_view(cur[k], s.out_views[k]);
  for (size_t j = 0; j < scan_n; ++j)
    if (!scans[j].empty())
      std::memcpy(s.out_views[carried_n + j].data, scans[j].data(), scans[j].size());
}

}  // namespace wrun::runtime
