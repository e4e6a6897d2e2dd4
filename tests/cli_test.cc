// The wrun command as a user meets it: help, version, one-line errors with non-zero exits on bad
// models, bad inputs and bad options, and info/run on real models.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "runtime/npy.h"
#include "tests/cli_util.h"
#include "tests/test_models.h"

namespace wrun {
namespace {

using test::one_line_error;
using test::Result;
using test::slurp;
using test::wrun;

std::string write_file(const std::string& name, const std::string& bytes) {
  const std::string p = ::testing::TempDir() + name;
  std::ofstream(p, std::ios::binary) << bytes;
  return p;
}

TEST(Cli, HelpAndVersion) {
  EXPECT_EQ(wrun("--version").code, 0);
  EXPECT_NE(wrun("--version").out.find("wrun "), std::string::npos);
  EXPECT_EQ(wrun("--help").code, 0);
  EXPECT_EQ(wrun("info --help").code, 0);
  EXPECT_NE(wrun("info --help").out.find("usage: wrun info"), std::string::npos);
  EXPECT_EQ(wrun("run --help").code, 0);
  EXPECT_NE(wrun("run --help").out.find("usage: wrun run"), std::string::npos);
  EXPECT_NE(wrun("").code, 0);
  EXPECT_TRUE(one_line_error(wrun("frobnicate"), "unknown command"));
  EXPECT_TRUE(one_line_error(wrun("info --bogus x.onnx"), "unknown option --bogus"));
}

TEST(Cli, BadModelFiles) {
  EXPECT_TRUE(one_line_error(wrun("info /nonexistent/model.onnx"), "/nonexistent/model.onnx"));
  EXPECT_TRUE(one_line_error(wrun("info " + write_file("empty.onnx", ""))));
  std::mt19937 rng(7);
  std::string junk(4096, '\0');
  for (auto& c : junk) c = static_cast<char>(rng());
  EXPECT_TRUE(one_line_error(wrun("info " + write_file("junk.onnx", junk))));
  EXPECT_TRUE(one_line_error(wrun("run " + write_file("junk2.onnx", junk) + " --output-dir " +
                                  ::testing::TempDir() + "o")));
}

TEST(Cli, TranscribeAndMelBadInput) {
  EXPECT_EQ(wrun("transcribe --help").code, 0);
  EXPECT_EQ(wrun("mel --help").code, 0);
  const std::string dir = ::testing::TempDir();
  EXPECT_TRUE(one_line_error(wrun("mel /nonexistent.wav -o " + dir + "m.npy"), "/nonexistent.wav"));
  EXPECT_TRUE(one_line_error(wrun("mel " + write_file("empty.wav", "") + " -o " + dir + "m.npy")));
  EXPECT_TRUE(one_line_error(
      wrun("mel " + write_file("junk.mp3", "ID3junkjunk") + " -o " + dir + "m.npy")));
  // A folder that is not a Whisper export, and audio that cannot be read.
  EXPECT_TRUE(one_line_error(wrun("transcribe " + dir + " " + write_file("e.wav", "")), "e.wav"));
  std::vector<int16_t> pcm(1600, 0);
  std::string wav = "RIFF" + std::string(4, '\0') + "WAVEfmt ";
  auto u32 = [&](uint32_t v) { wav.append(reinterpret_cast<const char*>(&v), 4); };
  auto u16 = [&](uint16_t v) { wav.append(reinterpret_cast<const char*>(&v), 2); };
  u32(16), u16(1), u16(1), u32(16000), u32(32000), u16(2), u16(16);
  wav += "data";
  u32(static_cast<uint32_t>(pcm.size() * 2));
  wav.append(reinterpret_cast<const char*>(pcm.data()), pcm.size() * 2);
  const uint32_t riff = static_cast<uint32_t>(wav.size() - 8);
  wav.replace(4, 4, reinterpret_cast<const char*>(&riff), 4);
  const std::string ok_wav = write_file("silence.wav", wav);
  EXPECT_TRUE(one_line_error(wrun("transcribe " + dir + "no_such_dir " + ok_wav)));
  EXPECT_TRUE(one_line_error(wrun("transcribe " + dir + " " + ok_wav), "encoder_model.onnx"));
  EXPECT_TRUE(
      one_line_error(wrun("transcribe " + dir + " " + ok_wav + " --format xml"), "--format"));
  Result r = wrun("mel " + ok_wav + " -o " + dir + "silence_mel.npy");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(read_npy(dir + "silence_mel.npy").shape, (Shape{1, 80, 3000}));
}

class CliModels : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    dir_ = testing::test_models_dir(&why);
    if (dir_.empty()) GTEST_SKIP() << why;
  }
  std::string dir_;
};

TEST_F(CliModels, InfoTextAndJson) {
  Result r = wrun("info " + dir_ + "/decoder_step.onnx");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("past_key.0"), std::string::npos);
  EXPECT_NE(r.out.find("[1,4,past,16]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("MatMul"), std::string::npos);

  r = wrun("info " + dir_ + "/encoder.onnx --json --shape input_features=1,80,300");
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["inputs"][0]["name"], "input_features");
  EXPECT_EQ(j["inputs"][0]["shape"][2], "frames");
  EXPECT_EQ(j["ops"]["Conv"], 2);
  EXPECT_TRUE(j["unsupported_ops"].empty());
  ASSERT_TRUE(j.contains("plan")) << r.out;
  EXPECT_GE(j["plan"]["arena_bytes"].get<size_t>(), j["plan"]["lower_bound_bytes"].get<size_t>());
  EXPECT_GT(j["plan"]["weight_bytes"].get<size_t>(), 100000u);

  EXPECT_TRUE(one_line_error(wrun("info " + dir_ + "/encoder.onnx --shape nope=1,2"), "nope"));
  EXPECT_TRUE(one_line_error(wrun("info " + dir_ + "/encoder.onnx --shape input_features=1,x")));
}

TEST_F(CliModels, RunRejectsBadInputs) {
  const std::string model = dir_ + "/encoder.onnx";
  const std::string out = " --output-dir " + ::testing::TempDir() + "cli_run_out";
  // Missing input, unknown input, corrupt .npy, wrong dtype, wrong rank, wrong fixed dim.
  EXPECT_TRUE(one_line_error(wrun("run " + model + out), "input_features"));
  EXPECT_TRUE(one_line_error(wrun("run " + model + out + " --input input_features=" + dir_ +
                                  "/encoder_in.npy" + " --input bogus=" + dir_ + "/encoder_in.npy"),
                             "bogus"));
  EXPECT_TRUE(one_line_error(wrun(
      "run " + model + out + " --input input_features=" + write_file("bad.npy", "\x93NUMPY"))));
  auto save = [](const std::string& name, DType dt, Shape s) {
    std::vector<uint8_t> buf(static_cast<size_t>(s.numel()) * dtype_size(dt));
    const std::string p = ::testing::TempDir() + name;
    write_npy(p, make_view(buf.data(), dt, s));
    return p;
  };
  EXPECT_TRUE(one_line_error(wrun("run " + model + out + " --input input_features=" +
                                  save("i64.npy", DType::kI64, Shape{1, 80, 10})),
                             "dtype"));
  EXPECT_TRUE(one_line_error(wrun("run " + model + out + " --input input_features=" +
                                  save("rank2.npy", DType::kF32, Shape{80, 10})),
                             "rank"));
  EXPECT_TRUE(one_line_error(wrun("run " + model + out + " --input input_features=" +
                                  save("dim.npy", DType::kF32, Shape{1, 81, 10})),
                             "shape"));
  // A memory limit below what the plan needs is refused, naming the limit.
  EXPECT_TRUE(
      one_line_error(wrun("run " + model + out + " --max-memory 4K --input input_features=" + dir_ +
                          "/encoder_in.npy"),
                     "limit"));
  EXPECT_TRUE(one_line_error(wrun(
      "run " + model + out + " --threads x --input input_features=" + dir_ + "/encoder_in.npy")));
}

TEST_F(CliModels, RunWritesEveryOutput) {
  const std::string outdir = ::testing::TempDir() + "cli_run_ok";
  Result r = wrun("run " + dir_ + "/encoder.onnx --output-dir " + outdir +
                  " --input input_features=" + dir_ + "/encoder_in.npy --reference --verbose");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("arena"), std::string::npos);
  NpyArray a = read_npy(outdir + "/last_hidden_state.npy");
  EXPECT_EQ(a.shape, (Shape{1, 100, 64}));
}

}  // namespace
}  // namespace wrun
