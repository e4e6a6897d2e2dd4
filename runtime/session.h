// Public C++ API: load a model once, create any number of sessions on it, bind inputs, run.
//
// Thread safety: a Model is immutable after load and may be shared by threads. A Session is
// used by one thread at a time; several sessions on one model may run at once.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "graph/ir.h"
#include "graph/tensor.h"

namespace wrun {

class Model;

struct ModelOptions {
  bool optimize = true;  // constant folding, dead-code and identity removal
  size_t max_bytes = 0;  // refuse model files larger than this (0: no limit)
  // Weights equal (same dtype, shape and bytes) to one of this model's are taken from it, and
  // the duplicate's pages are released: e.g. decoder_model and decoder_with_past_model hold
  // the same decoder weights in two files.
  const Model* share_weights_with = nullptr;
  // float16 models run as float32: float16 weights, constants and types become float32 at load
  // (graph/widen_fp16.h), so callers feed and read float32. A no-op for models without float16.
  bool widen_fp16 = false;
};

struct ValueInfo {
  std::string name;
  DType dtype;
  SymShape shape;
};

class Model {
 public:
  static std::shared_ptr<const Model> load(const std::string& path, const ModelOptions& o = {});
  static std::shared_ptr<const Model> load_bytes(std::string_view bytes,
                                                 const ModelOptions& o = {});

  // A copy of this model with some inputs fixed to constant values, re-optimized: an If on a
  // fixed condition is replaced by its branch (Optimum's merged decoder, specialised for
  // use_cache_branch). Weights are shared with this model, not copied.
  std::shared_ptr<const Model> specialize(
      const std::vector<std::pair<std::string, std::shared_ptr<graph::Constant>>>& fixed) const;

  std::vector<ValueInfo> inputs() const;
  std::vector<ValueInfo> outputs() const;
  const graph::Model& ir() const { return *ir_; }
  std::string dim_str(const Dim& d) const { return ir_->dim_str(d); }
  // Bytes of constant weights referenced by the graph.
  size_t weight_bytes() const;

  explicit Model(std::shared_ptr<graph::Model> ir) : ir_(std::move(ir)) {}

 private:
  std::shared_ptr<graph::Model> ir_;
};

// A KV cache: the session owns a buffer sized for `max_len` along `axis`; input `input` reads the
// first `length` entries, and a Concat(input, new) feeding output `output` appends in place.
// After each run the length grows by what was appended, so output(present) feeds the next run.
struct CacheBinding {
  std::string input;   // e.g. "past_key_values.0.key"
  std::string output;  // e.g. "present.0.key"
  int axis = 2;
  int64_t max_len = 0;
};

struct SessionOptions {
  int threads = 1;
  bool force_reference = false;  // use kernels[0] for every op
  size_t max_memory = 0;         // refuse plans above this (0: physical RAM)
  // Upper bound for each symbolic dim by name; unbound symbols default to the input's shape
  // at first run.
  std::map<std::string, int64_t, std::less<>> dim_bounds;
  std::vector<CacheBinding> caches;
};

struct PlanStats {
  size_t arena_bytes = 0;
  size_t lower_bound = 0;
  size_t weight_bytes = 0;
  int steps = 0;
  int replans = 0;
};

class Session {
 public:
  Session(std::shared_ptr<const Model> model, const SessionOptions& opts = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Inputs are read from the caller's memory during run(); it must stay valid until then.
  // Fails naming the input on an unknown name or a dtype/rank/shape mismatch.
  void set_input(std::string_view name, const TensorView& value);
  // Output views are valid until the next run() or the session's end.
  TensorView output(std::string_view name) const;
  void run();
  // Builds the plan for these input shapes without running (inputs not named keep their
  // declared shape, which must then be fully known). Used by `wrun info`.
  void plan_for(const std::map<std::string, Shape, std::less<>>& shapes);

  // Sets a cache's current length (e.g. 0 to start a new sequence).
  void reset_cache(std::string_view input_name, int64_t length = 0);
  int64_t cache_length(std::string_view input_name) const;
  // Replaces a cache's contents with `value` (same dtype and dims but along the cache axis,
  // where it sets the length): e.g. the presents of a prompt run by another session.
  void write_cache(std::string_view input_name, const TensorView& value);
  // The cache's valid part (a strided view into the session's buffer, valid until next run).
  TensorView cache_view(std::string_view input_name) const;

  const PlanStats& stats() const;
  // Name of the kernel chosen for each step, in order ("Conv:reference", ...).
  std::vector<std::string> kernel_names() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace wrun
