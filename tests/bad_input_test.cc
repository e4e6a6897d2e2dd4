// Hardening against bad input. Every case is a malformed model, tensor, external-data reference,
// input or .npy file, and must end in one line of wrun::Error through the C++ API and in one line
// "error: ..." with a non-zero exit through the wrun command: no crash, no hang (a watchdog and
// `timeout` bound each case), and no allocation beyond the memory limit (plans are capped with
// SessionOptions::max_memory / --max-memory; outside ASan builds the address space is capped too,
// so a larger allocation shows up as std::bad_alloc or "out of memory" and fails the case).
// Also replays fuzz/regressions/ through the fuzzer's harness.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

#include "fuzz/load_run.h"
#include "onnx/onnx.pb.h"
#include "runtime/npy.h"
#include "runtime/session.h"
#include "tests/onnx_builder.h"

namespace wrun {
namespace {

namespace fs = std::filesystem;
using namespace wrun::test;  // NOLINT: model builders

constexpr size_t kMaxMemory = 64u << 20;
constexpr int64_t kHuge = int64_t{1} << 40;
constexpr int kCaseSeconds = 60;  // generous for ASan builds; cases take milliseconds

#ifdef __SANITIZE_ADDRESS__
constexpr bool kAsan = true;  // ASan reserves terabytes of address space: no RLIMIT_AS
#else
constexpr bool kAsan = false;
#endif

// ---- model building ---------------------------------------------------------------------------

std::string bytes_of(const onnx::ModelProto& m) {
  std::string s;
  EXPECT_TRUE(m.SerializeToString(&s));
  return s;
}

// The valid model every graph-level case starts from: y = Relu(x @ W + b), x float [batch,4].
onnx::ModelProto mlp() {
  auto m = new_model();
  auto& g = *m.mutable_graph();
  add_input(g, "x", TP::FLOAT, {"batch", "4"});
  add_f32(g, "W", {4, 4}, 0.5f);
  add_f32(g, "b", {4}, 0.25f);
  add_node(g, "MatMul", {"x", "W"}, {"h"});
  add_node(g, "Add", {"h", "b"}, {"a"});
  add_node(g, "Relu", {"a"}, {"y"});
  add_output_unshaped(g, "y");
  return m;
}

// One node `op` reading graph inputs/initializers set up by `setup`, output "y".
onnx::ModelProto single(const std::string& op, std::vector<std::string> in,
                        const std::function<void(onnx::GraphProto&, onnx::NodeProto*)>& setup,
                        int out_type = TP::FLOAT) {
  auto m = new_model();
  auto& g = *m.mutable_graph();
  auto* n = add_node(g, op, std::move(in), {"y"});
  setup(g, n);
  add_output_unshaped(g, "y", out_type);
  return m;
}

// ---- .npy files -------------------------------------------------------------------------------

std::string npy_header(const std::string& dict) {
  std::string h = dict;
  while ((10 + h.size() + 1) % 64) h += ' ';
  h += '\n';
  std::string s = "\x93NUMPY\x01";
  s += '\0';
  s += static_cast<char>(h.size() & 0xff);
  s += static_cast<char>(h.size() >> 8);
  return s + h;
}

template <class T>
std::string npy(DType dt, const Shape& s, std::vector<T> values = {}) {
  values.resize(static_cast<size_t>(s.numel()), T{});
  const std::string path = ::testing::TempDir() + "wrun_bad_input_tmp.npy";
  write_npy(path, make_view(values.data(), dt, s));
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}
std::string npy_f32(const Shape& s) { return npy<float>(DType::kF32, s); }
std::string npy_i64(const Shape& s, std::vector<int64_t> v) {
  return npy<int64_t>(DType::kI64, s, std::move(v));
}

// ---- cases ------------------------------------------------------------------------------------

struct Case {
  std::string name;
  std::string model;  // ModelProto bytes, written to <dir>/model.onnx
  std::vector<std::pair<std::string, std::string>> inputs;  // name -> .npy file bytes
  std::string expect;                     // part of the message ("" to accept any one-line error)
  std::optional<std::string> cli_expect;  // for the command when it differs from `expect`
  std::map<std::string, int64_t, std::less<>> dims;
  std::vector<std::pair<std::string, std::string>> files;  // next to the model
  std::vector<std::pair<std::string, std::string>> links;  // symlink -> relative target
  bool from_file = false;  // the API loads the file (external data) instead of the bytes
  bool plan_only = false;  // the API plans the declared shapes instead of running
  bool cli = true;
  std::function<void(Session&)> api;  // replaces set_input + run
};

using Inputs = std::vector<std::pair<std::string, std::string>>;

// Appends a case running m with inputs and expecting `expect`; the pointer is for further
// settings before the next case is added.
Case* add_case(std::vector<Case>& cases, const std::string& name, const onnx::ModelProto& m,
               Inputs inputs, const std::string& expect) {
  Case c;
  c.name = name;
  c.model = bytes_of(m);
  c.inputs = std::move(inputs);
  c.expect = expect;
  cases.push_back(std::move(c));
  return &cases.back();
}

// Aborts the test binary if a case runs longer than its bound, naming the case.
class Watchdog {
 public:
  Watchdog(std::string what, int seconds)
      : thread_([this, what = std::move(what), seconds] {
          std::unique_lock<std::mutex> l(m_);
          if (!cv_.wait_for(l, std::chrono::seconds(seconds), [this] { return done_; })) {
            std::fprintf(stderr, "BadInput: '%s' hangs (over %d s)\n", what.c_str(), seconds);
            std::_Exit(3);
          }
        }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> l(m_);
      done_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

size_t address_space_bytes() {
  std::ifstream f("/proc/self/statm");
  size_t pages = 0;
  f >> pages;
  return pages * static_cast<size_t>(sysconf(_SC_PAGE_SIZE));
}

// Caps the address space at its current size plus room for the 64 MiB plan, folded constants
// and the test's own bookkeeping; a larger allocation fails. Not under ASan.
class AddressSpaceCap {
 public:
  AddressSpaceCap() {
    if (kAsan) return;
    getrlimit(RLIMIT_AS, &saved_);
    rlimit r = saved_;
    r.rlim_cur = address_space_bytes() + (512u << 20);
    active_ = setrlimit(RLIMIT_AS, &r) == 0;
  }
  ~AddressSpaceCap() {
    if (active_) setrlimit(RLIMIT_AS, &saved_);
  }

 private:
  rlimit saved_{};
  bool active_ = false;
};

::testing::AssertionResult check_message(const std::string& msg, const std::string& expect) {
  if (msg.empty()) return ::testing::AssertionFailure() << "empty message";
  if (msg.find('\n') != std::string::npos)
    return ::testing::AssertionFailure() << "not one line: " << msg;
  if (!expect.empty() && msg.find(expect) == std::string::npos)
    return ::testing::AssertionFailure() << "does not mention '" << expect << "': " << msg;
  return ::testing::AssertionSuccess() << msg;
}

class BadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string t = (fs::temp_directory_path() / "wrun_bad_input_XXXXXX").string();
    root_ = mkdtemp(t.data());
    std::ofstream(root_ + "/outside.bin", std::ios::binary) << std::string(64, '\1');
  }
  void TearDown() override { fs::remove_all(root_); }

  // Writes the case's files into its own folder; returns the folder.
  std::string materialize(const Case& c) {
    const std::string dir = root_ + "/" + c.name;
    fs::create_directories(dir);
    std::ofstream(dir + "/model.onnx", std::ios::binary) << c.model;
    // Optionally keeps the models, e.g. to seed or replay them with the fuzzer.
    if (const char* dump = std::getenv("WRUN_BAD_INPUT_DUMP"))
      std::ofstream(std::string(dump) + "/" + c.name + ".onnx", std::ios::binary) << c.model;
    for (const auto& [name, bytes] : c.files)
      std::ofstream(dir + "/" + name, std::ios::binary) << bytes;
    for (const auto& [name, target] : c.links) fs::create_symlink(target, dir + "/" + name);
    for (const auto& [name, bytes] : c.inputs)
      std::ofstream(dir + "/" + name + ".npy", std::ios::binary) << bytes;
    return dir;
  }

  ::testing::AssertionResult through_api(const Case& c, const std::string& dir) {
    Watchdog wd(c.name, kCaseSeconds);
    AddressSpaceCap cap;
    try {
      auto model = c.from_file ? Model::load(dir + "/model.onnx") : Model::load_bytes(c.model);
      SessionOptions so;
      so.max_memory = kMaxMemory;
      so.dim_bounds = c.dims;
      Session s(model, so);
      if (c.api) {
        c.api(s);
      } else if (c.plan_only) {
        s.plan_for({});
      } else {
        std::vector<NpyArray> arrays;
        arrays.reserve(c.inputs.size());
        for (const auto& in : c.inputs) {
          arrays.push_back(read_npy(dir + "/" + in.first + ".npy"));
          s.set_input(in.first, arrays.back().view());
        }
        s.run();
      }
      return ::testing::AssertionFailure() << "no error";
    } catch (const Error& e) {
      return check_message(e.what(), c.expect);
    } catch (const std::bad_alloc&) {
      return ::testing::AssertionFailure() << "allocated beyond the memory limit (bad_alloc)";
    } catch (const std::exception& e) {
      return ::testing::AssertionFailure() << "not a wrun::Error: " << e.what();
    }
  }

  ::testing::AssertionResult through_cli(const Case& c, const std::string& dir) {
    std::string cmd;
    // 1 GiB of address space is far above what wrun needs for a 64 MiB plan.
    if (!kAsan) cmd += "ulimit -v 1048576; ";
    cmd += "timeout " + std::to_string(kCaseSeconds) + " " + WRUN_BINARY_DIR + "/wrun run " + dir +
           "/model.onnx --max-memory 64M --output-dir " + dir + "/out";
    for (const auto& in : c.inputs)
      cmd += " --input " + in.first + "=" + dir + "/" + in.first + ".npy";
    for (const auto& [k, v] : c.dims) cmd += " --dim " + k + "=" + std::to_string(v);
    cmd += " >" + dir + "/stdout 2>" + dir + "/stderr";
    const int status = std::system(cmd.c_str());
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    std::ifstream f(dir + "/stderr");
    std::stringstream ss;
    ss << f.rdbuf();
    const std::string err = ss.str();
    if (code == 0) return ::testing::AssertionFailure() << "exit 0";
    if (code == 124) return ::testing::AssertionFailure() << "timed out";
    if (code >= 128) return ::testing::AssertionFailure() << "crashed (" << code << "): " << err;
    if (err.rfind("error: ", 0) != 0) return ::testing::AssertionFailure() << "stderr: " << err;
    if (err.find('\n') != err.size() - 1)
      return ::testing::AssertionFailure() << "not one line: " << err;
    if (err.find("out of memory") != std::string::npos)
      return ::testing::AssertionFailure() << "allocated beyond the memory limit: " << err;
    return check_message(err.substr(7, err.size() - 8), c.cli_expect.value_or(c.expect));
  }

  void check_all(const std::vector<Case>& cases) {
    int api = 0, cli = 0;
    for (const Case& c : cases) {
      SCOPED_TRACE(c.name);
      const std::string dir = materialize(c);
      auto r = through_api(c, dir);
      EXPECT_TRUE(r) << c.name << " (API)";
      if (std::getenv("WRUN_BAD_INPUT_VERBOSE"))
        std::printf("%s: %s\n", c.name.c_str(), r.message());
      api += static_cast<bool>(r);
      if (!c.cli) continue;
      auto rc = through_cli(c, dir);
      EXPECT_TRUE(rc) << c.name << " (CLI)";
      cli += static_cast<bool>(rc);
    }
    std::printf(
        "[ BadInput ] %d of %zu cases gave one-line errors through the API, %d through the "
        "CLI\n",
        api, cases.size(), cli);
  }

  std::string root_;
};

Case mlp_case(std::string name, std::string model, std::string expect) {
  Case c;
  c.name = std::move(name);
  c.model = std::move(model);
  c.inputs = {{"x", npy_f32(Shape{2, 4})}};
  c.expect = std::move(expect);
  return c;
}

// The harness itself: the valid model runs cleanly both ways.
TEST_F(BadInput, BaseModelRuns) {
  Case c = mlp_case("valid", bytes_of(mlp()), "");
  const std::string dir = materialize(c);
  Watchdog wd(c.name, kCaseSeconds);
  {
    AddressSpaceCap cap;
    auto model = Model::load_bytes(c.model);
    SessionOptions so;
    so.max_memory = kMaxMemory;
    Session s(model, so);
    NpyArray x = read_npy(dir + "/x.npy");
    s.set_input("x", x.view());
    s.run();
    EXPECT_EQ(s.output("y").shape, (Shape{2, 4}));
    EXPECT_FLOAT_EQ(s.output("y").as<float>()[0], 0.25f);
  }
  EXPECT_FALSE(through_cli(c, dir));  // exits 0
  EXPECT_TRUE(fs::exists(dir + "/out/y.npy"));
  std::string err;
  EXPECT_TRUE(fuzz::load_and_run(c.model, &err)) << err;
}

// Empty, junk, truncated and bit-flipped protobufs of the valid model.
TEST_F(BadInput, CorruptProtobufs) {
  const std::string good = bytes_of(mlp());
  std::vector<Case> cases;
  cases.push_back(mlp_case("empty", "", "empty"));
  std::mt19937 rng(11);
  std::string junk(4096, '\0');
  for (auto& ch : junk) ch = static_cast<char>(rng());
  cases.push_back(mlp_case("junk", junk, ""));
  cases.push_back(mlp_case("text", "ir_version: 8\ngraph { node { op_type: \"Relu\" } }\n", ""));
  for (int k = 1; k < 16; ++k)
    cases.push_back(
        mlp_case("truncated_" + std::to_string(k), good.substr(0, good.size() * k / 16), ""));
  // Targeted flips: a field tag made an invalid wire type, a length made too long, an op name
  // and an initializer's dim changed.
  auto flipped = [&](const std::string& name, size_t pos, uint8_t mask, const std::string& expect) {
    std::string b = good;
    ASSERT_LT(pos, b.size()) << name;
    b[pos] = static_cast<char>(b[pos] ^ mask);
    cases.push_back(mlp_case(name, b, expect));
  };
  const size_t graph_tag = good.find('\x3a');  // field 7 (graph), wire type 2
  ASSERT_NE(graph_tag, std::string::npos);
  flipped("flip_graph_tag", graph_tag, 0x05, "");         // wire type 7 does not exist
  flipped("flip_graph_length", graph_tag + 1, 0x40, "");  // length past the end
  // The Relu node's op_type (field 4, length 4) becomes "Pelu".
  flipped("flip_op_name", good.find("\x22\x04Relu") + 2, 0x02, "unsupported ops");
  // W's dims are [4, 4]: "08 04 08 04" (field 1 varint); the first 4 becomes 5.
  const size_t dims = good.find(std::string("\x08\x04\x08\x04", 4));
  ASSERT_NE(dims, std::string::npos);
  flipped("flip_initializer_dim", dims + 1, 0x01, "raw_data");
  check_all(cases);
}

// Random single-bit flips and byte truncations of the valid model: each either still loads and
// runs, or fails with one line; nothing else.
TEST_F(BadInput, RandomFlipsNeverCrash) {
  const std::string good = bytes_of(mlp());
  std::mt19937 rng(5);
  int errors = 0, ran = 0;
  for (int k = 0; k < 300; ++k) {
    std::string b = good;
    const size_t pos = rng() % b.size();
    b[pos] = static_cast<char>(b[pos] ^ (1u << (rng() % 8)));
    if (k % 3 == 0) b.resize(rng() % b.size());
    Watchdog wd("random flip " + std::to_string(k), kCaseSeconds);
    AddressSpaceCap cap;
    std::string err;
    try {
      (fuzz::load_and_run(b, &err) ? ran : errors) += 1;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "flip " << k << " at byte " << pos << ": not a wrun::Error: " << e.what();
    }
  }
  std::printf("[ BadInput ] random flips: %d ran, %d one-line errors\n", ran, errors);
  EXPECT_GT(errors, 0);
}

// Structural problems of the graph and its initializers.
TEST_F(BadInput, BadGraphs) {
  std::vector<Case> cases;
  auto edit = [&](const std::string& name, const std::function<void(onnx::ModelProto&)>& f,
                  const std::string& expect) {
    auto m = mlp();
    f(m);
    cases.push_back(mlp_case(name, bytes_of(m), expect));
  };
  using M = onnx::ModelProto;
  edit(
      "no_graph", [](M& m) { m.clear_graph(); }, "no graph");
  edit(
      "no_opset", [](M& m) { m.clear_opset_import(); }, "opset");
  edit(
      "missing_initializer", [](M& m) { m.mutable_graph()->mutable_initializer()->RemoveLast(); },
      "'b' is not defined");
  edit(
      "short_raw_data",
      [](M& m) { m.mutable_graph()->mutable_initializer(0)->mutable_raw_data()->resize(10); },
      "needs 64 bytes but raw_data has 10");
  edit(
      "initializer_2e62_elements",
      [](M& m) {
        auto* w = m.mutable_graph()->mutable_initializer(0);
        w->clear_dims();
        w->add_dims(int64_t{1} << 62);
      },
      "overflows");
  edit(
      "initializer_2e40_elements",
      [](M& m) {
        auto* w = m.mutable_graph()->mutable_initializer(0);
        w->clear_dims();
        w->add_dims(kHuge);
        w->clear_raw_data();
        w->add_float_data(1);
      },
      "initializer 'W'");
  edit(
      "initializer_negative_dim",
      [](M& m) { m.mutable_graph()->mutable_initializer(0)->set_dims(0, -4); },
      "negative dimension");
  edit(
      "initializer_string",
      [](M& m) { add_init(*m.mutable_graph(), "s", TP::STRING, {1})->add_string_data("x"); },
      "string tensor");
  edit(
      "unknown_op", [](M& m) { m.mutable_graph()->mutable_node(2)->set_op_type("NoSuchOp"); },
      "unsupported ops: NoSuchOp");
  edit(
      "unknown_domain", [](M& m) { m.mutable_graph()->mutable_node(2)->set_domain("com.example"); },
      "com.example.Relu");
  edit(
      "opset_too_new", [](M& m) { m.mutable_opset_import(0)->set_version(1000); }, "opset 1000");
  edit(
      "cycle",
      [](M& m) {
        // MatMul reads the Relu's output instead of x.
        m.mutable_graph()->mutable_node(0)->mutable_input(0)->assign(1, 'y');
      },
      "cycle");
  edit(
      "self_loop",
      [](M& m) {
        auto* n = add_node(*m.mutable_graph(), "Neg", {"z"}, {"z"});
        (void)n;
      },
      "cycle");
  edit(
      "undefined_output", [](M& m) { add_output_unshaped(*m.mutable_graph(), "nowhere"); },
      "'nowhere' is not defined");
  edit(
      "value_defined_twice", [](M& m) { add_node(*m.mutable_graph(), "Neg", {"x"}, {"h"}); },
      "defined twice");
  edit(
      "output_overwrites_input", [](M& m) { add_node(*m.mutable_graph(), "Neg", {"y"}, {"W"}); },
      "defined twice");
  edit(
      "rank_9_input",
      [](M& m) {
        auto* sh = m.mutable_graph()
                       ->mutable_input(0)
                       ->mutable_type()
                       ->mutable_tensor_type()
                       ->mutable_shape();
        for (int i = 0; i < 7; ++i) sh->add_dim()->set_dim_value(1);
      },
      "rank 9");
  edit(
      "sequence_input",
      [](M& m) { m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_sequence_type(); },
      "non-tensor type");
  edit(
      "unsupported_input_type",
      [](M& m) {
        m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->set_elem_type(
            TP::COMPLEX64);
      },
      "unsupported element type");
  edit(
      "matmul_mismatch",
      [](M& m) {
        auto* w = m.mutable_graph()->mutable_initializer(0);
        w->set_dims(0, 5);
        w->mutable_raw_data()->resize(80);
      },
      "MatMul");
  edit(
      "attribute_without_value",
      [](M& m) { m.mutable_graph()->mutable_node(2)->add_attribute()->set_name("alpha"); },
      "no value");
  edit(
      "attribute_twice",
      [](M& m) {
        for (int k = 0; k < 2; ++k) {
          auto* a = m.mutable_graph()->mutable_node(1)->add_attribute();
          a->set_name("k");
          a->set_i(1);
        }
      },
      "twice");
  // Nodes listing fewer inputs or outputs than their ONNX schema requires.
  edit(
      "too_few_inputs",
      [](M& m) { m.mutable_graph()->mutable_node(0)->mutable_input()->RemoveLast(); },
      "needs at least 2");
  edit(
      "required_input_empty",
      [](M& m) { m.mutable_graph()->mutable_node(0)->mutable_input(0)->clear(); },
      "required input 0 is missing");
  edit(
      "no_inputs", [](M& m) { m.mutable_graph()->mutable_node(2)->clear_input(); },
      "needs at least 1");
  edit(
      "no_outputs",
      [](M& m) {
        auto* n = add_node(*m.mutable_graph(), "TopK", {"y", "k"}, {"v"});
        n->clear_output();
        add_i64(*m.mutable_graph(), "k", {1});
      },
      "outputs");
  // Names are quoted in messages: control characters in them are refused.
  edit(
      "newline_in_node_name",
      [](M& m) { m.mutable_graph()->mutable_node(0)->set_name(std::string("a\nb")); },
      "node name 'a\\x0ab' contains a control character");
  edit(
      "newline_in_graph_name", [](M& m) { m.mutable_graph()->set_name(std::string("g\n\n")); },
      "control character");
  edit(
      "newline_in_dim_name",
      [](M& m) {
        m.mutable_graph()
            ->mutable_input(0)
            ->mutable_type()
            ->mutable_tensor_type()
            ->mutable_shape()
            ->mutable_dim(0)
            ->set_dim_param(std::string("b\r\n"));
      },
      "control character");
  // Subgraphs nested deeper than protobuf's recursion limit.
  edit(
      "nesting_bomb",
      [](M& m) {
        auto* g = m.mutable_graph();
        for (int d = 0; d < 120; ++d) {
          auto* n = add_node(*g, "If", {"c"}, {"r"});
          g = add_attr(n, "then_branch", onnx::AttributeProto::GRAPH)->mutable_g();
        }
      },
      "");
  edit(
      "if_without_else",
      [](M& m) {
        auto& g = *m.mutable_graph();
        add_i64(g, "cond64", {1}, true);
        auto* cast = add_node(g, "Cast", {"cond64"}, {"cond"});
        add_attr(cast, "to", onnx::AttributeProto::INT)->set_i(TP::BOOL);
        auto* n = add_node(g, "If", {"cond"}, {"r"});
        auto* then_g = add_attr(n, "then_branch", onnx::AttributeProto::GRAPH)->mutable_g();
        then_g->set_name("then");
        add_output_unshaped(*then_g, "y");
        add_output_unshaped(g, "r");
      },
      "If");
  check_all(cases);
}

// External data: offsets and lengths outside the file, paths escaping the model's folder.
TEST_F(BadInput, BadExternalData) {
  std::vector<Case> cases;
  auto ext = [&](const std::string& name, const std::string& location, const std::string& offset,
                 const std::string& length, const std::string& expect) {
    auto m = mlp();
    auto* w = m.mutable_graph()->mutable_initializer(0);
    w->clear_raw_data();
    w->set_data_location(TP::EXTERNAL);
    auto kv = [&](const char* k, const std::string& v) {
      if (v.empty()) return;
      auto* e = w->add_external_data();
      e->set_key(k);
      e->set_value(v);
    };
    kv("location", location);
    kv("offset", offset);
    kv("length", length);
    Case c = mlp_case(name, bytes_of(m), expect);
    c.from_file = true;
    c.files = {{"weights.bin", std::string(64, '\0')}, {"small.bin", std::string(16, '\0')}};
    return c;
  };
  cases.push_back(ext("ext_offset_past_end", "weights.bin", "65", "", "lies outside"));
  cases.push_back(ext("ext_length_past_end", "weights.bin", "32", "64", "lies outside"));
  cases.push_back(
      ext("ext_offset_2e63", "weights.bin", "9223372036854775807", "64", "lies outside"));
  cases.push_back(ext("ext_offset_overflow", "weights.bin", "99999999999999999999", "", "offset"));
  cases.push_back(ext("ext_offset_negative", "weights.bin", "-8", "", "offset"));
  cases.push_back(ext("ext_length_wrong", "weights.bin", "0", "32", "length is 32"));
  cases.push_back(ext("ext_file_too_small", "small.bin", "", "", "needs 64 bytes"));
  cases.push_back(ext("ext_missing_file", "nothere.bin", "", "", "not found"));
  cases.push_back(ext("ext_no_location", "", "0", "64", "without a location"));
  cases.push_back(ext("ext_dotdot", "../outside.bin", "", "", "escapes the model's folder"));
  cases.push_back(ext("ext_dotdot_inner", "sub/../../outside.bin", "", "", "escapes"));
  cases.push_back(ext("ext_absolute", root_ + "/outside.bin", "", "", "is absolute"));
  cases.push_back(ext("ext_dir", ".", "", "", ""));
  Case link = ext("ext_symlink_out", "link.bin", "", "", "outside the model's folder");
  link.links = {{"link.bin", "../outside.bin"}};
  cases.push_back(link);
  // From bytes there is no folder to resolve external data in.
  Case bytes = ext("ext_from_bytes", "weights.bin", "", "", "no folder");
  bytes.from_file = false;
  bytes.cli_expect = "";  // the command loads the file, which then fails on the input
  bytes.inputs = {{"x", npy_f32(Shape{2, 5})}};
  cases.push_back(bytes);
  check_all(cases);
}

// Inputs of the wrong dtype, rank or shape, unknown, missing, or above their dim bounds.
TEST_F(BadInput, BadInputs) {
  const std::string model = bytes_of(mlp());
  std::vector<Case> cases;
  auto in = [&](const std::string& name, std::string npy_bytes, const std::string& expect) {
    Case c = mlp_case(name, model, expect);
    c.inputs = {{"x", std::move(npy_bytes)}};
    return c;
  };
  cases.push_back(in("input_dtype", npy_i64(Shape{2, 4}, {}), "dtype"));
  cases.push_back(in("input_rank", npy_f32(Shape{8}), "rank"));
  cases.push_back(in("input_rank0", npy_f32(Shape{}), "rank"));
  cases.push_back(in("input_shape", npy_f32(Shape{2, 5}), "shape"));
  Case unknown = mlp_case("input_unknown", model, "no input named 'nope'");
  unknown.inputs.push_back({"nope", npy_f32(Shape{2, 4})});
  cases.push_back(unknown);
  Case missing = mlp_case("input_missing", model, "'x' was not set");
  missing.inputs.clear();
  missing.cli_expect = "missing --input x";
  cases.push_back(missing);
  Case bound = mlp_case("input_above_bound", model, "above its bound");
  bound.dims = {{"batch", 1}};
  cases.push_back(bound);
  Case neg = mlp_case("input_negative_dim", model, "negative dim");
  neg.cli = false;  // .npy files cannot hold negative dims (see BadNpyFiles)
  neg.api = [](Session& s) {
    static float data[8];
    TensorView v = make_view(data, DType::kF32, Shape{2, 4});
    v.shape.d[0] = -2;
    s.set_input("x", v);
  };
  cases.push_back(neg);
  Case null = mlp_case("input_no_data", model, "no data");
  null.cli = false;
  null.api = [](Session& s) { s.set_input("x", make_view(nullptr, DType::kF32, Shape{2, 4})); };
  cases.push_back(null);
  check_all(cases);
}

// Corrupt .npy files given as the input of the valid model.
TEST_F(BadInput, BadNpyFiles) {
  const std::string model = bytes_of(mlp());
  std::vector<Case> cases;
  auto bad = [&](const std::string& name, std::string bytes, const std::string& expect = "npy") {
    Case c = mlp_case(name, model, expect);
    c.inputs = {{"x", std::move(bytes)}};
    cases.push_back(c);
  };
  const std::string good = npy_f32(Shape{2, 4});
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), }";
  auto with_dict = [&](const std::string& d, size_t data_bytes = 32) {
    return npy_header(d) + std::string(data_bytes, '\0');
  };
  bad("npy_empty", "");
  bad("npy_magic_only", "\x93NUMPY");
  bad("npy_bad_magic", "\x93NUMPX" + good.substr(6));
  bad("npy_truncated_header", good.substr(0, 40));
  bad("npy_truncated_data", good.substr(0, good.size() - 3));
  bad("npy_extra_data", good + "xyz");
  bad("npy_version_9", std::string("\x93NUMPY\x09\x00", 8) + good.substr(8));
  std::string long_header = good;
  long_header[8] = '\xff';
  long_header[9] = '\xff';
  bad("npy_header_past_end", long_header);
  bad("npy_complex", with_dict("{'descr': '<c8', 'fortran_order': False, 'shape': (2, 4), }", 64));
  bad("npy_big_endian", with_dict("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 4), }"));
  bad("npy_object", with_dict("{'descr': '|O', 'fortran_order': False, 'shape': (2, 4), }"));
  bad("npy_structured",
      with_dict("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2, 4), }"));
  bad("npy_fortran", with_dict("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 4), }"));
  bad("npy_negative_dim",
      with_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 4), }"));
  bad("npy_dim_overflow",
      with_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999, 4), }"));
  bad("npy_size_overflow", with_dict("{'descr': '<f4', 'fortran_order': False, 'shape': "
                                     "(4294967296, 4294967296, 4294967296), }"));
  bad("npy_huge_shape",
      with_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 4), }"));
  bad("npy_rank_9", with_dict("{'descr': '<f4', 'fortran_order': False, 'shape': "
                              "(1, 1, 1, 1, 1, 1, 1, 2, 4), }"));
  bad("npy_no_shape", with_dict("{'descr': '<f4', 'fortran_order': False, }"));
  bad("npy_unterminated", with_dict("{'descr': '<f4, 'fortran_order': False, 'shape': (2, 4), }"));
  bad("npy_not_a_dict", with_dict("['descr', '<f4']"));
  bad("npy_binary_header", with_dict(std::string("{\0\1\2\3", 5)));
  check_all(cases);
}

// Negative and absurdly large dims: shapes computed in the graph, declared on inputs, or bound
// for symbols. Over-large plans are refused naming the memory limit.
TEST_F(BadInput, HugeAndNegativeDims) {
  std::vector<Case> cases;
  auto add = [&](const std::string& name, const onnx::ModelProto& m, Inputs inputs,
                 const std::string& expect) {
    return add_case(cases, name, m, std::move(inputs), expect);
  };
  const std::string limit = "over the memory limit of 67108864 bytes";
  auto cos = [](std::vector<int64_t> shape) {
    return single("ConstantOfShape", {"s"},
                  [shape](onnx::GraphProto& g, onnx::NodeProto*) { add_i64(g, "s", shape); });
  };
  add("constant_of_shape_2e40", cos({kHuge}), {}, limit);
  add("constant_of_shape_2e20_squared", cos({1 << 20, 1 << 20}), {}, limit);
  add("constant_of_shape_overflow", cos({1ll << 31, 1ll << 31, 1ll << 31}), {}, "overflow");
  add("constant_of_shape_negative", cos({4, -3}), {}, "ConstantOfShape");
  // The shape comes in as an input at run time.
  add("constant_of_shape_from_input",
      single("ConstantOfShape", {"s"},
             [](onnx::GraphProto& g, onnx::NodeProto*) { add_input(g, "s", TP::INT64, {"1"}); }),
      {{"s", npy_i64(Shape{1}, {kHuge})}}, limit);
  add("constant_of_shape_negative_input",
      single("ConstantOfShape", {"s"},
             [](onnx::GraphProto& g, onnx::NodeProto*) { add_input(g, "s", TP::INT64, {"2"}); }),
      {{"s", npy_i64(Shape{2}, {-1, 5})}}, "ConstantOfShape");
  auto reshape = [](std::vector<int64_t> target) {
    return single("Reshape", {"x", "s"}, [target](onnx::GraphProto& g, onnx::NodeProto*) {
      add_input(g, "x", TP::FLOAT, {"batch", "4"});
      add_i64(g, "s", target);
    });
  };
  const auto x14 = std::vector<std::pair<std::string, std::string>>{{"x", npy_f32(Shape{1, 4})}};
  add("reshape_2e40", reshape({1 << 20, 1 << 20}), x14, "Reshape");
  add("reshape_overflow", reshape({1ll << 40, 1ll << 40}), x14, "Reshape");
  add("reshape_negative", reshape({-2, -2}), x14, "Reshape");
  add("reshape_two_minus_one", reshape({-1, -1}), x14, "Reshape");
  add("expand_2e40",
      single("Expand", {"x", "s"},
             [](onnx::GraphProto& g, onnx::NodeProto*) {
               add_input(g, "x", TP::FLOAT, {"1", "4"});
               add_i64(g, "s", {kHuge, 4});
             }),
      x14, limit);
  add("expand_negative",
      single("Expand", {"x", "s"},
             [](onnx::GraphProto& g, onnx::NodeProto*) {
               add_input(g, "x", TP::FLOAT, {"1", "4"});
               add_i64(g, "s", {-5, 4});
             }),
      x14, "Expand");
  add("tile_2e40",
      single("Tile", {"x", "r"},
             [](onnx::GraphProto& g, onnx::NodeProto*) {
               add_input(g, "x", TP::FLOAT, {"1", "4"});
               add_i64(g, "r", {kHuge, 1});
             }),
      x14, limit);
  add("tile_negative",
      single("Tile", {"x", "r"},
             [](onnx::GraphProto& g, onnx::NodeProto*) {
               add_input(g, "x", TP::FLOAT, {"1", "4"});
               add_i64(g, "r", {-1, 1});
             }),
      x14, "Tile");
  auto range = [](int64_t start, int64_t limit_v, int64_t delta) {
    auto m = single(
        "Range", {"a", "l", "d"},
        [](onnx::GraphProto& g, onnx::NodeProto*) {
          for (const char* n : {"a", "l", "d"}) add_input(g, n, TP::INT64, {});
        },
        TP::INT64);
    return std::pair{
        m, std::vector<std::pair<std::string, std::string>>{{"a", npy_i64(Shape{}, {start})},
                                                            {"l", npy_i64(Shape{}, {limit_v})},
                                                            {"d", npy_i64(Shape{}, {delta})}}};
  };
  auto [r1, r1_in] = range(0, kHuge, 1);
  add("range_2e40_from_inputs", r1, r1_in, limit);
  auto [r2, r2_in] = range(0, 10, 0);
  add("range_zero_delta", r2, r2_in, "Range");
  auto [r3, r3_in] = range(INT64_MIN, INT64_MAX, 1);
  add("range_overflow", r3, r3_in, "");
  // Inputs declared with huge dims: the API plans the declared shape; the command cannot give
  // such an input and fails on the shape of the one it has.
  auto declared = [&](const std::string& name, std::vector<std::string> dims,
                      const std::string& expect) {
    auto m = single("Relu", {"x"}, [&dims](onnx::GraphProto& g, onnx::NodeProto*) {
      add_input(g, "x", TP::FLOAT, dims);
    });
    Case* c = add(name, m, {{"x", npy_f32(Shape{4})}}, expect);
    c->plan_only = true;
    c->cli_expect = "";
  };
  declared("input_declared_2e40", {std::to_string(kHuge)}, limit);
  declared("input_declared_2e20_squared", {"1048576", "1048576"}, limit);
  declared("input_declared_overflow", {"4294967296", "4294967296", "4294967296"}, "overflow");
  // A symbolic dim bounded at 2^40 (SessionOptions::dim_bounds / --dim).
  Case* b = add("symbol_bound_2e40", mlp(), {{"x", npy_f32(Shape{1, 4})}}, limit);
  b->dims = {{"batch", kHuge}};
  Case* b2 = add("symbol_bound_int64_max", mlp(), {{"x", npy_f32(Shape{1, 4})}}, "");
  b2->dims = {{"batch", INT64_MAX}};
  check_all(cases);
}

// Bad attributes and data-dependent indices of common ops.
TEST_F(BadInput, BadOpArguments) {
  std::vector<Case> cases;
  auto add = [&](const std::string& name, const onnx::ModelProto& m, Inputs inputs,
                 const std::string& expect) {
    return add_case(cases, name, m, std::move(inputs), expect);
  };
  auto ints = [](onnx::NodeProto* n, const std::string& name, std::vector<int64_t> v) {
    auto* a = add_attr(n, name, onnx::AttributeProto::INTS);
    for (auto x : v) a->add_ints(x);
  };
  auto int1 = [](onnx::NodeProto* n, const std::string& name, int64_t v) {
    add_attr(n, name, onnx::AttributeProto::INT)->set_i(v);
  };
  const auto x24 = std::vector<std::pair<std::string, std::string>>{{"x", npy_f32(Shape{2, 4})}};
  auto x_in = [](onnx::GraphProto& g) { add_input(g, "x", TP::FLOAT, {"2", "4"}); };
  auto gather = [&] {
    return single("Gather", {"x", "i"}, [&](onnx::GraphProto& g, onnx::NodeProto*) {
      x_in(g);
      add_input(g, "i", TP::INT64, {"1"});
    });
  };
  add("gather_index_past_end", gather(), {x24[0], {"i", npy_i64(Shape{1}, {100})}}, "Gather");
  add("gather_index_negative", gather(), {x24[0], {"i", npy_i64(Shape{1}, {-100})}}, "Gather");
  add("gather_index_int64_min", gather(), {x24[0], {"i", npy_i64(Shape{1}, {INT64_MIN})}},
      "Gather");
  add("gather_axis",
      single("Gather", {"x", "i"},
             [&](onnx::GraphProto& g, onnx::NodeProto* n) {
               x_in(g);
               add_i64(g, "i", {0});
               int1(n, "axis", 7);
             }),
      x24, "Gather");
  add("transpose_perm",
      single("Transpose", {"x"},
             [&](onnx::GraphProto& g, onnx::NodeProto* n) {
               x_in(g);
               ints(n, "perm", {0, 0});
             }),
      x24, "Transpose");
  add("softmax_axis",
      single("Softmax", {"x"},
             [&](onnx::GraphProto& g, onnx::NodeProto* n) {
               x_in(g);
               int1(n, "axis", 5);
             }),
      x24, "Softmax");
  add("concat_axis",
      single("Concat", {"x", "x"},
             [&](onnx::GraphProto& g, onnx::NodeProto* n) {
               x_in(g);
               int1(n, "axis", -9);
             }),
      x24, "Concat");
  add("concat_rank_mismatch",
      single("Concat", {"x", "v"},
             [&](onnx::GraphProto& g, onnx::NodeProto* n) {
               x_in(g);
               add_f32(g, "v", {4}, 1);
               int1(n, "axis", 0);
             }),
      x24, "Concat");
  add("split_sizes",
      single("Split", {"x", "s"},
             [&](onnx::GraphProto& g, onnx::NodeProto* n) {
               x_in(g);
               add_i64(g, "s", {3, 3});
               int1(n, "axis", 1);
               n->add_output("y2");
             }),
      x24, "Split");
  add("slice_zero_step",
      single("Slice", {"x", "st", "en", "ax", "sp"},
             [&](onnx::GraphProto& g, onnx::NodeProto*) {
               x_in(g);
               add_i64(g, "st", {0});
               add_i64(g, "en", {2});
               add_i64(g, "ax", {1});
               add_i64(g, "sp", {0});
             }),
      x24, "Slice");
  add("cast_to_string",
      single("Cast", {"x"},
             [&](onnx::GraphProto& g, onnx::NodeProto* n) {
               x_in(g);
               int1(n, "to", TP::STRING);
             }),
      x24, "Cast");
  auto conv = [&](const std::function<void(onnx::NodeProto*)>& attrs) {
    return single("Conv", {"x", "w"}, [&](onnx::GraphProto& g, onnx::NodeProto* n) {
      add_input(g, "x", TP::FLOAT, {"1", "1", "8"});
      add_f32(g, "w", {1, 1, 3}, 1);
      attrs(n);
    });
  };
  const auto x118 =
      std::vector<std::pair<std::string, std::string>>{{"x", npy_f32(Shape{1, 1, 8})}};
  add("conv_zero_stride", conv([&](onnx::NodeProto* n) { ints(n, "strides", {0}); }), x118, "Conv");
  add("conv_overflowing_dilation",
      conv([&](onnx::NodeProto* n) { ints(n, "dilations", {int64_t{1} << 62}); }), x118, "Conv");
  add("conv_overflowing_pads", conv([&](onnx::NodeProto* n) {
        ints(n, "pads", {INT64_MAX, INT64_MAX});
      }),
      x118, "Conv");
  add("conv_negative_pad", conv([&](onnx::NodeProto* n) {
        ints(n, "pads", {-20, 0});
      }),
      x118, "Conv");
  add("conv_huge_pad", conv([&](onnx::NodeProto* n) {
        ints(n, "pads", {kHuge, kHuge});
      }),
      x118, "");
  add("conv_groups", conv([&](onnx::NodeProto* n) { int1(n, "group", 0); }), x118, "Conv");
  add("conv_kernel_rank",
      single("Conv", {"x", "w"},
             [&](onnx::GraphProto& g, onnx::NodeProto*) {
               add_input(g, "x", TP::FLOAT, {"1", "1", "8"});
               add_f32(g, "w", {1, 1}, 1);
             }),
      x118, "Conv");
  add("pad_huge",
      single("Pad", {"x", "p"},
             [&](onnx::GraphProto& g, onnx::NodeProto*) {
               x_in(g);
               add_i64(g, "p", {0, kHuge, 0, 0});
             }),
      x24, "limit");
  add("pad_negative_past_size",
      single("Pad", {"x", "p"},
             [&](onnx::GraphProto& g, onnx::NodeProto*) {
               x_in(g);
               add_i64(g, "p", {0, -10, 0, 0});
             }),
      x24, "Pad");
  add("onehot_depth_huge",
      single("OneHot", {"i", "d", "v"},
             [&](onnx::GraphProto& g, onnx::NodeProto*) {
               add_input(g, "i", TP::INT64, {"2"});
               add_i64(g, "d", {kHuge}, true);
               add_f32(g, "v", {2}, 1);
             }),
      {{"i", npy_i64(Shape{2}, {0, 1})}}, "limit");
  add("eyelike_rank",
      single("EyeLike", {"x"},
             [&](onnx::GraphProto& g, onnx::NodeProto*) {
               add_input(g, "x", TP::FLOAT, {"2", "2", "2"});
             }),
      {{"x", npy_f32(Shape{2, 2, 2})}}, "EyeLike");
  add("topk_k_huge",
      single("TopK", {"x", "k"},
             [&](onnx::GraphProto& g, onnx::NodeProto* n) {
               x_in(g);
               add_i64(g, "k", {kHuge});
               n->add_output("idx");
             }),
      x24, "TopK");
  add("where_broadcast",
      single("Where", {"c", "x", "x"},
             [&](onnx::GraphProto& g, onnx::NodeProto*) {
               x_in(g);
               add_input(g, "c", TP::BOOL, {"3"});
             }),
      {x24[0], {"c", npy<uint8_t>(DType::kBool, Shape{3})}}, "Where");
  check_all(cases);
}

// Inputs the fuzzer found crashing or misbehaving, replayed through its harness.
TEST(BadInputRegressions, FuzzRegressionsDoNotCrash) {
  const fs::path dir = fs::path(WRUN_SOURCE_DIR) / "fuzz" / "regressions";
  if (!fs::exists(dir)) GTEST_SKIP() << "no " << dir;
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (!e.is_regular_file() || e.path().filename().string()[0] == '.') continue;
    std::ifstream f(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    Watchdog wd(e.path().filename().string(), kCaseSeconds);
    AddressSpaceCap cap;
    std::string err;
    try {
      fuzz::load_and_run(ss.str(), &err);
    } catch (const std::exception& ex) {
      ADD_FAILURE() << e.path() << ": not a wrun::Error: " << ex.what();
    }
    ++n;
  }
  std::printf("[ BadInput ] replayed %d fuzz regressions\n", n);
}

}  // namespace
}  // namespace wrun
