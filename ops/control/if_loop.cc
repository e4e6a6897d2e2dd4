// Control flow. If is executed by the runtime (it runs the chosen branch graph); its schema only
// infers outputs from the branches. Loop and Scan are registered so that models containing them
// load and are listed, but they cannot be inferred or run yet.
#include "ops/kernel.h"
#include "ops/registry.h"

namespace wrun::ops {
namespace {

// The branch graph in attribute `key`; fails if missing.
const graph::Graph& branch(const InferContext& ctx, std::string_view key) {
  const graph::Attribute* a = ctx.node().attr(key);
  if (!a || !a->g) ctx.fail("missing graph attribute '", key, "'");
  return *a->g;
}

// Equal dims are kept, differing ones become unknown, differing ranks make the rank unknown.
SymShape merge_shapes(InferContext& ctx, const SymShape& a, const SymShape& b) {
  if (!a.rank_known() || !b.rank_known() || a.rank != b.rank) return SymShape{};
  SymShape out = a;
  for (int i = 0; i < a.rank; ++i)
    if (!(a.d[i] == b.d[i])) out.d[i] = ctx.unknown_dim();
  return out;
}

void infer_if(InferContext& ctx) {
  if (ctx.has_input(0) && ctx.input_dtype(0) != DType::kBool)
    ctx.fail("condition must be bool, got ", dtype_name(ctx.input_dtype(0)));
  const graph::Graph& then_g = branch(ctx, "then_branch");
  const graph::Graph& else_g = branch(ctx, "else_branch");
  const int n = ctx.num_outputs();
  if (static_cast<int>(then_g.outputs.size()) != n || static_cast<int>(else_g.outputs.size()) != n)
    ctx.fail("the node has ", n, " outputs but then_branch has ", then_g.outputs.size(),
             " and else_branch has ", else_g.outputs.size());
  for (int i = 0; i < n; ++i) {
    const graph::Value& t = then_g.value(then_g.outputs[i]);
    const graph::Value& e = else_g.value(else_g.outputs[i]);
    DType dt = t.dtype;
    if (dt == DType::kUndefined)
      dt = e.dtype;
    else if (e.dtype != DType::kUndefined && e.dtype != dt)
      ctx.fail("output ", i, " is ", dtype_name(t.dtype), " in then_branch but ",
               dtype_name(e.dtype), " in else_branch");
    ctx.set_output(i, dt, merge_shapes(ctx, t.shape, e.shape));
  }
}

void run_if(RunContext&) { fail("If is executed by the runtime"); }

void infer_unsupported(InferContext& ctx) { ctx.fail("not supported yet (parsed, not executed)"); }

void run_unsupported(RunContext& ctx) {
  fail(ctx.node.op_type, " '", ctx.node.name, "': not supported yet (parsed, not executed)");
}

constexpr KernelImpl kIf[] = {{"reference", nullptr, nullptr, run_if, kNone}};
std::string supports_none(const SupportQuery& q) {
  return q.node.op_type + " is parsed but not executed yet";
}

constexpr KernelImpl kUnsupported[] = {
    {"reference", supports_none, nullptr, run_unsupported, kNone}};

const OpSchema kSchemas[] = {
    {"If", "", 1, kLatestOpset, infer_if, kIf, "branches are run by the executor"},
    {"Loop", "", 1, kLatestOpset, infer_unsupported, kUnsupported, "parsed, not executed"},
    {"Scan", "", 8, kLatestOpset, infer_unsupported, kUnsupported, "parsed, not executed"},
};

}  // namespace

std::span<const OpSchema> control_schemas() { return kSchemas; }

}  // namespace wrun::ops
