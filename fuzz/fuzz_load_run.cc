// libFuzzer entry point: arbitrary bytes as an ONNX model, loaded, planned under a small memory
// limit and run on small inputs (fuzz/load_run.h). Crashes, sanitizer reports, uncaught
// exceptions, timeouts and allocations above -rss_limit_mb are findings.
#include <google/protobuf/stubs/logging.h>

#include <cstddef>
#include <cstdint>

#include "fuzz/load_run.h"

namespace {
// Protobuf logs parse problems to stderr; the loader already reports them as errors.
void quiet(google::protobuf::LogLevel, const char*, int, const std::string&) {}
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(quiet);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  wrun::fuzz::load_and_run(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
