#include "runtime/optimize.h"

#include <algorithm>
#include <set>

#include "graph/passes.h"
#include "ops/evaluate.h"
#include "ops/registry.h"

namespace wrun::runtime {

using graph::Graph;
using graph::Model;
using graph::Node;

static std::string op_label(const Node& n, int64_t opset) {
  return (n.domain.empty() ? "" : n.domain + ".") + n.op_type + " (opset " + std::to_string(opset) +
         ")";
}

// Value of v if known at load time.
static const graph::Constant* const_of(const Graph& g, int v) {
  if (v < 0) return nullptr;
  const auto& val = g.values[v];
  if (val.constant) return val.constant.get();
  if (val.outer >= 0 && g.parent) return const_of(*g.parent, val.outer);
  return nullptr;
}

static void infer_graph(Model& m, Graph& g, std::set<std::string>& unsupported) {
  // Subgraph values that capture outer values take their type from the parent.
  if (g.parent)
    for (auto& v : g.values)
      if (v.outer >= 0) {
        const auto& pv = g.parent->values[v.outer];
        if (v.dtype == DType::kUndefined) v.dtype = pv.dtype;
        if (!v.shape.rank_known()) v.shape = pv.shape;
      }
  for (auto& v : g.values)
    if (v.constant) {
      v.dtype = v.constant->dtype;
      v.shape = SymShape::of(v.constant->shape);
    }
  const auto& reg = ops::Registry::builtin();
  for (auto& n : g.nodes) {
    // A Loop body's inputs may be untyped: they take the iteration number, the condition and the
    // loop's initial values.
    if (n.domain.empty() && n.op_type == "Loop")
      if (const auto* body = n.attr("body"); body && body->g) {
        auto& bg = *body->g;
        for (size_t i = 0; i < bg.inputs.size(); ++i) {
          auto& bv = bg.values[bg.inputs[i]];
          if (bv.dtype != DType::kUndefined) continue;
          if (i == 0)
            bv.dtype = DType::kI64;
          else if (i == 1)
            bv.dtype = DType::kBool;
          else if (i < n.inputs.size() && n.inputs[i] >= 0)
            bv.dtype = g.values[n.inputs[i]].dtype;
        }
      }
    for (auto& [k, a] : n.attrs) {
      if (a.g) infer_graph(m, *a.g, unsupported);
      for (auto& sg : a.graphs) infer_graph(m, *sg, unsupported);
    }
    const int64_t opset = m.opset(n.domain);
    const ops::OpSchema* s = reg.find(n.domain, n.op_type, opset);
    if (!s) {
      unsupported.insert(op_label(n, opset));
      continue;
    }
    const size_t ni = n.inputs.size(), no = n.outputs.size();
    std::vector<DType> in_dt(ni, DType::kUndefined);
    std::vector<SymShape> in_sh(ni);
    std::vector<TensorView> views(ni);
    std::vector<const TensorView*> vals(ni, nullptr);
    for (size_t i = 0; i < ni; ++i) {
      int v = n.inputs[i];
      if (v < 0) continue;
      in_dt[i] = g.values[v].dtype;
      in_sh[i] = g.values[v].shape;
      if (const auto* c = const_of(g, v)) {
        views[i] = c->view();
        vals[i] = &views[i];
      }
    }
    std::vector<DType> out_dt(no, DType::kUndefined);
    std::vector<SymShape> out_sh(no);
    ops::InferContext ctx(n, opset, in_dt, in_sh, vals, out_dt, out_sh, &m);
    try {
      s->infer(ctx);
    } catch (const Error&) {
      // Leave the outputs as declared: planning reports the error with its node, and loading
      // a model with ops that cannot run yet (Loop, Scan) still works for `wrun info`.
      continue;
    }
    for (size_t o = 0; o < no; ++o) {
      int v = n.outputs[o];
      if (v < 0 || out_dt[o] == DType::kUndefined) continue;
      auto& val = g.values[v];
      val.dtype = out_dt[o];
      // Keep a declared shape where inference found only a rank or less.
      if (out_sh[o].rank_known() || !val.shape.rank_known()) {
        SymShape merged = out_sh[o];
        if (val.shape.rank == merged.rank)
          for (int d = 0; d < merged.rank; ++d)
            if (!merged.d[d].is_known() && val.shape.d[d].is_known()) merged.d[d] = val.shape.d[d];
        val.shape = merged;
      }
    }
  }
}

InferReport infer_shapes(Model& m, Graph& g) {
  std::set<std::string> unsupported;
  infer_graph(m, g, unsupported);
  InferReport r;
  r.unsupported.assign(unsupported.begin(), unsupported.end());
  return r;
}

static bool is_control(const Node& n) {
  return n.domain.empty() && (n.op_type == "If" || n.op_type == "Loop" || n.op_type == "Scan");
}

constexpr size_t kMaxFoldBytes = 64u << 20;  // do not materialise huge constants at load

// Bytes of a fully known value; SIZE_MAX when the inferred shape is absurd (overflow, negative).
static size_t fold_bytes(const graph::Value& v) {
  size_t n = std::max<size_t>(dtype_size(v.dtype), 1);
  for (int i = 0; i < v.shape.rank; ++i)
    if (v.shape.d[i].value < 0 ||
        __builtin_mul_overflow(n, static_cast<size_t>(v.shape.d[i].value), &n))
      return SIZE_MAX;
  return n;
}

int fold_constants(Model& m, Graph& g) {
  int folded = 0;
  std::vector<Node> kept;
  kept.reserve(g.nodes.size());
  const auto& reg = ops::Registry::builtin();
  for (auto& n : g.nodes) {
    for (auto& [k, a] : n.attrs) {
      if (a.g) folded += fold_constants(m, *a.g);
      for (auto& sg : a.graphs) folded += fold_constants(m, *sg);
    }
    const int64_t opset = m.opset(n.domain);
    bool foldable = !is_control(n) && reg.find(n.domain, n.op_type, opset) != nullptr;
    std::vector<const graph::Constant*> inputs;
    for (int in : n.inputs) {
      const graph::Constant* c = const_of(g, in);
      if (in >= 0 && !c) foldable = false;
      inputs.push_back(c);
    }
    // Shape and Size of a statically known shape fold without the data.
    std::shared_ptr<graph::Constant> shape_proxy;
    if (!foldable && n.domain.empty() && (n.op_type == "Shape" || n.op_type == "Size") &&
        n.inputs.size() == 1 && n.inputs[0] >= 0 && g.values[n.inputs[0]].shape.fully_known()) {
      const auto& v = g.values[n.inputs[0]];
      shape_proxy = std::make_shared<graph::Constant>();
      shape_proxy->dtype = v.dtype == DType::kUndefined ? DType::kF32 : v.dtype;
      shape_proxy->shape = v.shape.concrete();
      shape_proxy->data = nullptr;  // Shape/Size read only the shape
      inputs[0] = shape_proxy.get();
      foldable = true;
    }
    if (foldable) {
      // Estimate output size from inferred shapes to avoid materialising huge tensors.
      for (int o : n.outputs) {
        if (o < 0) continue;
        const auto& v = g.values[o];
        if (!v.shape.fully_known() || fold_bytes(v) > kMaxFoldBytes) foldable = false;
      }
    }
    if (foldable) {
      ops::EvalOptions eo;
      eo.opset = opset;
      auto outs = ops::evaluate(n, inputs, eo);
      for (size_t o = 0; o < n.outputs.size(); ++o) {
        int v = n.outputs[o];
        if (v < 0 || !outs[o]) continue;
        g.values[v].constant = outs[o];
        g.values[v].dtype = outs[o]->dtype;
        g.values[v].shape = SymShape::of(outs[o]->shape);
      }
      ++folded;
      continue;
    }
    kept.push_back(std::move(n));
  }
  g.nodes = std::move(kept);
  graph::relink(g);
  return folded;
}

static void collect_unsupported(const Model& m, const Graph& g, std::set<std::string>& out) {
  const auto& reg = ops::Registry::builtin();
  for (const auto& n : g.nodes) {
    const int64_t opset = m.opset(n.domain);
    if (!reg.find(n.domain, n.op_type, opset)) out.insert(op_label(n, opset));
    for (const auto& [k, a] : n.attrs) {
      if (a.g) collect_unsupported(m, *a.g, out);
      for (const auto& sg : a.graphs) collect_unsupported(m, *sg, out);
    }
  }
}

std::vector<std::string> unsupported_ops(const Model& m) {
  std::set<std::string> s;
  collect_unsupported(m, *m.graph, s);
  return {s.begin(), s.end()};
}

void optimize(Model& m) {
  Graph& g = *m.graph;
  graph::remove_identities(g);
  // Folding exposes new shapes, which expose new folds (Shape->Gather->Concat->Reshape chains).
  for (int round = 0; round < 8; ++round) {
    infer_shapes(m, g);
    if (fold_constants(m, g) == 0) break;
  }
  graph::eliminate_dead_code(g);
  infer_shapes(m, g);
}

}  // namespace wrun::runtime
