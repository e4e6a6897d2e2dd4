/* The C API from plain C99, linked against libwrun.so.
 *
 *   wrun_c_api_test tiny TMPDIR     a model written here (Add and Mul with a symbolic dim):
 *                                   info, runs, options, and every error path
 *   wrun_c_api_test encoder DIR     DIR/encoder.onnx on DIR/encoder_in.npy against
 *                                   DIR/encoder_out.npy (scripts/make_test_models.py)
 *
 * Exits 0 when every check passes, 1 otherwise, 77 when the encoder models are missing. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wrun.h"

static int g_failures = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++g_failures;                                                            \
    }                                                                          \
  } while (0)

/* Checks a call's status; on a mismatch prints both statuses and the message. */
#define CHECK_STATUS(call, expected)                                                              \
  do {                                                                                            \
    wrun_status st_ = (call);                                                                     \
    if (st_ != (expected)) {                                                                      \
      fprintf(stderr, "%s:%d: %s returned '%s' (%s), expected '%s'\n", __FILE__, __LINE__, #call, \
              wrun_status_name(st_), wrun_last_error(), wrun_status_name(expected));              \
      ++g_failures;                                                                               \
    }                                                                                             \
  } while (0)

/* The last error mentions `text`. */
#define CHECK_ERROR_MENTIONS(text)                                                     \
  do {                                                                                 \
    if (!strstr(wrun_last_error(), (text))) {                                          \
      fprintf(stderr, "%s:%d: error '%s' does not mention '%s'\n", __FILE__, __LINE__, \
              wrun_last_error(), (text));                                              \
      ++g_failures;                                                                    \
    }                                                                                  \
  } while (0)

/* ---- A minimal protobuf writer, enough for an ONNX ModelProto ---- */

typedef struct {
  unsigned char* p;
  size_t n, cap;
} buf;

static void put_raw(buf* b, const void* data, size_t len) {
  if (b->n + len > b->cap) {
    b->cap = (b->n + len) * 2 + 64;
    b->p = (unsigned char*)realloc(b->p, b->cap);
    if (!b->p) abort();
  }
  if (len) memcpy(b->p + b->n, data, len);
  b->n += len;
}

static void put_varint(buf* b, uint64_t v) {
  unsigned char c;
  do {
    c = (unsigned char)(v & 0x7f);
    v >>= 7;
    if (v) c |= 0x80;
    put_raw(b, &c, 1);
  } while (v);
}

static void put_int(buf* b, int field, int64_t v) {
  put_varint(b, (uint64_t)field << 3);
  put_varint(b, (uint64_t)v);
}

static void put_bytes(buf* b, int field, const void* data, size_t len) {
  put_varint(b, ((uint64_t)field << 3) | 2);
  put_varint(b, len);
  put_raw(b, data, len);
}

static void put_str(buf* b, int field, const char* s) { put_bytes(b, field, s, strlen(s)); }

/* Appends `sub` as a length-delimited field and frees it. */
static void put_msg(buf* b, int field, buf* sub) {
  put_bytes(b, field, sub->p, sub->n);
  free(sub->p);
  memset(sub, 0, sizeof *sub);
}

/* ValueInfoProto: float tensor of shape [N, 3]. */
static void put_value_info(buf* b, int field, const char* name) {
  buf vi = {0}, type = {0}, tensor = {0}, shape = {0}, d0 = {0}, d1 = {0};
  put_str(&d0, 2, "N"); /* dim_param */
  put_int(&d1, 1, 3);   /* dim_value */
  put_msg(&shape, 1, &d0);
  put_msg(&shape, 1, &d1);
  put_int(&tensor, 1, WRUN_DTYPE_FLOAT32); /* elem_type */
  put_msg(&tensor, 2, &shape);
  put_msg(&type, 1, &tensor); /* tensor_type */
  put_str(&vi, 1, name);
  put_msg(&vi, 2, &type);
  put_msg(b, field, &vi);
}

static void put_node(buf* g, const char* op, const char* in0, const char* in1, const char* out) {
  buf n = {0};
  put_str(&n, 1, in0);
  put_str(&n, 1, in1);
  put_str(&n, 2, out);
  put_str(&n, 3, out); /* node name */
  put_str(&n, 4, op);
  put_msg(g, 1, &n);
}

/* The tiny model: sum = a + b; scaled = sum * w, with a, b: float[N,3] and w = {1, 2, 3}. */
static buf tiny_model(void) {
  static const float w[3] = {1.0f, 2.0f, 3.0f};
  buf m = {0}, g = {0}, init = {0}, opset = {0};
  put_node(&g, "Add", "a", "b", "sum");
  put_node(&g, "Mul", "sum", "w", "scaled");
  put_str(&g, 2, "tiny");
  put_int(&init, 1, 3);                  /* dims */
  put_int(&init, 2, WRUN_DTYPE_FLOAT32); /* data_type */
  put_str(&init, 8, "w");
  put_bytes(&init, 9, w, sizeof w); /* raw_data, little-endian */
  put_msg(&g, 5, &init);
  put_value_info(&g, 11, "a");
  put_value_info(&g, 11, "b");
  put_value_info(&g, 12, "sum");
  put_value_info(&g, 12, "scaled");
  put_int(&m, 1, 8); /* ir_version */
  put_str(&m, 2, "c_api_test");
  put_msg(&m, 7, &g);
  put_str(&opset, 1, "");
  put_int(&opset, 2, 17);
  put_msg(&m, 8, &opset);
  return m;
}

static wrun_tensor float_tensor(float* data, int64_t rows, int64_t cols) {
  wrun_tensor t;
  memset(&t, 0, sizeof t);
  t.dtype = WRUN_DTYPE_FLOAT32;
  t.rank = 2;
  t.dims[0] = rows;
  t.dims[1] = cols;
  t.data = data;
  return t;
}

/* Runs the tiny model on `rows` rows and checks both outputs. */
static void run_tiny(wrun_session* s, int64_t rows) {
  float a[8 * 3], b[8 * 3];
  wrun_tensor ta = float_tensor(a, rows, 3), tb = float_tensor(b, rows, 3), out;
  int64_t i;
  for (i = 0; i < rows * 3; ++i) {
    a[i] = (float)i;
    b[i] = 0.5f * (float)i - 1.0f;
  }
  CHECK_STATUS(wrun_session_set_input(s, "a", &ta), WRUN_OK);
  CHECK_STATUS(wrun_session_set_input(s, "b", &tb), WRUN_OK);
  CHECK_STATUS(wrun_session_run(s), WRUN_OK);
  CHECK(wrun_last_error()[0] == '\0');
  CHECK_STATUS(wrun_session_get_output(s, "sum", &out), WRUN_OK);
  CHECK(out.dtype == WRUN_DTYPE_FLOAT32);
  CHECK(out.rank == 2 && out.dims[0] == rows && out.dims[1] == 3);
  CHECK(out.strides[0] == 3 && out.strides[1] == 1);
  for (i = 0; i < rows * 3; ++i) CHECK(((const float*)out.data)[i] == a[i] + b[i]);
  CHECK_STATUS(wrun_session_get_output(s, "scaled", &out), WRUN_OK);
  CHECK(out.rank == 2 && out.dims[0] == rows && out.dims[1] == 3);
  for (i = 0; i < rows * 3; ++i)
    CHECK(((const float*)out.data)[i] == (a[i] + b[i]) * (float)(i % 3 + 1));
}

static void check_info(const wrun_model* m) {
  wrun_value_info vi;
  CHECK(wrun_model_input_count(m) == 2);
  CHECK(wrun_model_output_count(m) == 2);
  CHECK_STATUS(wrun_model_input_info(m, 0, &vi), WRUN_OK);
  CHECK(strcmp(vi.name, "a") == 0);
  CHECK(vi.dtype == WRUN_DTYPE_FLOAT32);
  CHECK(vi.rank == 2);
  CHECK(vi.dims[0] == -1 && vi.dim_names[0] && strcmp(vi.dim_names[0], "N") == 0);
  CHECK(vi.dims[1] == 3 && vi.dim_names[1] == NULL);
  CHECK_STATUS(wrun_model_input_info(m, 1, &vi), WRUN_OK);
  CHECK(strcmp(vi.name, "b") == 0);
  CHECK_STATUS(wrun_model_output_info(m, 1, &vi), WRUN_OK);
  CHECK(strcmp(vi.name, "scaled") == 0 && vi.rank == 2);
  CHECK_STATUS(wrun_model_input_info(m, 2, &vi), WRUN_ERR_INVALID_ARGUMENT);
  CHECK_ERROR_MENTIONS("out of range");
}

/* Another thread's error does not show through this thread's wrun_last_error(). */
static void* fail_in_thread(void* arg) {
  wrun_model* m = NULL;
  (void)arg;
  if (wrun_model_load("/nonexistent/other-thread.onnx", NULL, &m) != WRUN_ERR_IO) return "status";
  return strstr(wrun_last_error(), "other-thread") ? NULL : "message";
}

static void test_errors(const wrun_model* m, const buf* bytes) {
  wrun_model* bad = NULL;
  wrun_session* s = NULL;
  wrun_session_options* so = NULL;
  wrun_model_options* mo = NULL;
  wrun_tensor t, out;
  float a[6] = {0}, b[6] = {0};
  int64_t ids[6] = {0};
  const char garbage[] = "this is not an ONNX model";
  pthread_t th;
  void* thread_result = NULL;

  /* Bad path: its own status, the path in the message. */
  CHECK_STATUS(wrun_model_load("/nonexistent/dir/model.onnx", NULL, &bad), WRUN_ERR_IO);
  CHECK(bad == NULL);
  CHECK_ERROR_MENTIONS("/nonexistent/dir/model.onnx");
  CHECK_ERROR_MENTIONS("No such file");
  CHECK(strchr(wrun_last_error(), '\n') == NULL);
  /* The message is thread-local. */
  CHECK(pthread_create(&th, NULL, fail_in_thread, NULL) == 0);
  CHECK(pthread_join(th, &thread_result) == 0);
  CHECK(thread_result == NULL);
  CHECK_ERROR_MENTIONS("/nonexistent/dir/model.onnx");

  CHECK_STATUS(wrun_model_load_bytes(garbage, sizeof garbage, NULL, &bad), WRUN_ERR_INVALID_MODEL);
  CHECK(bad == NULL && wrun_last_error()[0] != '\0');
  CHECK_STATUS(wrun_model_load_bytes(NULL, 10, NULL, &bad), WRUN_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(wrun_model_load(NULL, NULL, &bad), WRUN_ERR_INVALID_ARGUMENT);
  CHECK_ERROR_MENTIONS("path");
  CHECK_STATUS(wrun_model_options_create(&mo), WRUN_OK);
  CHECK_STATUS(wrun_model_options_set_max_bytes(mo, 16), WRUN_OK);
  CHECK_STATUS(wrun_model_load_bytes(bytes->p, bytes->n, mo, &bad), WRUN_ERR_INVALID_MODEL);
  CHECK_ERROR_MENTIONS("limit");
  wrun_model_options_destroy(mo);

  CHECK_STATUS(wrun_session_create(NULL, NULL, &s), WRUN_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(wrun_session_options_create(&so), WRUN_OK);
  CHECK_STATUS(wrun_session_options_set_threads(so, 0), WRUN_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(wrun_session_options_add_cache(so, "past", "present", 1, 16), WRUN_OK);
  CHECK_STATUS(wrun_session_create(m, so, &s), WRUN_ERR_NOT_FOUND);
  CHECK_ERROR_MENTIONS("past");
  CHECK(s == NULL);
  wrun_session_options_destroy(so);

  CHECK_STATUS(wrun_session_options_create(&so), WRUN_OK);
  CHECK_STATUS(wrun_session_options_set_dim_bound(so, "N", 2), WRUN_OK);
  CHECK_STATUS(wrun_session_create(m, so, &s), WRUN_OK);
  wrun_session_options_destroy(so);

  /* Unknown input name. */
  t = float_tensor(a, 2, 3);
  CHECK_STATUS(wrun_session_set_input(s, "nope", &t), WRUN_ERR_NOT_FOUND);
  CHECK_ERROR_MENTIONS("'nope'");
  /* Wrong dtype: the message names the input and both dtypes. */
  t = float_tensor(NULL, 2, 3);
  t.dtype = WRUN_DTYPE_INT64;
  t.data = ids;
  CHECK_STATUS(wrun_session_set_input(s, "a", &t), WRUN_ERR_INVALID_ARGUMENT);
  CHECK_ERROR_MENTIONS("'a'");
  CHECK_ERROR_MENTIONS("int64");
  CHECK_ERROR_MENTIONS("float32");
  /* A dtype code wrun does not know, a string tensor, a bad rank, a wrong fixed dim. */
  t.dtype = 99;
  CHECK_STATUS(wrun_session_set_input(s, "a", &t), WRUN_ERR_INVALID_ARGUMENT);
  CHECK_ERROR_MENTIONS("99");
  t.dtype = WRUN_DTYPE_STRING;
  CHECK_STATUS(wrun_session_set_input(s, "a", &t), WRUN_ERR_INVALID_ARGUMENT);
  t = float_tensor(a, 2, 3);
  t.rank = 9;
  CHECK_STATUS(wrun_session_set_input(s, "a", &t), WRUN_ERR_INVALID_ARGUMENT);
  t = float_tensor(a, 3, 2);
  CHECK_STATUS(wrun_session_set_input(s, "a", &t), WRUN_ERR_INVALID_ARGUMENT);
  CHECK_ERROR_MENTIONS("shape");
  /* Strided inputs are refused; explicit dense strides are fine. */
  t = float_tensor(a, 1, 3);
  t.strides[0] = 6;
  t.strides[1] = 2;
  CHECK_STATUS(wrun_session_set_input(s, "a", &t), WRUN_ERR_INVALID_ARGUMENT);
  CHECK_ERROR_MENTIONS("strided");
  t.strides[0] = 3;
  t.strides[1] = 1;
  CHECK_STATUS(wrun_session_set_input(s, "a", &t), WRUN_OK);
  CHECK_STATUS(wrun_session_set_input(s, NULL, &t), WRUN_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(wrun_session_set_input(NULL, "a", &t), WRUN_ERR_INVALID_ARGUMENT);

  /* Outputs before any run, then a run with an input missing. */
  CHECK_STATUS(wrun_session_get_output(s, "sum", &out), WRUN_ERR_BAD_STATE);
  CHECK_STATUS(wrun_session_run(s), WRUN_ERR_RUNTIME);
  CHECK_ERROR_MENTIONS("'b'");
  CHECK_STATUS(wrun_session_get_output(s, "sum", &out), WRUN_ERR_BAD_STATE);
  /* Above the dim bound. */
  t = float_tensor(a, 2, 3);
  CHECK_STATUS(wrun_session_set_input(s, "a", &t), WRUN_OK);
  t = float_tensor(b, 2, 3);
  CHECK_STATUS(wrun_session_set_input(s, "b", &t), WRUN_OK);
  CHECK_STATUS(wrun_session_run(s), WRUN_OK);
  CHECK_STATUS(wrun_session_get_output(s, "nope", &out), WRUN_ERR_NOT_FOUND);
  CHECK_ERROR_MENTIONS("'nope'");
  {
    float big_a[9] = {0}, big_b[9] = {0};
    t = float_tensor(big_a, 3, 3);
    CHECK_STATUS(wrun_session_set_input(s, "a", &t), WRUN_OK);
    t = float_tensor(big_b, 3, 3);
    CHECK_STATUS(wrun_session_set_input(s, "b", &t), WRUN_OK);
    CHECK_STATUS(wrun_session_run(s), WRUN_ERR_RUNTIME);
    CHECK_ERROR_MENTIONS("bound");
  }
  CHECK_STATUS(wrun_session_reset_cache(s, "a", 0), WRUN_ERR_INVALID_ARGUMENT);
  CHECK_ERROR_MENTIONS("cache");
  wrun_session_destroy(s);

  /* A memory limit below the plan. */
  CHECK_STATUS(wrun_session_options_create(&so), WRUN_OK);
  CHECK_STATUS(wrun_session_options_set_max_memory(so, 1), WRUN_OK);
  CHECK_STATUS(wrun_session_create(m, so, &s), WRUN_OK);
  wrun_session_options_destroy(so);
  t = float_tensor(a, 2, 3);
  CHECK_STATUS(wrun_session_set_input(s, "a", &t), WRUN_OK);
  t = float_tensor(b, 2, 3);
  CHECK_STATUS(wrun_session_set_input(s, "b", &t), WRUN_OK);
  CHECK_STATUS(wrun_session_run(s), WRUN_ERR_RUNTIME);
  CHECK_ERROR_MENTIONS("memory limit");
  wrun_session_destroy(s);

  /* NULL handles are ignored by destroy functions. */
  wrun_session_destroy(NULL);
  wrun_model_destroy(NULL);
  wrun_session_options_destroy(NULL);
  wrun_model_options_destroy(NULL);
}

static int test_tiny(const char* tmpdir) {
  buf bytes = tiny_model();
  wrun_model *m = NULL, *from_file = NULL;
  wrun_session* s = NULL;
  wrun_session_options* so = NULL;
  char path[4096];
  FILE* f;

  CHECK(strcmp(wrun_version(), WRUN_VERSION_STRING) == 0);
  CHECK(wrun_dtype_size(WRUN_DTYPE_FLOAT16) == 2 && wrun_dtype_size(WRUN_DTYPE_INT64) == 8);
  CHECK(strcmp(wrun_dtype_name(WRUN_DTYPE_FLOAT32), "float32") == 0);
  CHECK(strcmp(wrun_status_name(WRUN_ERR_NOT_FOUND), "not found") == 0);

  CHECK_STATUS(wrun_model_load_bytes(bytes.p, bytes.n, NULL, &m), WRUN_OK);
  if (!m) return 1;
  check_info(m);

  /* The same bytes from a file, with options. */
  snprintf(path, sizeof path, "%s/wrun_c_api_tiny.onnx", tmpdir);
  f = fopen(path, "wb");
  CHECK(f != NULL);
  if (f) {
    wrun_model_options* mo = NULL;
    CHECK(fwrite(bytes.p, 1, bytes.n, f) == bytes.n);
    fclose(f);
    CHECK_STATUS(wrun_model_options_create(&mo), WRUN_OK);
    CHECK_STATUS(wrun_model_options_set_optimize(mo, 0), WRUN_OK);
    CHECK_STATUS(wrun_model_options_set_widen_fp16(mo, 1), WRUN_OK); /* float32: no effect */
    CHECK_STATUS(wrun_model_load(path, mo, &from_file), WRUN_OK);
    wrun_model_options_destroy(mo);
    remove(path);
    if (from_file) check_info(from_file);
  }

  /* Defaults, then every session option. */
  CHECK_STATUS(wrun_session_create(m, NULL, &s), WRUN_OK);
  run_tiny(s, 2);
  run_tiny(s, 5); /* re-plans for more rows */
  wrun_session_destroy(s);
  CHECK_STATUS(wrun_session_options_create(&so), WRUN_OK);
  CHECK_STATUS(wrun_session_options_set_threads(so, 2), WRUN_OK);
  CHECK_STATUS(wrun_session_options_set_force_reference(so, 1), WRUN_OK);
  CHECK_STATUS(wrun_session_options_set_max_memory(so, (size_t)1 << 20), WRUN_OK);
  CHECK_STATUS(wrun_session_options_set_dim_bound(so, "N", 8), WRUN_OK);
  CHECK_STATUS(wrun_session_create(from_file ? from_file : m, so, &s), WRUN_OK);
  wrun_session_options_destroy(so);
  /* The session keeps its model alive. */
  wrun_model_destroy(from_file);
  run_tiny(s, 8);
  run_tiny(s, 1);
  wrun_session_destroy(s);

  test_errors(m, &bytes);
  wrun_model_destroy(m);
  free(bytes.p);
  return g_failures ? 1 : 0;
}

/* ---- Encoder against PyTorch ---- */

/* Reads a little-endian float32 .npy file: data and shape; NULL on any problem. */
static float* read_npy_f32(const char* path, int64_t* dims, int* rank) {
  FILE* f = fopen(path, "rb");
  unsigned char pre[10];
  char header[4096];
  unsigned hlen;
  const char* p;
  int64_t n = 1;
  float* data = NULL;
  if (!f) return NULL;
  if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0 || pre[6] != 1) goto done;
  hlen = pre[8] | (pre[9] << 8);
  if (hlen >= sizeof header || fread(header, 1, hlen, f) != hlen) goto done;
  header[hlen] = '\0';
  if (!strstr(header, "'<f4'") || strstr(header, "'fortran_order': True")) goto done;
  p = strstr(header, "'shape': (");
  if (!p) goto done;
  p += strlen("'shape': (");
  *rank = 0;
  while (*p && *p != ')') {
    char* end;
    long long v = strtoll(p, &end, 10);
    if (end == p) break;
    dims[(*rank)++] = v;
    n *= v;
    p = end;
    while (*p == ',' || *p == ' ') ++p;
  }
  data = (float*)malloc((size_t)n * sizeof(float));
  if (data && fread(data, sizeof(float), (size_t)n, f) != (size_t)n) {
    free(data);
    data = NULL;
  }
done:
  fclose(f);
  return data;
}

static int test_encoder(const char* dir) {
  char path[4096];
  int64_t in_dims[8], out_dims[8];
  int in_rank = 0, out_rank = 0, d;
  float *in, *expected;
  wrun_model* m = NULL;
  wrun_session* s = NULL;
  wrun_session_options* so = NULL;
  wrun_value_info vi;
  wrun_tensor t, out;
  int64_t i, n = 1;
  double worst = 0;

  FILE* probe;
  snprintf(path, sizeof path, "%s/encoder.onnx", dir);
  probe = fopen(path, "rb");
  if (!probe) {
    printf("SKIP: %s is missing (scripts/make_test_models.py makes it)\n", path);
    return 77;
  }
  fclose(probe);
  snprintf(path, sizeof path, "%s/encoder_in.npy", dir);
  in = read_npy_f32(path, in_dims, &in_rank);
  snprintf(path, sizeof path, "%s/encoder_out.npy", dir);
  expected = read_npy_f32(path, out_dims, &out_rank);
  CHECK(in && expected);
  if (!in || !expected) return 1;

  snprintf(path, sizeof path, "%s/encoder.onnx", dir);
  CHECK_STATUS(wrun_model_load(path, NULL, &m), WRUN_OK);
  if (!m) return 1;
  CHECK(wrun_model_input_count(m) == 1);
  CHECK_STATUS(wrun_model_input_info(m, 0, &vi), WRUN_OK);
  CHECK(strcmp(vi.name, "input_features") == 0 && vi.dtype == WRUN_DTYPE_FLOAT32);
  CHECK(vi.rank == in_rank);
  CHECK(vi.dims[2] == -1 && vi.dim_names[2] != NULL); /* the frame count is symbolic */

  CHECK_STATUS(wrun_session_options_create(&so), WRUN_OK);
  CHECK_STATUS(wrun_session_options_set_threads(so, 2), WRUN_OK);
  CHECK_STATUS(wrun_session_create(m, so, &s), WRUN_OK);
  wrun_session_options_destroy(so);
  wrun_model_destroy(m);
  if (!s) return 1;
  memset(&t, 0, sizeof t);
  t.dtype = WRUN_DTYPE_FLOAT32;
  t.rank = in_rank;
  for (d = 0; d < in_rank; ++d) t.dims[d] = in_dims[d];
  t.data = in;
  CHECK_STATUS(wrun_session_set_input(s, "input_features", &t), WRUN_OK);
  CHECK_STATUS(wrun_session_run(s), WRUN_OK);
  CHECK_STATUS(wrun_session_get_output(s, "last_hidden_state", &out), WRUN_OK);
  CHECK(out.dtype == WRUN_DTYPE_FLOAT32 && out.rank == out_rank);
  for (d = 0; d < out_rank && d < out.rank; ++d) {
    CHECK(out.dims[d] == out_dims[d]);
    n *= out_dims[d];
  }
  if (!g_failures)
    for (i = 0; i < n; ++i) {
      double diff = fabs((double)((const float*)out.data)[i] - (double)expected[i]);
      if (diff > worst) worst = diff;
    }
  printf("encoder: %lld values, largest difference from PyTorch %.3g\n", (long long)n, worst);
  CHECK(worst <= 1e-4);
  wrun_session_destroy(s);
  free(in);
  free(expected);
  return g_failures ? 1 : 0;
}

int main(int argc, char** argv) {
  int rc;
  if (argc == 3 && strcmp(argv[1], "tiny") == 0) {
    rc = test_tiny(argv[2]);
  } else if (argc == 3 && strcmp(argv[1], "encoder") == 0) {
    rc = test_encoder(argv[2]);
  } else {
    fprintf(stderr, "usage: %s tiny TMPDIR | encoder MODELS_DIR\n", argv[0]);
    return 2;
  }
  printf("%s: %s (%d failed checks)\n", argv[1],
         rc == 0    ? "passed"
         : rc == 77 ? "skipped"
                    : "FAILED",
         g_failures);
  return rc;
}
