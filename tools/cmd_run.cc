// wrun run: one inference on .npy inputs, outputs written as .npy files.
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <map>

#include "runtime/npy.h"
#include "runtime/session.h"
#include "tools/args.h"
#include "tools/commands.h"

namespace wrun::tools {

namespace {

const char* kHelp =
    "usage: wrun run MODEL.onnx --input NAME=FILE.npy... --output-dir DIR [options]\n"
    "\n"
    "Runs the model once and writes each output to DIR/<output name>.npy.\n"
    "  --input NAME=FILE.npy   value of input NAME (repeatable; every input is required)\n"
    "  --output-dir DIR        where outputs go (created if missing)\n"
    "  --threads N             worker threads (default 1)\n"
    "  --reference             force the reference kernel for every op\n"
    "  --max-memory SIZE       refuse plans above SIZE bytes (K/M/G suffixes; default: RAM)\n"
    "  --dim NAME=N            upper bound of symbolic dim NAME for planning (repeatable)\n"
    "  --widen-fp16            run a float16 model as float32 (float32 inputs and outputs)\n"
    "  --verbose               print timings and the plan to stderr\n";

std::string file_name_for(const std::string& output) {
  std::string s = output;
  for (char& c : s)
    if (c == '/' || c == '\\' || c == '\0') c = '_';
  if (s.empty() || s == "." || s == "..") s = "_" + s;
  return s;
}

}  // namespace

int cmd_run(int argc, char** argv) {
  Args a = parse_args(argc, argv, {"--input", "--output-dir", "--threads", "--max-memory", "--dim"},
                      {"--reference", "--verbose", "--widen-fp16", "--help", "-h"});
  if (a.flag("--help") || a.flag("-h")) {
    std::fputs(kHelp, stdout);
    return 0;
  }
  if (a.positional.size() != 1) fail("run expects one MODEL.onnx (see wrun run --help)");
  const std::string out_dir = a.get("--output-dir");
  WRUN_CHECK(!out_dir.empty(), "run needs --output-dir DIR");

  SessionOptions so;
  so.threads = a.get_int("--threads", 1);
  WRUN_CHECK(so.threads >= 1, "--threads must be at least 1");
  so.force_reference = a.flag("--reference");
  if (a.flag("--max-memory")) so.max_memory = parse_bytes(a.get("--max-memory"));
  for (const auto& d : a.all("--dim")) {
    auto [name, value] = parse_pair_arg(d, "--dim");
    char* end = nullptr;
    long long v = std::strtoll(value.c_str(), &end, 10);
    WRUN_CHECK(*end == '\0' && v > 0, "--dim ", name, ": '", value, "' is not a positive integer");
    so.dim_bounds[name] = v;
  }

  using clock = std::chrono::steady_clock;
  auto t0 = clock::now();
  ModelOptions mo;
  if (so.max_memory) mo.max_bytes = so.max_memory;
  mo.widen_fp16 = a.flag("--widen-fp16");
  auto model = Model::load(a.positional[0], mo);
  auto t1 = clock::now();
  Session session(model, so);

  std::map<std::string, NpyArray> arrays;
  for (const auto& in : a.all("--input")) {
    auto [name, file] = parse_pair_arg(in, "--input");
    WRUN_CHECK(!arrays.count(name), "--input ", name, " given twice");
    arrays[name] = read_npy(file);
  }
  for (const auto& in : model->inputs())
    WRUN_CHECK(arrays.count(in.name), "missing --input ", in.name, "=FILE.npy (",
               dtype_name(in.dtype), " ", model->ir().shape_str(in.shape), ")");
  for (auto& [name, arr] : arrays) {
    TensorView v = make_view(arr.data.data(), arr.dtype, arr.shape);
    session.set_input(name, v);
  }
  auto t2 = clock::now();
  session.run();
  auto t3 = clock::now();

  if (mkdir(out_dir.c_str(), 0755) != 0 && errno != EEXIST)
    fail("cannot create output folder '", out_dir, "'");
  for (const auto& out : model->outputs())
    write_npy(out_dir + "/" + file_name_for(out.name) + ".npy", session.output(out.name));

  if (a.flag("--verbose")) {
    auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
    const auto& st = session.stats();
    std::fprintf(stderr, "load %.2f ms, run %.2f ms, arena %zu bytes (lower bound %zu), %d steps\n",
                 ms(t1 - t0), ms(t3 - t2), st.arena_bytes, st.lower_bound, st.steps);
  }
  return 0;
}

}  // namespace wrun::tools
