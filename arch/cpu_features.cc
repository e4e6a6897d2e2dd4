#include "arch/cpu_features.h"

#include <cpuinfo.h>

#include <thread>

#if defined(__aarch64__)
#include <sys/auxv.h>
#endif

namespace wrun::arch {

static CpuFeatures detect() {
  CpuFeatures f;
  f.cores = static_cast<int>(std::thread::hardware_concurrency());
  if (f.cores <= 0) f.cores = 1;
  if (!cpuinfo_initialize()) return f;
#if defined(__x86_64__) || defined(__i386__)
  f.avx2 = cpuinfo_has_x86_avx2();
  f.fma = cpuinfo_has_x86_fma3();
  f.avx512f = cpuinfo_has_x86_avx512f();
  f.avx512bw = cpuinfo_has_x86_avx512bw();
  f.avx512vnni = cpuinfo_has_x86_avx512vnni();
  // This cpuinfo version has no getters for AVX-VNNI or AMX: read CPUID leaf 7 ourselves.
  unsigned a, b, c, d;
  __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(1));
  f.avx_vnni = (a >> 4) & 1;
  __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
  f.amx_int8 = (d >> 25) & 1;
#elif defined(__aarch64__)
  f.neon = cpuinfo_has_arm_neon();
  f.dotprod = cpuinfo_has_arm_neon_dot();
  f.sve = cpuinfo_has_arm_sve();
  f.sve2 = cpuinfo_has_arm_sve2();
  unsigned long hwcap2 = getauxval(AT_HWCAP2);
  f.i8mm = (hwcap2 & (1UL << 13)) != 0;  // HWCAP2_I8MM
  if (f.sve) {
    unsigned long vl;
    __asm__ volatile(".arch armv8.2-a+sve\n rdvl %0, #1" : "=r"(vl));
    f.sve_bytes = static_cast<int>(vl);
  }
#endif
  return f;
}

const CpuFeatures& cpu_features() {
  static const CpuFeatures f = detect();
  return f;
}

std::string CpuFeatures::describe() const {
  std::string s;
#if defined(__x86_64__)
  s = "x86_64";
#elif defined(__aarch64__)
  s = "aarch64";
#else
  s = "generic";
#endif
  auto add = [&](bool on, const char* name) {
    if (on) {
      s += ' ';
      s += name;
    }
  };
  add(avx2, "avx2");
  add(fma, "fma");
  add(avx512f, "avx512f");
  add(avx512bw, "avx512bw");
  add(avx512vnni, "avx512vnni");
  add(avx_vnni, "avx-vnni");
  add(amx_int8, "amx-int8");
  add(neon, "neon");
  add(dotprod, "dotprod");
  add(i8mm, "i8mm");
  add(sve, "sve");
  add(sve2, "sve2");
  if (sve_bytes) s += " vl=" + std::to_string(sve_bytes * 8);
  s += " cores=" + std::to_string(cores);
  return s;
}

}  // namespace wrun::arch
