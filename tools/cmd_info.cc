// wrun info: what a model is, what it needs, and whether wrun can run it.
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "runtime/optimize.h"
#include "runtime/session.h"
#include "tools/args.h"
#include "tools/commands.h"

namespace wrun::tools {

namespace {

const char* kHelp =
    "usage: wrun info MODEL.onnx [--shape NAME=d0,d1,...]... [--json] [--widen-fp16]\n"
    "\n"
    "Prints the producer, opsets, inputs and outputs with dtypes and shapes, an op histogram and\n"
    "every op wrun does not support. When every input shape is known (declared, or given with\n"
    "--shape), also plans memory and prints the arena size against its lower bound.\n"
    "  --shape NAME=d0,d1,...  shape of input NAME (repeatable)\n"
    "  --json                  print one JSON object\n"
    "  --widen-fp16            describe a float16 model as it runs widened to float32\n";

void histogram(const graph::Graph& g, std::map<std::string, int>& h) {
  for (const auto& n : g.nodes) {
    ++h[(n.domain.empty() ? "" : n.domain + ".") + n.op_type];
    for (const auto& [k, a] : n.attrs) {
      if (a.g) histogram(*a.g, h);
      for (const auto& sg : a.graphs) histogram(*sg, h);
    }
  }
}

nlohmann::json shape_json(const graph::Model& m, const SymShape& s) {
  if (!s.rank_known()) return nullptr;
  auto a = nlohmann::json::array();
  for (int i = 0; i < s.rank; ++i) {
    if (s.d[i].is_known())
      a.push_back(s.d[i].value);
    else
      a.push_back(m.dim_str(s.d[i]));
  }
  return a;
}

}  // namespace

int cmd_info(int argc, char** argv) {
  Args a = parse_args(argc, argv, {"--shape"}, {"--json", "--widen-fp16", "--help", "-h"});
  if (a.flag("--help") || a.flag("-h")) {
    std::fputs(kHelp, stdout);
    return 0;
  }
  if (a.positional.size() != 1) fail("info expects one MODEL.onnx (see wrun info --help)");
  const std::string path = a.positional[0];
  std::map<std::string, Shape, std::less<>> shapes;
  for (const auto& s : a.all("--shape")) shapes.insert(parse_shape_arg(s));

  // The file as written (for the histogram), then the optimized model (for planning).
  ModelOptions raw_opts;
  raw_opts.optimize = false;
  raw_opts.widen_fp16 = a.flag("--widen-fp16");
  auto raw = Model::load(path, raw_opts);
  const graph::Model& ir = raw->ir();
  for (const auto& [name, s] : shapes) {
    bool found = false;
    for (const auto& in : raw->inputs()) found |= in.name == name;
    WRUN_CHECK(found, "--shape: the model has no input named '", name, "'");
  }

  nlohmann::json j;
  j["path"] = path;
  j["producer"] = ir.producer_name + (ir.producer_version.empty() ? "" : " " + ir.producer_version);
  j["ir_version"] = ir.ir_version;
  for (const auto& o : ir.opsets) j["opsets"][o.domain.empty() ? "ai.onnx" : o.domain] = o.version;
  for (const auto& [k, v] : ir.metadata) j["metadata"][k] = v;
  for (const auto& in : raw->inputs())
    j["inputs"].push_back(
        {{"name", in.name}, {"dtype", dtype_name(in.dtype)}, {"shape", shape_json(ir, in.shape)}});
  for (const auto& out : raw->outputs())
    j["outputs"].push_back({{"name", out.name},
                            {"dtype", dtype_name(out.dtype)},
                            {"shape", shape_json(ir, out.shape)}});
  std::map<std::string, int> h;
  histogram(*ir.graph, h);
  j["nodes"] = 0;
  for (const auto& [op, count] : h) {
    j["ops"][op] = count;
    j["nodes"] = j["nodes"].get<int>() + count;
  }
  auto unsupported = runtime::unsupported_ops(ir);
  j["unsupported_ops"] = unsupported;
  j["weight_bytes"] = raw->weight_bytes();

  std::string plan_error;
  if (unsupported.empty()) {
    try {
      ModelOptions mo;
      mo.widen_fp16 = raw_opts.widen_fp16;
      auto model = Model::load(path, mo);
      Session session(model);
      session.plan_for(shapes);
      const auto& st = session.stats();
      j["plan"] = {
          {"arena_bytes", st.arena_bytes},
          {"lower_bound_bytes", st.lower_bound},
          {"ratio", st.lower_bound ? double(st.arena_bytes) / double(st.lower_bound) : 1.0},
          {"steps", st.steps},
          {"weight_bytes", st.weight_bytes}};
    } catch (const Error& e) {
      plan_error = e.what();
      j["plan_error"] = plan_error;
    }
  }

  if (a.flag("--json")) {
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("model:     %s\n", path.c_str());
  std::printf("producer:  %s (ir_version %lld)\n", j["producer"].get<std::string>().c_str(),
              static_cast<long long>(ir.ir_version));
  std::printf("opsets:   ");
  for (const auto& o : ir.opsets)
    std::printf(" %s=%lld", o.domain.empty() ? "ai.onnx" : o.domain.c_str(),
                static_cast<long long>(o.version));
  std::printf("\n");
  for (const auto& [k, v] : ir.metadata) std::printf("metadata:  %s = %s\n", k.c_str(), v.c_str());
  std::printf("inputs:\n");
  for (const auto& in : raw->inputs())
    std::printf("  %-32s %-8s %s\n", in.name.c_str(), std::string(dtype_name(in.dtype)).c_str(),
                ir.shape_str(in.shape).c_str());
  std::printf("outputs:\n");
  for (const auto& out : raw->outputs())
    std::printf("  %-32s %-8s %s\n", out.name.c_str(), std::string(dtype_name(out.dtype)).c_str(),
                ir.shape_str(out.shape).c_str());
  std::printf("ops (%d nodes):\n", j["nodes"].get<int>());
  for (const auto& [op, count] : h) std::printf("  %-28s %d\n", op.c_str(), count);
  std::printf("weights:   %zu bytes\n", raw->weight_bytes());
  if (!unsupported.empty()) {
    std::printf("unsupported ops (%zu):\n", unsupported.size());
    for (const auto& u : unsupported) std::printf("  %s\n", u.c_str());
  } else if (j.contains("plan")) {
    const auto& p = j["plan"];
    std::printf("plan:      arena %zu bytes, lower bound %zu bytes (ratio %.3f), %d steps\n",
                p["arena_bytes"].get<size_t>(), p["lower_bound_bytes"].get<size_t>(),
                p["ratio"].get<double>(), p["steps"].get<int>());
  } else {
    std::printf("plan:      not made: %s\n", plan_error.c_str());
  }
  return 0;
}

}  // namespace wrun::tools
