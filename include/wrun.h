/* wrun C API: load an ONNX model, create sessions on it, bind inputs, run, read outputs.
 *
 * C99 and C++ compatible. Handles are opaque; every fallible call returns a wrun_status, and no
 * C++ exception ever crosses this interface (allocation failures included).
 *
 * Errors: a call that fails returns a non-zero wrun_status and stores a one-line message,
 * readable with wrun_last_error() on the same thread until the next wrun_status-returning call
 * on that thread (a call that succeeds clears it).
 *
 * Thread safety:
 *   - A wrun_model is immutable after loading and may be shared by any number of threads and
 *     sessions; its queries (names, dtypes, shapes) may be called concurrently.
 *   - A wrun_session is used by one thread at a time (calls on one session must not overlap).
 *   - Several sessions, on the same model or on different ones, may run at the same time.
 *   - Options objects are plain builders: do not modify one from two threads at once.
 *   - wrun_last_error() is thread-local.
 *
 * Lifetimes: a session keeps its model alive, so a model may be destroyed before its sessions.
 * Strings and value infos returned by model queries stay valid until that model handle is
 * destroyed. Output views stay valid until the next wrun_session_run() or the session's end.
 *
 * Typical use:
 *
 *   wrun_model* m; wrun_session* s; wrun_tensor in = {0}, out;
 *   if (wrun_model_load("encoder.onnx", NULL, &m)) fprintf(stderr, "%s\n", wrun_last_error());
 *   wrun_session_create(m, NULL, &s);
 *   in.dtype = WRUN_DTYPE_FLOAT32; in.rank = 3; in.dims[0] = 1; in.dims[1] = 80;
 *   in.dims[2] = 3000; in.data = features;
 *   wrun_session_set_input(s, "input_features", &in);
 *   wrun_session_run(s);
 *   wrun_session_get_output(s, "last_hidden_state", &out);
 *   wrun_session_destroy(s); wrun_model_destroy(m);
 */
#ifndef WRUN_H_
#define WRUN_H_

#include <stddef.h>
#include <stdint.h>

#define WRUN_VERSION_MAJOR 0
#define WRUN_VERSION_MINOR 1
#define WRUN_VERSION_PATCH 0
#define WRUN_VERSION_STRING "0.1.0"

/* Largest tensor rank. */
#define WRUN_MAX_RANK 8

#if defined(__GNUC__) || defined(__clang__)
#define WRUN_API __attribute__((visibility("default")))
#else
#define WRUN_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum wrun_status {
  WRUN_OK = 0,
  /* A null handle or pointer, a bad option value, an index out of range, an unknown dtype
   * code, or an input whose dtype, rank or shape the model does not accept. */
  WRUN_ERR_INVALID_ARGUMENT = 1,
  /* No input or output with that name. */
  WRUN_ERR_NOT_FOUND = 2,
  /* The model file cannot be opened or read. */
  WRUN_ERR_IO = 3,
  /* The model cannot be parsed or is invalid. */
  WRUN_ERR_INVALID_MODEL = 4,
  /* The runtime refused the operation: unsupported ops when creating a session, a memory plan
   * above max_memory, an input above its dim bound, a shape error while planning or running. */
  WRUN_ERR_RUNTIME = 5,
  /* Calls out of order, e.g. an output requested before a successful run. */
  WRUN_ERR_BAD_STATE = 6,
  /* A memory allocation failed. */
  WRUN_ERR_OUT_OF_MEMORY = 7,
  /* An unexpected internal error (a bug). */
  WRUN_ERR_INTERNAL = 8
} wrun_status;

/* Element types; the values are ONNX TensorProto.DataType codes. */
typedef enum wrun_dtype {
  WRUN_DTYPE_UNDEFINED = 0,
  WRUN_DTYPE_FLOAT32 = 1,
  WRUN_DTYPE_UINT8 = 2,
  WRUN_DTYPE_INT8 = 3,
  WRUN_DTYPE_UINT16 = 4,
  WRUN_DTYPE_INT16 = 5,
  WRUN_DTYPE_INT32 = 6,
  WRUN_DTYPE_INT64 = 7,
  WRUN_DTYPE_STRING = 8, /* may appear in model signatures; tensors of it are not supported */
  WRUN_DTYPE_BOOL = 9,   /* one byte per element, 0 or 1 */
  WRUN_DTYPE_FLOAT16 = 10,
  WRUN_DTYPE_FLOAT64 = 11,
  WRUN_DTYPE_UINT32 = 12,
  WRUN_DTYPE_UINT64 = 13,
  WRUN_DTYPE_BFLOAT16 = 16
} wrun_dtype;

typedef struct wrun_model wrun_model;
typedef struct wrun_session wrun_session;
typedef struct wrun_model_options wrun_model_options;
typedef struct wrun_session_options wrun_session_options;

/* A tensor as plain memory. As an input: dtype, rank, dims and data are read; data is dense
 * row-major, and strides must be all zero or equal to the dense strides. As an output: every
 * field is filled; strides are in elements and may describe a strided view (a KV cache). */
typedef struct wrun_tensor {
  int32_t dtype; /* a wrun_dtype (a fixed-width field keeps the layout the same everywhere) */
  int32_t rank;
  int64_t dims[WRUN_MAX_RANK];
  int64_t strides[WRUN_MAX_RANK];
  void* data;
} wrun_tensor;

/* An input or output as the model declares it. */
typedef struct wrun_value_info {
  const char* name;
  int32_t dtype;                        /* a wrun_dtype */
  int32_t rank;                         /* -1 when the rank is unknown */
  int64_t dims[WRUN_MAX_RANK];          /* -1 where the dim is symbolic */
  const char* dim_names[WRUN_MAX_RANK]; /* the symbol's name ("T"), or NULL for a known dim */
} wrun_value_info;

/* ---- Library ---- */

/* "MAJOR.MINOR.PATCH" of the library actually loaded. */
WRUN_API const char* wrun_version(void);
/* The message of the last failed call on this thread, or "" (never NULL). */
WRUN_API const char* wrun_last_error(void);
/* A short constant name for a status, e.g. "not found". */
WRUN_API const char* wrun_status_name(wrun_status status);
/* Bytes per element of a wrun_dtype; 0 for undefined, string and unknown codes. */
WRUN_API size_t wrun_dtype_size(int32_t dtype);
/* "float32", "int64", ...; "undefined" for unknown codes. */
WRUN_API const char* wrun_dtype_name(int32_t dtype);

/* ---- Model options (NULL means defaults everywhere they are taken) ---- */

WRUN_API wrun_status wrun_model_options_create(wrun_model_options** out);
WRUN_API void wrun_model_options_destroy(wrun_model_options* opts); /* NULL is ignored */
/* Load-time graph optimization (constant folding, dead code, identities); default on. */
WRUN_API wrun_status wrun_model_options_set_optimize(wrun_model_options* opts, int enable);
/* Refuse model files larger than this many bytes; 0 (default) means no limit. */
WRUN_API wrun_status wrun_model_options_set_max_bytes(wrun_model_options* opts, size_t bytes);
/* Run a float16 model as float32: its float16 weights, constants, inputs and outputs become
   float32 at load, so callers bind and read float32. No effect on other models; default off. */
WRUN_API wrun_status wrun_model_options_set_widen_fp16(wrun_model_options* opts, int enable);

/* ---- Models ---- */

/* Loads an ONNX file (external data is read relative to its folder). */
WRUN_API wrun_status wrun_model_load(const char* path, const wrun_model_options* opts,
                                     wrun_model** out);
/* Loads an ONNX model from memory; the bytes are copied, so the caller may free them after. */
WRUN_API wrun_status wrun_model_load_bytes(const void* data, size_t size,
                                           const wrun_model_options* opts, wrun_model** out);
WRUN_API void wrun_model_destroy(wrun_model* model); /* NULL is ignored */

WRUN_API size_t wrun_model_input_count(const wrun_model* model);
WRUN_API size_t wrun_model_output_count(const wrun_model* model);
WRUN_API wrun_status wrun_model_input_info(const wrun_model* model, size_t index,
                                           wrun_value_info* out);
WRUN_API wrun_status wrun_model_output_info(const wrun_model* model, size_t index,
                                            wrun_value_info* out);

/* ---- Session options ---- */

WRUN_API wrun_status wrun_session_options_create(wrun_session_options** out);
WRUN_API void wrun_session_options_destroy(wrun_session_options* opts); /* NULL is ignored */
/* Worker threads for one run; default 1. */
WRUN_API wrun_status wrun_session_options_set_threads(wrun_session_options* opts, int threads);
/* Non-zero: use the portable reference kernel for every op. */
WRUN_API wrun_status wrun_session_options_set_force_reference(wrun_session_options* opts,
                                                              int enable);
/* Refuse memory plans above this many bytes; 0 (default) means physical RAM. */
WRUN_API wrun_status wrun_session_options_set_max_memory(wrun_session_options* opts, size_t bytes);
/* Upper bound for the symbolic dim `symbol` (e.g. "T"); memory is planned for it once. */
WRUN_API wrun_status wrun_session_options_set_dim_bound(wrun_session_options* opts,
                                                        const char* symbol, int64_t max_value);
/* Binds a KV cache: the session owns a buffer of `max_len` entries along `axis` that feeds input
 * `input_name`; output `output_name` (a Concat of it with new entries) appends in place, and the
 * cache length grows after each run. */
WRUN_API wrun_status wrun_session_options_add_cache(wrun_session_options* opts,
                                                    const char* input_name, const char* output_name,
                                                    int axis, int64_t max_len);

/* ---- Sessions ---- */

WRUN_API wrun_status wrun_session_create(const wrun_model* model, const wrun_session_options* opts,
                                         wrun_session** out);
WRUN_API void wrun_session_destroy(wrun_session* session); /* NULL is ignored */
/* Binds an input. The session keeps the pointer, not a copy: the memory must stay valid and
 * unchanged in size while runs use it; it stays bound for later runs until set again. */
WRUN_API wrun_status wrun_session_set_input(wrun_session* session, const char* name,
                                            const wrun_tensor* value);
WRUN_API wrun_status wrun_session_run(wrun_session* session);
/* A view of an output of the last successful run, valid until the next run or the session's
 * end. */
WRUN_API wrun_status wrun_session_get_output(wrun_session* session, const char* name,
                                             wrun_tensor* out);
/* Sets a bound cache's current length (0 starts a new sequence). */
WRUN_API wrun_status wrun_session_reset_cache(wrun_session* session, const char* input_name,
                                              int64_t length);
WRUN_API wrun_status wrun_session_cache_length(const wrun_session* session, const char* input_name,
                                               int64_t* out);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* WRUN_H_ */
