// A graph's execution plan: a flat list of steps over values that live in one arena.
//
// A plan is built for concrete bound shapes of the graph's inputs (each symbolic dim at its
// maximum). Each run re-infers shapes step by step for the actual inputs, in O(nodes) and with
// no allocation, and checks every value fits the capacity it was planned with; if one does not,
// the run throws NeedReplan and the session plans again for the larger shapes.
//
// Values whose size is only known at run time (NonZero, Loop outputs, and what depends on them)
// are "dynamic": they live in buffers of their own that grow when needed, and the steps that
// touch them prepare their kernel at run time. Models without such values never allocate
// while running.
#pragma once
#include <pthreadpool.h>

#include <cstdlib>
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

// What planning knows of a value.
struct PlanValue {
  TensorView view;  // dtype and bound shape; data when the value is known while planning
  SymShape sym;     // the shape as planning knows it (unknown dims for dynamic values)
  bool dynamic = false;
};

// A growable 64-byte aligned buffer for dynamic values and run-time scratch.
class GrowBuffer {
 public:
  char* reserve(size_t bytes);  // keeps nothing on growth
  char* data() const { return p_.get(); }
  size_t capacity() const { return cap_; }

 private:
  std::unique_ptr<char, void (*)(void*)> p_{nullptr, std::free};
  size_t cap_ = 0;
};

enum class SlotKind : uint8_t {
  kNone,
  kArena,
  kConstant,
  kInput,
  kAlias,
  kCache,
  kOuter,
  kDynamic
};

struct Slot {
  SlotKind kind = SlotKind::kNone;
  int buffer = -1;      // kArena: index into buffers; kDynamic: index into dynamic buffers
  int source = -1;      // kAlias: value whose memory this value shares; kOuter: parent value
  int cache = -1;       // kCache: index into the caches
  size_t capacity = 0;  // bytes available (kArena)
  bool maybe_strided = false;
  TensorView view;  // current binding
};

class GraphPlan;

struct Step {
  enum class Kind : uint8_t { kKernel, kIf, kLoop, kAppend };
  Kind kind = Kind::kKernel;
  int node = -1;
  int64_t opset = 0;
  const ops::OpSchema* schema = nullptr;
  const ops::KernelImpl* kernel = nullptr;
  std::unique_ptr<ops::KernelState> state;
  int scratch_buffer = -1;
  size_t scratch_bytes = 0;
  bool alias_out0 = false;
  bool lazy_prepare = false;  // touches dynamic values: prepare() at run time
  Shape prepared[16];         // input shapes of the last run-time prepare (first 16 inputs)
  bool prepared_valid = false;
  GrowBuffer run_scratch;               // scratch of lazily prepared steps
  std::vector<GrowBuffer> dyn_staging;  // per input: contiguous copy of a dynamic strided input
  std::vector<int> staging;             // per input: arena buffer for a contiguous copy, or -1
  std::vector<int> discard;             // per output: buffer for an unused optional output, or -1
  // Reused every run so that running never allocates.
  std::vector<TensorView> in_views, out_views;
  std::vector<DType> in_dt, out_dt;
  std::vector<SymShape> in_sh, out_sh;
  std::vector<const TensorView*> in_vals;
  // kIf: both branches planned up front. kLoop: the body, planned at run time.
  std::unique_ptr<GraphPlan> branch[2];
  int branch_buffer = -1;
  std::unique_ptr<GraphPlan> body;
  std::vector<PlanValue> body_parent;  // this graph's values as the body was planned
  GrowBuffer body_arena;
  std::vector<GrowBuffer> carried;  // loop-carried values between iterations
  std::vector<GrowBuffer> scans;    // scan outputs, growing per iteration
  // kAppend
  int cache = -1;
  int append_axis = 0;
};

class GraphPlan {
 public:
  // parent: the plan of the enclosing graph's values (for subgraphs), else nullptr.
  GraphPlan(const graph::Model& m, const graph::Graph& g, std::vector<CacheBuffer>* caches,
            const std::vector<PlanValue>* parent, const PlanOptions& opts);
  ~GraphPlan();

  // Plans for the given bound input shapes (data, where given, is used to plan shapes that
  // depend on small inputs). Throws wrun::Error naming the node on unsupported or invalid graphs.
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
  const std::vector<PlanValue>& plan_values() const { return pv_; }
  int dynamic_values() const { return static_cast<int>(dyn_.size()); }

 private:
  void plan_step(size_t n, std::vector<std::shared_ptr<graph::Constant>>& known);
  void choose_kernel(Step& s, const graph::Node& n);
  void assign_memory();
  void run_step(Step& s, char* arena, pthreadpool_t pool);
  void run_kernel(Step& s, char* arena, pthreadpool_t pool);
  void run_if(Step& s, char* arena, pthreadpool_t pool);
  void run_loop(Step& s, char* arena, pthreadpool_t pool);
  void run_append(Step& s);
  void bind_outputs(Step& s, const graph::Node& n, char* arena);
  void gather_inputs(Step& s, const graph::Node& n, char* arena);

  const graph::Model& m_;
  const graph::Graph& g_;
  std::vector<CacheBuffer>* caches_;
  const std::vector<PlanValue>* parent_;
  PlanOptions opts_;
  std::vector<Step> steps_;
  std::vector<Slot> slots_;
  std::vector<PlanValue> pv_;
  std::vector<BufferRequest> buffers_;
  std::vector<GrowBuffer> dyn_;
  ArenaPlan arena_;
};

// Copies src into dst element by element through both views' strides (same dtype and shape).
void copy_view(const TensorView& src, const TensorView& dst);

}  // namespace wrun::runtime
