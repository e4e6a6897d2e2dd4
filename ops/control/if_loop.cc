// Control flow. If and Loop are executed by the runtime (it runs their subgraphs); their schemas
// only infer outputs from the subgraphs. Scan is registered so that models containing it load and
// are listed, but it cannot run yet.
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

// Loop(M, cond, v_initial...) -> (v_final..., scan_outputs...). Carried outputs take the body's
// declared types; their shapes may change per iteration, so only the rank is kept when the
// initial value's shape differs from the body's declared output. Scan outputs gain a leading
// dimension (the trip count) known only at run time.
void infer_loop(InferContext& ctx) {
  const graph::Graph& body = branch(ctx, "body");
  const int carried = ctx.num_inputs() - 2;
  if (carried < 0) ctx.fail("expects inputs M and cond");
  if (static_cast<int>(body.inputs.size()) != carried + 2 ||
      static_cast<int>(body.outputs.size()) < carried + 1)
    ctx.fail("body has ", body.inputs.size(), " inputs and ", body.outputs.size(), " outputs for ",
             carried, " loop-carried values");
  const int scans = static_cast<int>(body.outputs.size()) - 1 - carried;
  if (ctx.num_outputs() > carried + scans)
    ctx.fail("has ", ctx.num_outputs(), " outputs, the body gives ", carried + scans);
  for (int k = 0; k < carried; ++k) {
    const graph::Value& out = body.value(body.outputs[1 + k]);
    DType dt = ctx.has_input(2 + k) ? ctx.input_dtype(2 + k) : out.dtype;
    SymShape sh =
        ctx.has_input(2 + k) ? merge_shapes(ctx, ctx.input_shape(2 + k), out.shape) : out.shape;
    ctx.set_output(k, dt, sh);
  }
  for (int j = 0; j < scans; ++j) {
    const graph::Value& out = body.value(body.outputs[1 + carried + j]);
    SymShape sh;
    if (out.shape.rank_known()) {
      sh.push(ctx.unknown_dim());
      for (int d = 0; d < out.shape.rank; ++d) sh.push(out.shape.d[d]);
    }
    ctx.set_output(carried + j, out.dtype, sh);
  }
}

void run_loop(RunContext&) { fail("Loop is executed by the runtime"); }

void infer_unsupported(InferContext& ctx) { ctx.fail("not supported yet (parsed, not executed)"); }

void run_unsupported(RunContext& ctx) {
  fail(ctx.node.op_type, " '", ctx.node.name, "': not supported yet (parsed, not executed)");
}

constexpr KernelImpl kIf[] = {{"reference", nullptr, nullptr, run_if, kNone}};
constexpr KernelImpl kLoop[] = {{"reference", nullptr, nullptr, run_loop, kNone}};
std::string supports_none(const SupportQuery& q) {
  return q.node.op_type + " is parsed but not executed yet";
}

constexpr KernelImpl kUnsupported[] = {
    {"reference", supports_none, nullptr, run_unsupported, kNone}};

const OpSchema kSchemas[] = {
    {"If", "", 1, kLatestOpset, infer_if, kIf, "branches are run by the executor"},
    {"Loop", "", 1, kLatestOpset, infer_loop, kLoop,
     "executed by the runtime; tensor loop-carried values and scan outputs only"},
    {"Scan", "", 8, kLatestOpset, infer_unsupported, kUnsupported, "parsed, not executed"},
};

}  // namespace

std::span<const OpSchema> control_schemas() { return kSchemas; }

}  // namespace wrun::ops
