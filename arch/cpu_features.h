// CPU features, detected once at start-up. arch/ knows nothing about graphs or ops.
#pragma once
#include <string>

namespace wrun::arch {

struct CpuFeatures {
  // x86
  bool avx2 = false, fma = false, avx512f = false, avx512bw = false, avx512vnni = false,
       avx_vnni = false, amx_int8 = false;
  // ARM
  bool neon = false, dotprod = false, i8mm = false, sve = false, sve2 = false;
  int sve_bytes = 0;
  int cores = 1;
  std::string describe() const;  // "x86_64 avx2 fma avx512f ..."
};

// Detected once (thread-safe); later calls return the same object.
const CpuFeatures& cpu_features();

}  // namespace wrun::arch
