#include "runtime/session.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <tuple>

#include "arch/cpu_features.h"
#include "graph/mapped_file.h"
#include "graph/onnx_loader.h"
#include "graph/passes.h"
#include "graph/widen_fp16.h"
#include "ops/registry.h"
#include "runtime/executor.h"
#include "runtime/optimize.h"

namespace wrun {

using runtime::CacheBuffer;
using runtime::GraphPlan;

// ---- Model ----------------------------------------------------------------------------------

// Replaces constants of `ir` equal to constants of `other` by those, and gives the pages of
// the replaced bytes back to the kernel (they stay mapped and are re-read only if touched).
static size_t share_weights(graph::Model& ir, const graph::Model& other) {
  std::multimap<std::tuple<int, size_t, uint64_t>, std::shared_ptr<graph::Constant>> pool;
  auto key = [](const graph::Constant& c) {
    uint64_t h = 1469598103934665603ull;  // FNV-1a over a 64-byte sample: cheap pre-filter
    const auto* p = static_cast<const unsigned char*>(c.data);
    for (size_t i = 0; i < std::min<size_t>(c.nbytes, 64); ++i) h = (h ^ p[i]) * 1099511628211ull;
    return std::make_tuple(static_cast<int>(c.dtype), c.nbytes, h);
  };
  for (const auto& v : other.graph->values)
    if (v.constant && v.constant->nbytes >= 4096) pool.emplace(key(*v.constant), v.constant);
  size_t shared = 0;
  const long page = sysconf(_SC_PAGE_SIZE);
  for (auto& v : ir.graph->values) {
    if (!v.constant || v.constant->nbytes < 4096) continue;
    auto [a, b] = pool.equal_range(key(*v.constant));
    for (auto it = a; it != b; ++it) {
      const auto& c = *it->second;
      if (!(c.shape == v.constant->shape) || std::memcmp(c.data, v.constant->data, c.nbytes) != 0)
        continue;
      if (graph::MappedFile::of(v.constant->owner) && page > 0) {
        auto lo = (reinterpret_cast<uintptr_t>(v.constant->data) + page - 1) / page * page;
        auto hi =
            (reinterpret_cast<uintptr_t>(v.constant->data) + v.constant->nbytes) / page * page;
        if (hi > lo) madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_DONTNEED);
      }
      v.constant = it->second;
      shared += c.nbytes;
      break;
    }
  }
  return shared;
}

static std::shared_ptr<const Model> finish_load(std::shared_ptr<graph::Model> ir,
                                                const ModelOptions& o) {
  // Widened first, so that the widened weights of two files are shared like any others.
  if (o.widen_fp16) graph::widen_fp16(*ir);
  if (o.share_weights_with) share_weights(*ir, o.share_weights_with->ir());
  if (o.optimize)
    runtime::optimize(*ir);
  else
    runtime::infer_shapes(*ir, *ir->graph);
  return std::make_shared<const Model>(std::move(ir));
}

std::shared_ptr<const Model> Model::load(const std::string& path, const ModelOptions& o) {
  graph::LoadLimits lim;
  lim.max_bytes = o.max_bytes;
  return finish_load(graph::load_onnx_file(path, lim), o);
}

std::shared_ptr<const Model> Model::load_bytes(std::string_view bytes, const ModelOptions& o) {
  graph::LoadLimits lim;
  lim.max_bytes = o.max_bytes;
  return finish_load(graph::load_onnx_bytes(bytes, {}, lim), o);
}

std::shared_ptr<const Model> Model::specialize(
    const std::vector<std::pair<std::string, std::shared_ptr<graph::Constant>>>& fixed) const {
  auto ir = std::make_shared<graph::Model>(*ir_);
  ir->graph = graph::clone_graph(*ir_->graph);
  graph::Graph& g = *ir->graph;
  for (const auto& [name, value] : fixed) {
    auto it = std::find_if(g.inputs.begin(), g.inputs.end(),
                           // clang 14 (the fuzz build) cannot capture a structured binding.
                           [&g, &n = name](int v) { return g.values[v].name == n; });
    if (it == g.inputs.end()) fail("specialize: the model has no input named '", name, "'");
    graph::Value& v = g.values[*it];
    if (value->dtype != v.dtype)
      fail("specialize: input '", name, "' is ", dtype_name(v.dtype), ", the value is ",
           dtype_name(value->dtype));
    v.constant = value;
    v.is_input = false;
    v.shape = SymShape::of(value->shape);
    g.inputs.erase(it);
  }
  // Fold first, so a condition computed from the fixed inputs becomes a constant too.
  runtime::optimize(*ir);
  if (graph::inline_constant_ifs(*ir->graph) > 0) runtime::optimize(*ir);
  return std::make_shared<const Model>(std::move(ir));
}

static ValueInfo info_of(const graph::Value& v) { return ValueInfo{v.name, v.dtype, v.shape}; }

std::vector<ValueInfo> Model::inputs() const {
  std::vector<ValueInfo> r;
  for (int i : ir_->graph->inputs) r.push_back(info_of(ir_->graph->values[i]));
  return r;
}

std::vector<ValueInfo> Model::outputs() const {
  std::vector<ValueInfo> r;
  for (int i : ir_->graph->outputs) r.push_back(info_of(ir_->graph->values[i]));
  return r;
}

static void collect_weights(const graph::Graph& g, std::set<const void*>& seen, size_t& total) {
  for (const auto& v : g.values)
    if (v.constant && v.constant->nbytes && seen.insert(v.constant->data).second)
      total += v.constant->nbytes;
  for (const auto& n : g.nodes)
    for (const auto& [k, a] : n.attrs) {
      if (a.g) collect_weights(*a.g, seen, total);
      for (const auto& sg : a.graphs) collect_weights(*sg, seen, total);
    }
}

size_t Model::weight_bytes() const {
  std::set<const void*> seen;
  size_t total = 0;
  collect_weights(*ir_->graph, seen, total);
  return total;
}

// ---- Session --------------------------------------------------------------------------------

struct Session::Impl {
  std::shared_ptr<const Model> model;
  SessionOptions opts;
  runtime::PlanOptions plan_opts;
  std::vector<CacheBuffer> caches;
  std::unique_ptr<GraphPlan> plan;
  std::unique_ptr<char, void (*)(void*)> arena{nullptr, std::free};
  size_t arena_size = 0;
  pthreadpool_t pool = nullptr;
  std::vector<TensorView> inputs;  // per graph input
  std::vector<char> input_set;
  std::vector<Shape> planned;  // input shapes of the current plan
  std::map<std::string, int, std::less<>> input_index, output_value;
  PlanStats stats;

  const graph::Graph& g() const { return *model->ir().graph; }
  void make_caches();
  void make_plan(const std::vector<Shape>& shapes);
  void finish_caches();
  int cache_of_input(std::string_view name) const;
};

static size_t physical_memory() {
  long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && size > 0 ? static_cast<size_t>(pages) * static_cast<size_t>(size) : 0;
}

Session::Session(std::shared_ptr<const Model> model, const SessionOptions& opts)
    : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  WRUN_CHECK(model, "no model");
  s.model = std::move(model);
  s.opts = opts;
  if (!s.opts.max_memory) s.opts.max_memory = physical_memory();
  s.plan_opts.force_reference = opts.force_reference;
  s.plan_opts.cpu = &arch::cpu_features();
  const auto unsupported = runtime::unsupported_ops(s.model->ir());
  if (!unsupported.empty()) {
    std::string list;
    for (const auto& u : unsupported) list += (list.empty() ? "" : ", ") + u;
    fail("unsupported ops: ", list);
  }
  const auto& g = s.g();
  s.inputs.assign(g.inputs.size(), TensorView{});
  s.input_set.assign(g.inputs.size(), 0);
  for (size_t i = 0; i < g.inputs.size(); ++i) s.input_index[g.values[g.inputs[i]].name] = i;
  for (int o : g.outputs) s.output_value[g.values[o].name] = o;
  s.make_caches();
  if (opts.threads > 1) {
    s.pool = pthreadpool_create(static_cast<size_t>(opts.threads));
    WRUN_CHECK(s.pool, "cannot create a thread pool of ", opts.threads, " threads");
  }
  s.stats.weight_bytes = s.model->weight_bytes();
}

Session::~Session() {
  if (impl_ && impl_->pool) pthreadpool_destroy(impl_->pool);
}

void Session::Impl::make_caches() {
  const auto& gr = g();
  const auto& m = model->ir();
  for (const auto& cb : opts.caches) {
    auto in = input_index.find(cb.input);
    WRUN_CHECK(in != input_index.end(), "cache binding: no input named '", cb.input, "'");
    auto out = output_value.find(cb.output);
    WRUN_CHECK(out != output_value.end(), "cache binding: no output named '", cb.output, "'");
    WRUN_CHECK(cb.max_len > 0, "cache binding '", cb.input, "': max_len must be positive");
    CacheBuffer c;
    c.input = gr.inputs[in->second];
    c.output = out->second;
    const auto& v = gr.values[c.input];
    WRUN_CHECK(v.shape.rank_known(), "cache input '", v.name, "' has unknown rank");
    c.axis = cb.axis < 0 ? cb.axis + v.shape.rank : cb.axis;
    WRUN_CHECK(c.axis >= 0 && c.axis < v.shape.rank, "cache '", v.name, "': axis out of range");
    c.max_len = cb.max_len;
    c.dtype = v.dtype;
    c.full.rank = v.shape.rank;
    for (int d = 0; d < v.shape.rank; ++d) {
      if (d == c.axis) {
        c.full.d[d] = cb.max_len;
      } else if (v.shape.d[d].is_known()) {
        c.full.d[d] = v.shape.d[d].value;
      } else {
        auto b = opts.dim_bounds.find(m.dim_str(v.shape.d[d]));
        WRUN_CHECK(b != opts.dim_bounds.end(), "cache input '", v.name, "': bound dim '",
                   m.dim_str(v.shape.d[d]), "' (e.g. --shape or dim_bounds)");
        c.full.d[d] = b->second;
      }
    }
    const size_t bytes = checked_bytes(c.full, dtype_size(c.dtype));
    void* mem = std::aligned_alloc(64, (bytes + 63) / 64 * 64 + 64);
    WRUN_CHECK(mem, "out of memory for cache '", v.name, "' (", bytes, " bytes)");
    c.memory = std::shared_ptr<void>(mem, std::free);
    caches.push_back(std::move(c));
  }
}

int Session::Impl::cache_of_input(std::string_view name) const {
  for (size_t c = 0; c < caches.size(); ++c)
    if (g().values[caches[c].input].name == name) return static_cast<int>(c);
  return -1;
}

void Session::Impl::make_plan(const std::vector<Shape>& shapes) {
  const auto& gr = g();
  std::vector<TensorView> bound(gr.inputs.size());
  for (size_t i = 0; i < gr.inputs.size(); ++i) {
    const auto& v = gr.values[gr.inputs[i]];
    bound[i].dtype = v.dtype;
    bound[i].shape = shapes[i];
    // Checked first: strides of an absurd (bound) shape would overflow.
    checked_bytes(bound[i].shape, dtype_size(bound[i].dtype));
    bound[i].set_contiguous_strides();
    // The actual values of inputs whose shape is planned exactly help plan data-dependent
    // shapes; a later run whose values need more room re-plans.
    if (i < input_set.size() && input_set[i] && inputs[i].shape == shapes[i])
      bound[i].data = inputs[i].data;
  }
  auto p = std::make_unique<GraphPlan>(model->ir(), gr, &caches, nullptr, plan_opts);
  p->build(bound);
  size_t cache_bytes = 0;
  for (const auto& c : caches) cache_bytes += checked_bytes(c.full, dtype_size(c.dtype));
  const size_t need = checked_add(p->total_bytes(), cache_bytes);
  if (need > opts.max_memory)
    fail("the plan needs ", need, " bytes (arena ", p->total_bytes(), " + caches ", cache_bytes,
         "), over the memory limit of ", opts.max_memory, " bytes");
  if (p->total_bytes() + 64 > arena_size) {
    arena.reset(static_cast<char*>(std::aligned_alloc(64, (p->total_bytes() + 64 + 63) / 64 * 64)));
    WRUN_CHECK(arena, "out of memory for a ", p->total_bytes(), "-byte arena");
    arena_size = p->total_bytes() + 64;
  }
  stats.arena_bytes = p->total_bytes();
  stats.lower_bound = p->lower_bound();
  stats.steps = static_cast<int>(p->steps().size());
  if (plan) ++stats.replans;
  plan = std::move(p);
  planned = shapes;
}

void Session::set_input(std::string_view name, const TensorView& value) {
  Impl& s = *impl_;
  auto it = s.input_index.find(name);
  if (it == s.input_index.end()) fail("the model has no input named '", name, "'");
  WRUN_CHECK(s.cache_of_input(name) < 0, "input '", name,
             "' is a bound cache: the session feeds it");
  const auto& v = s.g().values[s.g().inputs[it->second]];
  if (value.dtype != v.dtype)
    fail("input '", name, "': dtype ", dtype_name(value.dtype), ", the model expects ",
         dtype_name(v.dtype));
  if (v.shape.rank_known()) {
    if (value.shape.rank != v.shape.rank)
      fail("input '", name, "': rank ", value.shape.rank, ", the model expects ", v.shape.rank, " ",
           s.model->ir().shape_str(v.shape));
    for (int d = 0; d < v.shape.rank; ++d)
      if (v.shape.d[d].is_known() && v.shape.d[d].value != value.shape.d[d])
        fail("input '", name, "': shape ", value.shape.str(), ", the model expects ",
             s.model->ir().shape_str(v.shape));
  }
  for (int d = 0; d < value.shape.rank; ++d)
    WRUN_CHECK(value.shape.d[d] >= 0, "input '", name, "': negative dim");
  WRUN_CHECK(value.data || value.numel() == 0, "input '", name, "': no data");
  s.inputs[it->second] = value;
  s.input_set[it->second] = 1;
}

void Session::run() {
  Impl& s = *impl_;
  const auto& g = s.g();
  const size_t ni = g.inputs.size();
  // Current shapes; caches plan at their maximum less one appended entry.
  Shape cur[64];
  std::vector<Shape> heap_cur;  // only for models with very many inputs
  Shape* shapes = cur;
  if (ni > 64) {
    heap_cur.resize(ni);
    shapes = heap_cur.data();
  }
  for (size_t i = 0; i < ni; ++i) {
    int c = s.cache_of_input(g.values[g.inputs[i]].name);
    if (c >= 0) {
      const auto& cb = s.caches[c];
      shapes[i] = cb.full;
      shapes[i].d[cb.axis] = std::max<int64_t>(cb.length, cb.max_len - 1);
      continue;
    }
    if (!s.input_set[i]) fail("input '", g.values[g.inputs[i]].name, "' was not set");
    shapes[i] = s.inputs[i].shape;
  }
  bool need_plan = !s.plan;
  if (!need_plan)
    for (size_t i = 0; i < ni && !need_plan; ++i)
      for (int d = 0; d < shapes[i].rank; ++d)
        if (shapes[i].d[d] > s.planned[i].d[d]) need_plan = true;
  if (need_plan) {
    std::vector<Shape> bound(shapes, shapes + ni);
    const auto& m = s.model->ir();
    for (size_t i = 0; i < ni; ++i) {
      const auto& v = g.values[g.inputs[i]];
      if (s.plan) {
        for (int d = 0; d < bound[i].rank; ++d)
          bound[i].d[d] = std::max(bound[i].d[d], s.planned[i].d[d]);
      }
      if (v.shape.rank == bound[i].rank)
        for (int d = 0; d < bound[i].rank; ++d)
          if (!v.shape.d[d].is_known()) {
            auto b = s.opts.dim_bounds.find(m.dim_str(v.shape.d[d]));
            if (b != s.opts.dim_bounds.end()) {
              WRUN_CHECK(shapes[i].d[d] <= b->second, "input '", v.name, "': dim ", d, " is ",
                         shapes[i].d[d], ", above its bound ", b->second, " for '",
                         m.dim_str(v.shape.d[d]), "'");
              bound[i].d[d] = std::max(bound[i].d[d], b->second);
            }
          }
    }
    s.make_plan(bound);
  }
  for (int attempt = 0;; ++attempt) {
    for (size_t i = 0; i < ni; ++i)
      if (s.input_set[i]) s.plan->bind_input(static_cast<int>(i), s.inputs[i]);
    try {
      s.plan->run(s.arena.get(), nullptr, s.pool);
      break;
    } catch (const runtime::NeedReplan& r) {
      // A value outgrew its planned size (shapes are not monotone in the inputs everywhere):
      // plan again for exactly these shapes.
      if (attempt > 0)
        fail("value '", r.value >= 0 ? g.values[r.value].name : std::string("?"),
             "' exceeds its planned size");
      s.make_plan(std::vector<Shape>(shapes, shapes + ni));
    }
  }
  s.finish_caches();
}

void Session::Impl::finish_caches() {
  for (auto& c : caches) {
    TensorView present = plan->value_view(c.output);
    const int64_t len = present.shape.d[c.axis];
    if (!c.appended_in_place) {
      // The model's Concat was not rewritten: copy the present into the cache.
      WRUN_CHECK(len <= c.max_len, "cache '", g().values[c.input].name, "' is full: ", len,
                 " entries exceed its maximum ", c.max_len);
      runtime::copy_view(present, c.view(len));
    }
    c.length = len;
  }
}

void Session::plan_for(const std::map<std::string, Shape, std::less<>>& shapes) {
  Impl& s = *impl_;
  const auto& g = s.g();
  const auto& m = s.model->ir();
  std::vector<Shape> bound(g.inputs.size());
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    const auto& v = g.values[g.inputs[i]];
    int c = s.cache_of_input(v.name);
    if (c >= 0) {
      bound[i] = s.caches[c].full;
      bound[i].d[s.caches[c].axis] = s.caches[c].max_len - 1;
      continue;
    }
    auto it = shapes.find(v.name);
    if (it != shapes.end()) {
      bound[i] = it->second;
      continue;
    }
    WRUN_CHECK(v.shape.rank_known(), "input '", v.name, "' has unknown rank: give its shape");
    bound[i].rank = v.shape.rank;
    for (int d = 0; d < v.shape.rank; ++d) {
      if (v.shape.d[d].is_known()) {
        bound[i].d[d] = v.shape.d[d].value;
      } else {
        auto b = s.opts.dim_bounds.find(m.dim_str(v.shape.d[d]));
        WRUN_CHECK(b != s.opts.dim_bounds.end(), "input '", v.name, "': dim '",
                   m.dim_str(v.shape.d[d]), "' is symbolic: give the input's shape");
        bound[i].d[d] = b->second;
      }
    }
  }
  s.make_plan(bound);
}

TensorView Session::output(std::string_view name) const {
  const Impl& s = *impl_;
  auto it = s.output_value.find(name);
  if (it == s.output_value.end()) fail("the model has no output named '", name, "'");
  WRUN_CHECK(s.plan, "output '", name, "' requested before run()");
  for (const auto& c : s.caches)
    if (c.output == it->second) return c.view(c.length);
  return s.plan->value_view(it->second);
}

void Session::reset_cache(std::string_view input_name, int64_t length) {
  int c = impl_->cache_of_input(input_name);
  WRUN_CHECK(c >= 0, "no cache bound to input '", input_name, "'");
  WRUN_CHECK(length >= 0 && length <= impl_->caches[c].max_len, "cache length out of range");
  impl_->caches[c].length = length;
}

void Session::write_cache(std::string_view input_name, const TensorView& value) {
  int c = impl_->cache_of_input(input_name);
  WRUN_CHECK(c >= 0, "no cache bound to input '", input_name, "'");
  auto& cb = impl_->caches[c];
  WRUN_CHECK(value.dtype == cb.dtype && value.shape.rank == cb.full.rank, "cache '", input_name,
             "': value is ", dtype_name(value.dtype), " ", value.shape.str(), ", the cache holds ",
             dtype_name(cb.dtype), " ", cb.full.str());
  for (int d = 0; d < cb.full.rank; ++d)
    if (d != cb.axis)
      WRUN_CHECK(value.shape.d[d] == cb.full.d[d], "cache '", input_name, "': value shape ",
                 value.shape.str(), " does not match the cache ", cb.full.str());
  const int64_t len = value.shape.d[cb.axis];
  WRUN_CHECK(len <= cb.max_len, "cache '", input_name, "': ", len, " entries exceed its maximum ",
             cb.max_len);
  runtime::copy_view(value, cb.view(len));
  cb.length = len;
}

TensorView Session::cache_view(std::string_view input_name) const {
  int c = impl_->cache_of_input(input_name);
  WRUN_CHECK(c >= 0, "no cache bound to input '", input_name, "'");
  return impl_->caches[c].view(impl_->caches[c].length);
}

int64_t Session::cache_length(std::string_view input_name) const {
  int c = impl_->cache_of_input(input_name);
  WRUN_CHECK(c >= 0, "no cache bound to input '", input_name, "'");
  return impl_->caches[c].length;
}

const PlanStats& Session::stats() const { return impl_->stats; }

std::vector<std::string> Session::kernel_names() const {
  std::vector<std::string> r;
  if (!impl_->plan) return r;
  for (const auto& st : impl_->plan->steps()) {
    const auto& n = impl_->plan->graph().nodes[st.node];
    std::string k = st.kind == runtime::Step::Kind::kKernel ? st.kernel->name
                    : st.kind == runtime::Step::Kind::kIf   ? "subgraph"
                                                            : "cache-append";
    r.push_back(n.op_type + ":" + k);
  }
  return r;
}

}  // namespace wrun
