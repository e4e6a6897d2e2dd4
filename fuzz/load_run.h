// Load + plan + run of arbitrary bytes, shared by the libFuzzer target (fuzz_load_run.cc) and the
// replay of fuzz/regressions/ in tests/bad_input_test.cc. A model either runs or fails with one
// line of wrun::Error; anything else (another exception, a crash, a sanitizer report, an
// allocation above the fuzzer's memory limit) is a bug.
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "graph/error.h"
#include "runtime/session.h"

namespace wrun::fuzz {

constexpr size_t kMaxModelBytes = 4u << 20;
constexpr size_t kMaxMemory = 16u << 20;  // plans above this are refused
constexpr int64_t kMaxInputElements = 1 << 14;

// Small deterministic values: integers 0..2 (valid as indices, axes and sizes more often than
// not), floats in [-0.5, 1].
template <class T>
void fill(void* p, int64_t n) {
  T* d = static_cast<T*>(p);
  for (int64_t k = 0; k < n; ++k) {
    if constexpr (std::is_floating_point_v<T>)
      d[k] = static_cast<T>(static_cast<double>(k % 7) * 0.25 - 0.5);
    else
      d[k] = static_cast<T>(k % 3);
  }
}

inline void fill_input(void* p, DType dt, int64_t n) {
  switch (dt) {
    case DType::kF32:
      return fill<float>(p, n);
    case DType::kF64:
      return fill<double>(p, n);
    case DType::kI8:
      return fill<int8_t>(p, n);
    case DType::kU8:
      return fill<uint8_t>(p, n);
    case DType::kI16:
      return fill<int16_t>(p, n);
    case DType::kU16:
      return fill<uint16_t>(p, n);
    case DType::kI32:
      return fill<int32_t>(p, n);
    case DType::kU32:
      return fill<uint32_t>(p, n);
    case DType::kI64:
      return fill<int64_t>(p, n);
    case DType::kU64:
      return fill<uint64_t>(p, n);
    case DType::kBool: {
      auto* d = static_cast<uint8_t*>(p);
      for (int64_t k = 0; k < n; ++k) d[k] = k % 2;
      return;
    }
    case DType::kF16:
    case DType::kBF16: {
      auto* d = static_cast<uint16_t*>(p);
      for (int64_t k = 0; k < n; ++k) d[k] = dt == DType::kF16 ? 0x3c00 : 0x3f80;  // 1.0
      return;
    }
    default:
      return;
  }
}

// Reads every element of an output through its strides, so a view pointing at the wrong memory
// shows up under AddressSanitizer.
inline unsigned touch(const TensorView& v) {
  const size_t es = dtype_size(v.dtype);
  if (!v.data || es == 0 || v.numel() <= 0) return 0;
  unsigned acc = 0;
  int64_t idx[kMaxRank] = {};
  const auto* base = static_cast<const unsigned char*>(v.data);
  for (int64_t k = 0; k < v.numel(); ++k) {
    int64_t off = 0;
    for (int d = 0; d < v.shape.rank; ++d) off += idx[d] * v.strides[d];
    for (size_t b = 0; b < es; ++b) acc += base[off * static_cast<int64_t>(es) + b];
    for (int d = v.shape.rank - 1; d >= 0; --d) {
      if (++idx[d] < v.shape.d[d]) break;
      idx[d] = 0;
    }
  }
  return acc;
}

// Returns true if the model ran, false if it was refused (the message goes to *error) or its
// inputs cannot be made small. Aborts on an error message that is empty or not one line.
inline bool load_and_run(std::string_view bytes, std::string* error = nullptr) {
  try {
    ModelOptions mo;
    mo.max_bytes = kMaxModelBytes;
    auto model = Model::load_bytes(bytes, mo);
    SessionOptions so;
    so.max_memory = kMaxMemory;
    Session session(model, so);
    const auto inputs = model->inputs();
    std::vector<std::vector<uint64_t>> buffers(inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
      const ValueInfo& in = inputs[i];
      const size_t es = dtype_size(in.dtype);
      if (es == 0) continue;  // left unset: run() names it
      Shape s;
      if (!in.shape.rank_known()) {
        s = Shape{2};
      } else {
        for (int d = 0; d < in.shape.rank; ++d) {
          const Dim& dim = in.shape.d[d];
          // Symbolic dims get small values; one symbol has one value across inputs.
          const int64_t v = dim.is_known() ? dim.value : 1 + dim.sym % 4;
          if (v > kMaxInputElements) return false;
          s.push(v);
        }
      }
      int64_t n = 1;
      for (int d = 0; d < s.rank; ++d) {
        n *= s.d[d];
        if (n > kMaxInputElements) return false;
      }
      buffers[i].assign((static_cast<size_t>(n) * es + 7) / 8 + 1, 0);
      fill_input(buffers[i].data(), in.dtype, n);
      session.set_input(in.name, make_view(buffers[i].data(), in.dtype, s));
    }
    session.run();
    volatile unsigned sink = 0;
    for (const auto& out : model->outputs()) sink = sink + touch(session.output(out.name));
    return true;
  } catch (const Error& e) {
    const char* msg = e.what();
    if (!*msg || std::strchr(msg, '\n')) {
      std::fprintf(stderr, "wrun::Error is not one line: '%s'\n", msg);
      std::abort();
    }
    if (error) *error = msg;
    return false;
  }
}

}  // namespace wrun::fuzz
