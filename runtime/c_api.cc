// The C API of include/wrun.h over the C++ API of runtime/session.h. Every entry point runs its
// body inside guard(), which turns any exception into a status and a thread-local message.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "include/wrun.h"
#include "runtime/session.h"

namespace {

// A fixed buffer, so recording an error (even "out of memory") never allocates or throws.
thread_local char g_error[2048];

// Writes the message into g_error without allocating: one line, truncated with "..." if long.
template <class... Args>
wrun_status error(wrun_status code, const Args&... args) {
  constexpr size_t kCap = sizeof(g_error) - 1;
  size_t n = 0;
  bool truncated = false;
  for (std::string_view part : {std::string_view(args)...})
    for (char c : part) {
      if (n == kCap) {
        truncated = true;
        break;
      }
      g_error[n++] = (c == '\n' || c == '\r') ? ' ' : c;
    }
  if (truncated) std::memcpy(g_error + kCap - 3, "...", 3);
  g_error[n] = '\0';
  return code;
}

// Runs `body` (which returns a status); wrun::Error becomes `runtime_code`.
template <class F>
wrun_status guard(wrun_status runtime_code, F&& body) noexcept {
  try {
    g_error[0] = '\0';
    return body();
  } catch (const wrun::Error& e) {
    return error(runtime_code, e.what());
  } catch (const std::bad_alloc&) {
    return error(WRUN_ERR_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception& e) {
    return error(WRUN_ERR_INTERNAL, "internal error: ", e.what());
  } catch (...) {
    return error(WRUN_ERR_INTERNAL, "internal error: unknown exception");
  }
}

#define WRUN_REQUIRE(ptr, what) \
  if (!(ptr)) return error(WRUN_ERR_INVALID_ARGUMENT, what, " is NULL")

// A model's declared inputs and outputs, with the strings the C views point into.
struct ValueRecord {
  std::string name;
  wrun::DType dtype;
  int rank;
  int64_t dims[WRUN_MAX_RANK];
  std::string dim_names[WRUN_MAX_RANK];
};

struct Signature {
  std::vector<ValueRecord> inputs, outputs;

  static const ValueRecord* find(const std::vector<ValueRecord>& list, std::string_view name) {
    for (const auto& v : list)
      if (v.name == name) return &v;
    return nullptr;
  }
};

std::vector<ValueRecord> records(const wrun::Model& m, const std::vector<wrun::ValueInfo>& vs) {
  std::vector<ValueRecord> r(vs.size());
  for (size_t i = 0; i < vs.size(); ++i) {
    r[i].name = vs[i].name;
    r[i].dtype = vs[i].dtype;
    r[i].rank = vs[i].shape.rank;
    for (int d = 0; d < WRUN_MAX_RANK; ++d) {
      r[i].dims[d] = 0;
      if (d >= vs[i].shape.rank) continue;
      const wrun::Dim& dim = vs[i].shape.d[d];
      r[i].dims[d] = dim.is_known() ? dim.value : -1;
      if (!dim.is_known()) r[i].dim_names[d] = m.dim_str(dim);
    }
  }
  return r;
}

void fill_info(const ValueRecord& v, wrun_value_info* out) {
  out->name = v.name.c_str();
  out->dtype = wrun::dtype_to_onnx(v.dtype);
  out->rank = v.rank;
  for (int d = 0; d < WRUN_MAX_RANK; ++d) {
    out->dims[d] = v.dims[d];
    out->dim_names[d] = v.dim_names[d].empty() ? nullptr : v.dim_names[d].c_str();
  }
}

// Maps a C dtype code to a tensor dtype wrun can hold; kUndefined if it cannot.
wrun::DType tensor_dtype(int code) {
  wrun::DType t = wrun::dtype_from_onnx(code);
  return t == wrun::DType::kString ? wrun::DType::kUndefined : t;
}

}  // namespace

static_assert(WRUN_MAX_RANK == wrun::kMaxRank, "include/wrun.h and graph/shape.h disagree");

struct wrun_model_options {
  wrun::ModelOptions o;
};

struct wrun_session_options {
  wrun::SessionOptions o;
};

struct wrun_model {
  std::shared_ptr<const wrun::Model> model;
  std::shared_ptr<const Signature> sig;
};

struct wrun_session {
  std::shared_ptr<const Signature> sig;
  std::unique_ptr<wrun::Session> s;
  bool has_outputs = false;  // the last run succeeded
};

extern "C" {

const char* wrun_version(void) { return WRUN_VERSION_STRING; }

const char* wrun_last_error(void) { return g_error; }

const char* wrun_status_name(wrun_status status) {
  switch (status) {
    case WRUN_OK:
      return "ok";
    case WRUN_ERR_INVALID_ARGUMENT:
      return "invalid argument";
    case WRUN_ERR_NOT_FOUND:
      return "not found";
    case WRUN_ERR_IO:
      return "i/o error";
    case WRUN_ERR_INVALID_MODEL:
      return "invalid model";
    case WRUN_ERR_RUNTIME:
      return "runtime error";
    case WRUN_ERR_BAD_STATE:
      return "bad state";
    case WRUN_ERR_OUT_OF_MEMORY:
      return "out of memory";
    case WRUN_ERR_INTERNAL:
      return "internal error";
  }
  return "unknown status";
}

size_t wrun_dtype_size(int32_t dtype) { return wrun::dtype_size(tensor_dtype(dtype)); }

const char* wrun_dtype_name(int32_t dtype) {
  // dtype_name returns views of string literals, so data() is NUL-terminated.
  wrun::DType t = wrun::dtype_from_onnx(dtype);
  return t == wrun::DType::kUndefined ? "undefined" : wrun::dtype_name(t).data();
}

// ---- Model options ----

wrun_status wrun_model_options_create(wrun_model_options** out) {
  return guard(WRUN_ERR_INTERNAL, [&] {
    WRUN_REQUIRE(out, "out");
    *out = new wrun_model_options();
    return WRUN_OK;
  });
}

void wrun_model_options_destroy(wrun_model_options* opts) { delete opts; }

wrun_status wrun_model_options_set_optimize(wrun_model_options* opts, int enable) {
  return guard(WRUN_ERR_INTERNAL, [&] {
    WRUN_REQUIRE(opts, "opts");
    opts->o.optimize = enable != 0;
    return WRUN_OK;
  });
}

wrun_status wrun_model_options_set_max_bytes(wrun_model_options* opts, size_t bytes) {
  return guard(WRUN_ERR_INTERNAL, [&] {
    WRUN_REQUIRE(opts, "opts");
    opts->o.max_bytes = bytes;
    return WRUN_OK;
  });
}

wrun_status wrun_model_options_set_widen_fp16(wrun_model_options* opts, int enable) {
  return guard(WRUN_ERR_INTERNAL, [&] {
    WRUN_REQUIRE(opts, "opts");
    opts->o.widen_fp16 = enable != 0;
    return WRUN_OK;
  });
}

// ---- Models ----

static wrun_model* make_model(std::shared_ptr<const wrun::Model> m) {
  auto sig = std::make_shared<Signature>();
  sig->inputs = records(*m, m->inputs());
  sig->outputs = records(*m, m->outputs());
  auto* r = new wrun_model();
  r->model = std::move(m);
  r->sig = std::move(sig);
  return r;
}

wrun_status wrun_model_load(const char* path, const wrun_model_options* opts, wrun_model** out) {
  return guard(WRUN_ERR_INVALID_MODEL, [&] {
    WRUN_REQUIRE(out, "out");
    *out = nullptr;
    WRUN_REQUIRE(path, "path");
    // Checked here so that a missing or unreadable file gets its own status.
    if (std::FILE* f = std::fopen(path, "rb")) {
      std::fclose(f);
    } else {
      return error(WRUN_ERR_IO, "cannot open model '", path, "': ", std::strerror(errno));
    }
    *out = make_model(wrun::Model::load(path, opts ? opts->o : wrun::ModelOptions{}));
    return WRUN_OK;
  });
}

wrun_status wrun_model_load_bytes(const void* data, size_t size, const wrun_model_options* opts,
                                  wrun_model** out) {
  return guard(WRUN_ERR_INVALID_MODEL, [&] {
    WRUN_REQUIRE(out, "out");
    *out = nullptr;
    if (!data && size) return error(WRUN_ERR_INVALID_ARGUMENT, "data is NULL");
    std::string_view bytes(static_cast<const char*>(data), data ? size : 0);
    *out = make_model(wrun::Model::load_bytes(bytes, opts ? opts->o : wrun::ModelOptions{}));
    return WRUN_OK;
  });
}

void wrun_model_destroy(wrun_model* model) { delete model; }

size_t wrun_model_input_count(const wrun_model* model) {
  return model ? model->sig->inputs.size() : 0;
}

size_t wrun_model_output_count(const wrun_model* model) {
  return model ? model->sig->outputs.size() : 0;
}

static wrun_status value_info(const wrun_model* model, size_t index, wrun_value_info* out,
                              bool input) {
  return guard(WRUN_ERR_INTERNAL, [&] {
    WRUN_REQUIRE(model, "model");
    WRUN_REQUIRE(out, "out");
    const auto& list = input ? model->sig->inputs : model->sig->outputs;
    if (index >= list.size())
      return error(WRUN_ERR_INVALID_ARGUMENT, input ? "input" : "output", " index ",
                   std::to_string(index), " is out of range (the model has ",
                   std::to_string(list.size()), ")");
    fill_info(list[index], out);
    return WRUN_OK;
  });
}

wrun_status wrun_model_input_info(const wrun_model* model, size_t index, wrun_value_info* out) {
  return value_info(model, index, out, true);
}

wrun_status wrun_model_output_info(const wrun_model* model, size_t index, wrun_value_info* out) {
  return value_info(model, index, out, false);
}

// ---- Session options ----

wrun_status wrun_session_options_create(wrun_session_options** out) {
  return guard(WRUN_ERR_INTERNAL, [&] {
    WRUN_REQUIRE(out, "out");
    *out = new wrun_session_options();
    return WRUN_OK;
  });
}

void wrun_session_options_destroy(wrun_session_options* opts) { delete opts; }

wrun_status wrun_session_options_set_threads(wrun_session_options* opts, int threads) {
  return guard(WRUN_ERR_INTERNAL, [&] {
    WRUN_REQUIRE(opts, "opts");
    if (threads < 1)
      return error(WRUN_ERR_INVALID_ARGUMENT, "threads must be at least 1, got ",
                   std::to_string(threads));
    opts->o.threads = threads;
    return WRUN_OK;
  });
}

wrun_status wrun_session_options_set_force_reference(wrun_session_options* opts, int enable) {
  return guard(WRUN_ERR_INTERNAL, [&] {
    WRUN_REQUIRE(opts, "opts");
    opts->o.force_reference = enable != 0;
    return WRUN_OK;
  });
}

wrun_status wrun_session_options_set_max_memory(wrun_session_options* opts, size_t bytes) {
  return guard(WRUN_ERR_INTERNAL, [&] {
    WRUN_REQUIRE(opts, "opts");
    opts->o.max_memory = bytes;
    return WRUN_OK;
  });
}

wrun_status wrun_session_options_set_dim_bound(wrun_session_options* opts, const char* symbol,
                                               int64_t max_value) {
  return guard(WRUN_ERR_INTERNAL, [&] {
    WRUN_REQUIRE(opts, "opts");
    WRUN_REQUIRE(symbol, "symbol");
    if (max_value < 0)
      return error(WRUN_ERR_INVALID_ARGUMENT, "dim bound for '", symbol, "' is negative");
    opts->o.dim_bounds.insert_or_assign(symbol, max_value);
    return WRUN_OK;
  });
}

wrun_status wrun_session_options_add_cache(wrun_session_options* opts, const char* input_name,
                                           const char* output_name, int axis, int64_t max_len) {
  return guard(WRUN_ERR_INTERNAL, [&] {
    WRUN_REQUIRE(opts, "opts");
    WRUN_REQUIRE(input_name, "input_name");
    WRUN_REQUIRE(output_name, "output_name");
    if (max_len <= 0)
      return error(WRUN_ERR_INVALID_ARGUMENT, "cache '", input_name, "': max_len must be positive");
    opts->o.caches.push_back({input_name, output_name, axis, max_len});
    return WRUN_OK;
  });
}

// ---- Sessions ----

wrun_status wrun_session_create(const wrun_model* model, const wrun_session_options* opts,
                                wrun_session** out) {
  return guard(WRUN_ERR_RUNTIME, [&] {
    WRUN_REQUIRE(out, "out");
    *out = nullptr;
    WRUN_REQUIRE(model, "model");
    const wrun::SessionOptions o = opts ? opts->o : wrun::SessionOptions{};
    for (const auto& c : o.caches) {
      if (!Signature::find(model->sig->inputs, c.input))
        return error(WRUN_ERR_NOT_FOUND, "cache binding: the model has no input named '", c.input,
                     "'");
      if (!Signature::find(model->sig->outputs, c.output))
        return error(WRUN_ERR_NOT_FOUND, "cache binding: the model has no output named '", c.output,
                     "'");
    }
    auto r = std::make_unique<wrun_session>();
    r->sig = model->sig;
    r->s = std::make_unique<wrun::Session>(model->model, o);
    *out = r.release();
    return WRUN_OK;
  });
}

void wrun_session_destroy(wrun_session* session) { delete session; }

wrun_status wrun_session_set_input(wrun_session* session, const char* name,
                                   const wrun_tensor* value) {
  return guard(WRUN_ERR_INVALID_ARGUMENT, [&] {
    WRUN_REQUIRE(session, "session");
    WRUN_REQUIRE(name, "name");
    WRUN_REQUIRE(value, "value");
    if (!Signature::find(session->sig->inputs, name))
      return error(WRUN_ERR_NOT_FOUND, "the model has no input named '", name, "'");
    const wrun::DType dt = tensor_dtype(value->dtype);
    if (dt == wrun::DType::kUndefined)
      return error(WRUN_ERR_INVALID_ARGUMENT, "input '", name, "': unsupported dtype code ",
                   std::to_string(value->dtype));
    if (value->rank < 0 || value->rank > WRUN_MAX_RANK)
      return error(WRUN_ERR_INVALID_ARGUMENT, "input '", name, "': rank ",
                   std::to_string(value->rank), " is outside 0..", std::to_string(WRUN_MAX_RANK));
    wrun::TensorView v;
    v.data = value->data;
    v.dtype = dt;
    v.shape.rank = value->rank;
    bool zero_strides = true;
    for (int d = 0; d < value->rank; ++d) {
      if (value->dims[d] < 0)
        return error(WRUN_ERR_INVALID_ARGUMENT, "input '", name, "': dim ", std::to_string(d),
                     " is negative");
      v.shape.d[d] = value->dims[d];
      zero_strides = zero_strides && value->strides[d] == 0;
    }
    wrun::checked_bytes(v.shape, wrun::dtype_size(dt));  // before strides: they could overflow
    v.set_contiguous_strides();
    if (!zero_strides)
      for (int d = 0; d < value->rank; ++d)
        if (value->dims[d] > 1 && value->strides[d] != v.strides[d])
          return error(WRUN_ERR_INVALID_ARGUMENT, "input '", name,
                       "': strided inputs are not supported (give dense row-major data)");
    v.capacity = wrun::checked_bytes(v.shape, wrun::dtype_size(dt));
    session->s->set_input(name, v);
    return WRUN_OK;
  });
}

wrun_status wrun_session_run(wrun_session* session) {
  return guard(WRUN_ERR_RUNTIME, [&] {
    WRUN_REQUIRE(session, "session");
    session->has_outputs = false;
    session->s->run();
    session->has_outputs = true;
    return WRUN_OK;
  });
}

wrun_status wrun_session_get_output(wrun_session* session, const char* name, wrun_tensor* out) {
  return guard(WRUN_ERR_RUNTIME, [&] {
    WRUN_REQUIRE(session, "session");
    WRUN_REQUIRE(name, "name");
    WRUN_REQUIRE(out, "out");
    if (!Signature::find(session->sig->outputs, name))
      return error(WRUN_ERR_NOT_FOUND, "the model has no output named '", name, "'");
    if (!session->has_outputs)
      return error(WRUN_ERR_BAD_STATE, "output '", name,
                   "' requested without a successful run before it");
    const wrun::TensorView v = session->s->output(name);
    *out = wrun_tensor{};
    out->dtype = wrun::dtype_to_onnx(v.dtype);
    out->rank = v.shape.rank;
    for (int d = 0; d < v.shape.rank; ++d) {
      out->dims[d] = v.shape.d[d];
      out->strides[d] = v.strides[d];
    }
    out->data = v.data;
    return WRUN_OK;
  });
}

wrun_status wrun_session_reset_cache(wrun_session* session, const char* input_name,
                                     int64_t length) {
  return guard(WRUN_ERR_INVALID_ARGUMENT, [&] {
    WRUN_REQUIRE(session, "session");
    WRUN_REQUIRE(input_name, "input_name");
    session->s->reset_cache(input_name, length);
    return WRUN_OK;
  });
}

wrun_status wrun_session_cache_length(const wrun_session* session, const char* input_name,
                                      int64_t* out) {
  return guard(WRUN_ERR_INVALID_ARGUMENT, [&] {
    WRUN_REQUIRE(session, "session");
    WRUN_REQUIRE(input_name, "input_name");
    WRUN_REQUIRE(out, "out");
    *out = session->s->cache_length(input_name);
    return WRUN_OK;
  });
}

}  // extern "C"
