// Runs the ONNX backend node tests shipped by Debian's libonnx-testdata. A test is skipped when
// it uses an op wrun does not register, or one whose reference kernel states (in supports())
// that it does not handle an attribute or dtype the test uses; every other test must pass.
// Prints one closing line: "onnx-node-tests: N passed, N failed, N skipped".
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "graph/onnx_tensor.h"
#include "runtime/optimize.h"
#include "runtime/session.h"

namespace wrun {
namespace {

const char* kNodeDir = "/usr/share/libonnx-testdata/data/node";

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> r;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') r.push_back(e->d_name);
    closedir(d);
  }
  std::sort(r.begin(), r.end());
  return r;
}

bool exists(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0;
}

std::shared_ptr<graph::Constant> read_pb(const std::string& path, std::string* name,
                                         bool bf16_as_u16) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string bytes = ss.str();
  onnx::TensorProto t;
  if (!t.ParseFromString(bytes)) fail("cannot parse ", path);
  // ONNX 1.12's test data stores bfloat16 tensors as UINT16 (the bits are bfloat16).
  if (bf16_as_u16 && t.data_type() == onnx::TensorProto::UINT16)
    t.set_data_type(onnx::TensorProto::BFLOAT16);
  *name = t.name();
  graph::TensorContext ctx;
  return graph::tensor_from_onnx(t, path, ctx);
}

// Per element: |a - b| <= atol + rtol * |b| (numpy.testing's rule, as ONNX's runner uses), with
// rtol 1e-3, atol 1e-5; exact for integers and bool.
std::string compare(const graph::Constant& ref, const TensorView& got) {
  if (ref.dtype != got.dtype)
    return "dtype " + std::string(dtype_name(got.dtype)) +
           " != " + std::string(dtype_name(ref.dtype));
  if (!(ref.shape == got.shape)) return "shape " + got.shape.str() + " != " + ref.shape.str();
  std::vector<uint8_t> buf(got.bytes());
  // Outputs may be strided (caches); compare in logical order.
  if (got.is_contiguous()) {
    if (!buf.empty()) std::memcpy(buf.data(), got.data, buf.size());
  } else {
    return "strided output not expected here";
  }
  const int64_t n = ref.shape.numel();
  auto check_float = [&](auto tag) -> std::string {
    using T = decltype(tag);
    for (int64_t i = 0; i < n; ++i) {
      double r, g;
      if constexpr (std::is_same_v<T, uint16_t>) {
        uint16_t rh, gh;
        std::memcpy(&rh, static_cast<const char*>(ref.data) + i * 2, 2);
        std::memcpy(&gh, buf.data() + i * 2, 2);
        r = ref.dtype == DType::kF16 ? f16_to_f32(rh) : bf16_to_f32(rh);
        g = ref.dtype == DType::kF16 ? f16_to_f32(gh) : bf16_to_f32(gh);
      } else {
        T rv, gv;
        std::memcpy(&rv, static_cast<const char*>(ref.data) + i * sizeof(T), sizeof(T));
        std::memcpy(&gv, buf.data() + i * sizeof(T), sizeof(T));
        r = rv, g = gv;
      }
      if (std::isnan(r) && std::isnan(g)) continue;
      if (std::isinf(r) && r == g) continue;
      const double rtol = ref.dtype == DType::kF16 || ref.dtype == DType::kBF16 ? 1e-2 : 1e-3;
      if (!(std::fabs(r - g) <= 1e-5 + rtol * std::fabs(r)))
        return "element " + std::to_string(i) + ": " + std::to_string(g) +
               " != " + std::to_string(r);
    }
    return "";
  };
  switch (ref.dtype) {
    case DType::kF32:
      return check_float(float{});
    case DType::kF64:
      return check_float(double{});
    case DType::kF16:
    case DType::kBF16:
      return check_float(uint16_t{});
    default:
      if (ref.nbytes && std::memcmp(ref.data, buf.data(), ref.nbytes) != 0) return "values differ";
      return "";
  }
}

enum class Outcome { kPass, kFail, kSkip };

// Defects of the test data in this ONNX release (not of wrun), each with the reason.
const std::map<std::string, std::string> kDataDefects = {
    {"test_castlike_BFLOAT16_to_FLOAT_expanded",
     "input 'like' is stored with rank 1 but the model declares [3,4]"},
    {"test_castlike_FLOAT_to_BFLOAT16_expanded",
     "input 'like' is stored with rank 1 but the model declares [3,4]"},
    {"test_castlike_BFLOAT16_to_FLOAT",
     "input 'like' is stored with rank 1 but the model declares [3,4]"},
    {"test_castlike_FLOAT_to_BFLOAT16",
     "input 'like' is stored with rank 1 but the model declares [3,4]"},
};

int g_outputs_compared = 0;

Outcome run_case(const std::string& dir, std::string* why) {
  ModelOptions raw_opts;
  raw_opts.optimize = false;
  std::shared_ptr<const Model> raw;
  try {
    raw = Model::load(dir + "/model.onnx", raw_opts);
  } catch (const Error& e) {
    *why = std::string("load: ") + e.what();
    // Types wrun does not handle (sequences, maps, strings, optionals) are features, not ops.
    const std::string m = e.what();
    return m.find("which wrun does not support") != std::string::npos ? Outcome::kSkip
                                                                      : Outcome::kFail;
  }
  auto unsupported = runtime::unsupported_ops(raw->ir());
  if (!unsupported.empty()) {
    *why = "op not registered: " + unsupported[0];
    return Outcome::kSkip;
  }
  const bool bf16 = dir.find("BFLOAT16") != std::string::npos;
  try {
    auto model = Model::load(dir + "/model.onnx");
    for (const auto& set : list_dir(dir)) {
      if (set.rfind("test_data_set_", 0) != 0) continue;
      const std::string sd = dir + "/" + set;
      Session session(model);
      std::vector<std::shared_ptr<graph::Constant>> keep;
      const auto ins = model->inputs();
      for (size_t i = 0; exists(sd + "/input_" + std::to_string(i) + ".pb"); ++i) {
        std::string name;
        auto c = read_pb(sd + "/input_" + std::to_string(i) + ".pb", &name, bf16);
        if (name.empty() ||
            std::none_of(ins.begin(), ins.end(), [&](auto& v) { return v.name == name; }))
          name = i < ins.size() ? ins[i].name : name;
        keep.push_back(c);
        session.set_input(name, c->view());
      }
      session.run();
      const auto outs = model->outputs();
      for (size_t o = 0; exists(sd + "/output_" + std::to_string(o) + ".pb"); ++o) {
        std::string name;
        auto ref = read_pb(sd + "/output_" + std::to_string(o) + ".pb", &name, bf16);
        if (name.empty() ||
            std::none_of(outs.begin(), outs.end(), [&](auto& v) { return v.name == name; }))
          name = o < outs.size() ? outs[o].name : name;
        std::string diff = compare(*ref, session.output(name));
        ++g_outputs_compared;
        if (!diff.empty()) {
          *why = set + " output '" + name + "': " + diff;
          return Outcome::kFail;
        }
      }
    }
  } catch (const Error& e) {
    *why = e.what();
    const std::string m = e.what();
    // A gap a kernel states in supports(), or test data of a type wrun does not handle.
    if (m.find("not supported:") != std::string::npos ||
        m.find("which wrun does not support") != std::string::npos)
      return Outcome::kSkip;
    return Outcome::kFail;
  }
  return Outcome::kPass;
}

TEST(OnnxNodeTests, AllRegisteredOpsPass) {
  if (!exists(kNodeDir))
    GTEST_SKIP() << kNodeDir << " is missing: install libonnx-testdata (scripts/setup.sh does)";
  const char* filter = std::getenv("WRUN_NODE_FILTER");
  const bool verbose = std::getenv("WRUN_NODE_VERBOSE") != nullptr;
  int pass = 0, failed = 0, skipped = 0;
  std::map<std::string, int> skip_reasons;
  for (const auto& name : list_dir(kNodeDir)) {
    if (filter && name.find(filter) == std::string::npos) continue;
    std::string why;
    if (auto d = kDataDefects.find(name); d != kDataDefects.end()) {
      ++skipped;
      ++skip_reasons["test data defect: " + d->second];
      continue;
    }
    Outcome o = run_case(std::string(kNodeDir) + "/" + name, &why);
    if (o == Outcome::kPass) {
      ++pass;
    } else if (o == Outcome::kSkip) {
      ++skipped;
      ++skip_reasons[why.substr(0, why.find(" (opset"))];
      if (verbose) std::printf("SKIP %s: %s\n", name.c_str(), why.c_str());
    } else {
      ++failed;
      ADD_FAILURE() << name << ": " << why;
    }
  }
  if (verbose)
    for (const auto& [r, c] : skip_reasons) std::printf("  skipped %4d  %s\n", c, r.c_str());
  std::printf("(%d outputs compared)\n", g_outputs_compared);
  std::printf("onnx-node-tests: %d passed, %d failed, %d skipped\n", pass, failed, skipped);
  EXPECT_EQ(failed, 0);
  EXPECT_GT(pass, 0);
}

}  // namespace
}  // namespace wrun
