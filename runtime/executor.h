// A graph's execution plan: a flat list of steps over values that live in one arena.
//
// A plan is built for concrete bound shapes of the graph's inputs (each symbolic dim at its
// maximum). Each run re-infers shapes step by step for the actual inputs, in O(nodes) and with
// no allocation, and checks every value fits the capacity it was planned with; if one does not,
// the run throws NeedReplan and the session plans again for the larger shapes.
#pragma once
#include <pthreadpool.h>

#include <memory>
#include <string>
#include <vector>

#include "graph/ir.h"
#include "ops/kernel.h"
#include "runtime/planner.h"

namespace wrun::runtime {

struct NeedReplan {
  int value;  // the value that did not fit
};

// A session-owned KV cache buffer (see wrun::CacheBinding).
struct CacheBuffer {
  int input = -1;   // graph value read as the past
  int output = -1;  // graph value written as the present
  int axis = 0;
  int64_t max_len = 0;
  int64_t length = 0;  // entries valid along axis
  DType dtype = DType::kUndefined;
  Shape full;  // shape at max_len
  std::shared_ptr<void> memory;
  bool appended_in_place = false;  // a Concat step writes into it this plan
  TensorView view(int64_t len) const;
};

struct PlanOptions {
  bool force_reference = false;
  const arch::CpuFeatures* cpu = nullptr;
};

enum class SlotKind : uint8_t { kNone, kArena, kConstant, kInput, kAlias, kCache, kOuter };

struct Slot {
  SlotKind kind = SlotKind::kNone;
  int buffer = -1;      // kArena: index into buffers
  int source = -1;      // kAlias: value whose memory this value shares; kOuter: parent value
  int cache = -1;       // kCache: index into the caches
  size_t capacity = 0;  // bytes available (kArena)
  bool maybe_strided = false;
  TensorView view;  // current binding
};

class GraphPlan;

struct Step {
  enum class Kind : uint8_t { kKernel, kIf, kAppend };
  Kind kind = Kind::kKernel;
  int node = -1;
  int64_t opset = 0;
  const ops::OpSchema* schema = nullptr;
  const ops::KernelImpl* kernel = nullptr;
  std::unique_ptr<ops::KernelState> state;
  int scratch_buffer = -1;
  size_t scratch_bytes = 0;
  bool alias_out0 = false;
  std::vector<int> staging;  // per input: arena buffer for a contiguous copy, or -1
  std::vector<int> discard;  // per output: buffer for an unused optional output, or -1
  // Reused every run so that running never allocates.
  std::vector<TensorView> in_views, out_views;
  std::vector<DType> in_dt, out_dt;
  std::vector<SymShape> in_sh, out_sh;
  std::vector<const TensorView*> in_vals;
  // kIf
  std::unique_ptr<GraphPlan> branch[2];
  int branch_buffer = -1;
  // kAppend
  int cache = -1;
  int append_axis = 0;
};

class GraphPlan {
 public:
  // outer_shapes: for a subgraph, the parent's values (views with shapes; data set for values
  // known at plan time). input_views: bound shapes of g.inputs (data unused).
  GraphPlan(const graph::Model& m, const graph::Graph& g, std::vector<CacheBuffer>* caches,
            const std::vector<TensorView>* parent_views, const PlanOptions& opts);
  ~GraphPlan();

  // Plans for the given bound input shapes; plan-time views (shape, dtype) for every value
  // come out in views(). Throws wrun::Error naming the node on unsupported or invalid graphs.
  void build(const std::vector<TensorView>& inputs);
  // Runs with the arena at `arena` (size total_bytes()); parent_slots for subgraphs.
  void run(char* arena, const std::vector<Slot>* parent_slots, pthreadpool_t pool);
  // Binds a graph input's view (index in g.inputs) before run().
  void bind_input(int input_index, const TensorView& v);

  size_t total_bytes() const { return arena_.total; }
  size_t lower_bound() const { return arena_.lower_bound; }
  const std::vector<Slot>& slots() const { return slots_; }
  const std::vector<Step>& steps() const { return steps_; }
  const graph::Graph& graph() const { return g_; }
  TensorView value_view(int v) const { return slots_[v].view; }
  const std::vector<TensorView>& plan_views() const { return plan_views_; }

 private:
  void plan_step_shapes(size_t n, std::vector<std::shared_ptr<graph::Constant>>& plan_values);
  void choose_kernel(Step& s, const graph::Node& n);
  void assign_memory();
  void run_kernel(Step& s, char* arena, pthreadpool_t pool);
  void run_if(Step& s, char* arena, pthreadpool_t pool);
  void run_append(Step& s);
  void bind_outputs(Step& s, const graph::Node& n, char* arena);
  const TensorView& resolve(int v, const std::vector<Slot>* parent_slots) const;

  const graph::Model& m_;
  const graph::Graph& g_;
  std::vector<CacheBuffer>* caches_;
  const std::vector<TensorView>* parent_views_;
  PlanOptions opts_;
  std::vector<Step> steps_;
  std::vector<Slot> slots_;
  std::vector<TensorView> plan_views_;  // per value: shape/dtype at the bounds
  std::vector<BufferRequest> buffers_;
  ArenaPlan arena_;
  const std::vector<Slot>* parent_slots_ = nullptr;
};

// Copies src into dst element by element through both views' strides (same dtype and shape).
void copy_view(const TensorView& src, const TensorView& dst);

}  // namespace wrun::runtime
