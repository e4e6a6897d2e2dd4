#include "runtime/executor.h"

#include <algorithm>
#include <climits>
#include <cstring>

#include "ops/common.h"
#include "ops/evaluate.h"
#include "ops/registry.h"

namespace wrun::runtime {

using graph::Graph;
using graph::Node;

namespace {

std::string node_label(const Node& n) { return n.op_type + " '" + n.name + "'"; }

constexpr int64_t kMaxPlanTimeElements = 4096;     // small tensors are evaluated while planning
constexpr int64_t kMaxPlanTimeInputElements = 64;  // inputs small enough to be shape-like

Shape full_strides_shape(const Shape& s) { return s; }

}  // namespace

TensorView CacheBuffer::view(int64_t len) const {
  TensorView v = make_view(memory.get(), dtype, full_strides_shape(full));
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
                     const std::vector<TensorView>* parent_views, const PlanOptions& opts)
    : m_(m), g_(g), caches_(caches), parent_views_(parent_views), opts_(opts) {}

GraphPlan::~GraphPlan() = default;

void GraphPlan::bind_input(int input_index, const TensorView& v) {
  slots_[g_.inputs[input_index]].view = v;
}

void GraphPlan::build(const std::vector<TensorView>& inputs) {
  const size_t nv = g_.values.size();
  slots_.assign(nv, Slot{});
  plan_views_.assign(nv, TensorView{});
  steps_.clear();
  buffers_.clear();
  // Plan-time values: constants and small tensors computed from shapes.
  std::vector<std::shared_ptr<graph::Constant>> plan_values(nv);

  for (size_t v = 0; v < nv; ++v) {
    const auto& val = g_.values[v];
    Slot& s = slots_[v];
    if (val.constant) {
      s.kind = SlotKind::kConstant;
      s.view = val.constant->view();
      plan_views_[v] = s.view;
      plan_values[v] = val.constant;
    } else if (val.outer >= 0) {
      WRUN_CHECK(parent_views_, "value '", val.name, "' refers to an outer scope that is missing");
      s.kind = SlotKind::kOuter;
      s.source = val.outer;
      s.maybe_strided = true;
      plan_views_[v] = (*parent_views_)[val.outer];
      if (plan_views_[v].data) {  // known in the parent at plan time
        auto c = std::make_shared<graph::Constant>();
        c->dtype = plan_views_[v].dtype;
        c->shape = plan_views_[v].shape;
        c->data = plan_views_[v].data;
        c->nbytes = plan_views_[v].bytes();
        if (plan_views_[v].is_contiguous()) plan_values[v] = c;
      }
    }
  }
  WRUN_CHECK(inputs.size() == g_.inputs.size(), "internal: input count mismatch");
  for (size_t i = 0; i < inputs.size(); ++i) {
    int v = g_.inputs[i];
    slots_[v].kind = SlotKind::kInput;
    plan_views_[v] = inputs[i];
    plan_views_[v].data = nullptr;
    // Small integer inputs given with data (the first run's actual values) act as plan-time
    // values, so shapes that depend on them (axes, sizes given as inputs) can be planned.
    if (inputs[i].data && inputs[i].dtype != DType::kString && inputs[i].is_contiguous() &&
        inputs[i].numel() <= kMaxPlanTimeInputElements)
      plan_values[v] = graph::Constant::copy_of(inputs[i].dtype, inputs[i].shape, inputs[i].data);
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
  for (size_t n = 0; n < g_.nodes.size(); ++n) plan_step_shapes(n, plan_values);
  assign_memory();
}

void GraphPlan::plan_step_shapes(size_t n_idx,
                                 std::vector<std::shared_ptr<graph::Constant>>& plan_values) {
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

  std::vector<TensorView> known(ni);
  for (size_t i = 0; i < ni; ++i) {
    int v = n.inputs[i];
    if (v < 0) continue;
    const TensorView& pv = plan_views_[v];
    WRUN_CHECK(pv.dtype != DType::kUndefined, node_label(n), " input ", i, " '", g_.values[v].name,
               "' has no type at planning time");
    s.in_dt[i] = pv.dtype;
    s.in_sh[i] = SymShape::of(pv.shape);
    if (plan_values[v]) {
      known[i] = plan_values[v]->view();
      s.in_vals[i] = &known[i];
    }
  }

  s.schema = ops::Registry::builtin().find(n.domain, n.op_type, s.opset);
  if (!s.schema)
    fail(node_label(n), ": op ", n.domain.empty() ? "" : n.domain + ".", n.op_type,
         " is not supported at opset ", s.opset);

  if (n.domain.empty() && n.op_type == "If") {
    s.kind = Step::Kind::kIf;
    const auto* then_g = n.attr("then_branch");
    const auto* else_g = n.attr("else_branch");
    WRUN_CHECK(then_g && then_g->g && else_g && else_g->g, node_label(n), ": missing branch");
    const Graph* branches[2] = {then_g->g.get(), else_g->g.get()};
    for (int b = 0; b < 2; ++b) {
      s.branch[b] = std::make_unique<GraphPlan>(m_, *branches[b], nullptr, &plan_views_, opts_);
      s.branch[b]->build({});
      WRUN_CHECK(branches[b]->outputs.size() == no, node_label(n),
                 ": branch output count differs from the node's");
    }
    for (size_t o = 0; o < no; ++o) {
      const TensorView& a = s.branch[0]->plan_views()[branches[0]->outputs[o]];
      const TensorView& b = s.branch[1]->plan_views()[branches[1]->outputs[o]];
      s.out_dt[o] = a.dtype;
      // Capacity: the larger of the branches (the run binds the real shape).
      TensorView big = a.bytes() >= b.bytes() ? a : b;
      s.out_sh[o] = SymShape::of(big.shape);
    }
  } else {
    // The kernel first: a gap it states (attribute, dtype) is the clearest error.
    choose_kernel(s, n);
    ops::InferContext ctx(n, s.opset, s.in_dt, s.in_sh, s.in_vals, s.out_dt, s.out_sh,
                          const_cast<graph::Model*>(&m_));
    s.schema->infer(ctx);
    // Append to a bound KV cache in place.
    if (n.domain.empty() && n.op_type == "Concat" && ni == 2 && n.inputs[0] >= 0 &&
        slots_[n.inputs[0]].kind == SlotKind::kCache) {
      int c = slots_[n.inputs[0]].cache;
      auto& cb = (*caches_)[c];
      int rank = s.in_sh[0].rank;
      int axis = ops::normalize_axis(n.attr_i("axis", 0), rank, n);
      if (cb.output == n.outputs[0] && axis == cb.axis) {
        s.kind = Step::Kind::kAppend;
        s.cache = c;
        s.append_axis = axis;
        cb.appended_in_place = true;
      }
    }
  }

  for (size_t o = 0; o < no; ++o) {
    if (s.out_dt[o] == DType::kUndefined) {
      if (n.outputs[o] >= 0)
        fail(node_label(n), ": output ", o, " '", g_.values[n.outputs[o]].name,
             "' has no inferred type");
      continue;
    }
    if (!s.out_sh[o].fully_known())
      fail(node_label(n), ": shape of output ", o, " depends on data unknown at planning time ",
           "(bound the model's symbolic dims)");
    TensorView pv;
    pv.dtype = s.out_dt[o];
    pv.shape = s.out_sh[o].concrete();
    for (int d = 0; d < pv.shape.rank; ++d)
      WRUN_CHECK(pv.shape.d[d] >= 0, node_label(n), ": output ", o, " has negative dim");
    pv.set_contiguous_strides();
    pv.capacity = checked_bytes(pv.shape, dtype_size(pv.dtype));
    s.out_views[o] = pv;
    if (n.outputs[o] >= 0) plan_views_[n.outputs[o]] = pv;
  }

  // Evaluate small nodes whose inputs are known so later shapes (Reshape targets...) resolve.
  if (s.kind == Step::Kind::kKernel) {
    bool all_known = true, small = true;
    for (size_t i = 0; i < ni; ++i)
      if (n.inputs[i] >= 0 && !s.in_vals[i]) all_known = false;
    const bool shape_only = n.domain.empty() && (n.op_type == "Shape" || n.op_type == "Size");
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
        } else if (plan_values[v]) {
          in.push_back(plan_values[v].get());
        } else {  // Shape/Size: the shape is enough
          auto c = std::make_shared<graph::Constant>();
          c->dtype = plan_views_[v].dtype;
          c->shape = plan_views_[v].shape;
          proxies.push_back(c);
          in.push_back(c.get());
        }
      }
      ops::EvalOptions eo;
      eo.opset = s.opset;
      auto outs = ops::evaluate(n, in, eo);
      for (size_t o = 0; o < no; ++o)
        if (n.outputs[o] >= 0 && outs[o]) plan_values[n.outputs[o]] = outs[o];
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
  std::vector<int> last_use(nv, -1), first_use(nv, -1);
  auto mark_outer = [&](const Graph& sub, int step, auto&& self) -> void {
    for (const auto& v : sub.values)
      if (v.outer >= 0) last_use[v.outer] = std::max(last_use[v.outer], step);
    (void)self;
  };
  for (int st = 0; st < nsteps; ++st) {
    const Node& n = g_.nodes[steps_[st].node];
    for (int in : n.inputs)
      if (in >= 0) last_use[in] = std::max(last_use[in], st);
    for (int o : n.outputs)
      if (o >= 0) first_use[o] = st;
    for (const auto& [k, a] : n.attrs) {
      if (a.g) mark_outer(*a.g, st, mark_outer);
      for (const auto& sg : a.graphs) mark_outer(*sg, st, mark_outer);
    }
  }
  std::vector<char> is_output(nv, 0);
  for (int o : g_.outputs) {
    is_output[o] = 1;
    last_use[o] = nsteps;  // graph outputs survive the run
  }

  // Root value whose memory v uses (follows aliases).
  auto root = [&](int v) {
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

  for (int st = 0; st < nsteps; ++st) {
    Step& s = steps_[st];
    const Node& n = g_.nodes[s.node];
    // Contiguous staging copies for kernels that cannot read strides.
    if (s.kind == Step::Kind::kKernel && !(s.kernel->flags & ops::kStridedInputs))
      for (size_t i = 0; i < n.inputs.size(); ++i) {
        int v = n.inputs[i];
        if (v >= 0 && slots_[root(v)].maybe_strided)
          s.staging[i] = new_buffer(plan_views_[v].capacity, st, st);
      }
    if (s.kind == Step::Kind::kKernel && s.kernel->prepare) {
      std::vector<TensorView> ins(s.in_views.size());
      for (size_t i = 0; i < n.inputs.size(); ++i) {
        if (n.inputs[i] < 0) continue;
        ins[i] = plan_views_[n.inputs[i]];
        if (slots_[n.inputs[i]].kind != SlotKind::kConstant) ins[i].data = nullptr;
      }
      ops::PrepareContext pc{n, s.opset, ins, s.out_views, *opts_.cpu, nullptr, 0};
      s.kernel->prepare(pc);
      s.state = std::move(pc.state);
      s.scratch_bytes = pc.scratch_bytes;
      if (s.scratch_bytes) s.scratch_buffer = new_buffer(s.scratch_bytes, st, st);
    }
    if (s.kind == Step::Kind::kIf) {
      size_t need = std::max(s.branch[0]->total_bytes(), s.branch[1]->total_bytes());
      s.branch_buffer = new_buffer(need, st, st);
    }
    for (size_t o = 0; o < n.outputs.size(); ++o) {
      int v = n.outputs[o];
      if (s.out_dt[o] == DType::kUndefined) continue;
      const size_t bytes = s.out_views[o].capacity;
      if (v < 0) {  // unused optional output: somewhere to write that nobody reads
        s.discard[o] = new_buffer(bytes, st, st);
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
      // In place: output 0 reuses input 0's buffer when nothing reads that buffer afterwards.
      if (o == 0 && s.kind == Step::Kind::kKernel && (s.kernel->flags & ops::kInPlace0) &&
          n.inputs[0] >= 0 && !is_output[v]) {
        int r = root(n.inputs[0]);
        const Slot& rs = slots_[r];
        if (rs.kind == SlotKind::kArena && !pinned[rs.buffer] &&
            buffers_[rs.buffer].last_use == st && s.in_dt[0] == s.out_dt[0] &&
            plan_views_[n.inputs[0]].capacity >= bytes) {
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
  (void)first_use;
  arena_ = plan_arena(buffers_);
}

const TensorView& GraphPlan::resolve(int v, const std::vector<Slot>* parent_slots) const {
  (void)parent_slots;
  return slots_[v].view;
}

void GraphPlan::run(char* arena, const std::vector<Slot>* parent_slots, pthreadpool_t pool) {
  parent_slots_ = parent_slots;
  for (size_t v = 0; v < slots_.size(); ++v) {
    Slot& s = slots_[v];
    if (s.kind == SlotKind::kOuter)
      s.view = (*parent_slots)[s.source].view;
    else if (s.kind == SlotKind::kCache && g_.values[v].is_input)
      s.view = (*caches_)[s.cache].view((*caches_)[s.cache].length);
  }
  for (auto& s : steps_) {
    switch (s.kind) {
      case Step::Kind::kKernel:
        run_kernel(s, arena, pool);
        break;
      case Step::Kind::kIf:
        run_if(s, arena, pool);
        break;
      case Step::Kind::kAppend:
        run_append(s);
        break;
    }
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
    ov.set_contiguous_strides();
    const size_t bytes = checked_bytes(ov.shape, dtype_size(ov.dtype));
    const int v = n.outputs[o];
    if (v < 0) {
      const auto& b = buffers_[s.discard[o]];
      if (bytes > b.size) throw NeedReplan{-1};
      ov.data = arena + arena_.offsets[s.discard[o]];
      ov.capacity = b.size;
      continue;
    }
    Slot& slot = slots_[v];
    if (slot.kind == SlotKind::kAlias) {
      const TensorView& src = s.in_views[0];
      WRUN_CHECK(bytes <= src.bytes(), node_label(n), ": aliased output larger than its input");
      ov.data = src.data;
      ov.capacity = src.capacity;
    } else {
      if (bytes > slot.capacity) throw NeedReplan{v};
      ov.data = arena + arena_.offsets[slot.buffer];
      ov.capacity = slot.capacity;
    }
    slot.view = ov;
  }
}

void GraphPlan::run_kernel(Step& s, char* arena, pthreadpool_t pool) {
  const Node& n = g_.nodes[s.node];
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    int v = n.inputs[i];
    if (v < 0) {
      s.in_views[i] = TensorView{};
      s.in_vals[i] = nullptr;
      s.in_dt[i] = DType::kUndefined;
      continue;
    }
    s.in_views[i] = slots_[v].view;
    if (s.staging[i] >= 0 && !s.in_views[i].is_contiguous()) {
      const size_t bytes = s.in_views[i].bytes();
      if (bytes > buffers_[s.staging[i]].size) throw NeedReplan{v};
      char* dst = arena + arena_.offsets[s.staging[i]];
      ops::copy_to_contiguous(s.in_views[i], dst);
      s.in_views[i] =
          make_view(dst, s.in_views[i].dtype, s.in_views[i].shape, buffers_[s.staging[i]].size);
    }
    s.in_dt[i] = s.in_views[i].dtype;
    s.in_sh[i] = SymShape::of(s.in_views[i].shape);
    s.in_vals[i] = &s.in_views[i];
  }
  ops::InferContext ctx(n, s.opset, s.in_dt, s.in_sh, s.in_vals, s.out_dt, s.out_sh, nullptr);
  s.schema->infer(ctx);
  bind_outputs(s, n, arena);
  ops::RunContext rc{n,
                     s.opset,
                     s.state.get(),
                     s.in_views,
                     s.out_views,
                     s.scratch_buffer >= 0 ? arena + arena_.offsets[s.scratch_buffer] : nullptr,
                     s.scratch_bytes,
                     pool};
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

}  // namespace wrun::runtime
