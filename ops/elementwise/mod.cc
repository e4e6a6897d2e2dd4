// Mod (integer and float remainders) and BitShift, with numpy broadcasting.
#include <cmath>
#include <type_traits>

#include "ops/elementwise/map_ops.h"

namespace wrun::ops::elementwise {
namespace {

// fmod=1: C's fmod / truncated remainder, with the sign of the dividend. fmod=0: the sign of the
// divisor (numpy.mod), which ONNX defines for integers; floats follow numpy.mod too. Integer
// division by zero gives 0 (numpy's result) rather than a trap.
struct ModOp {
  bool fmod;
  static ModOp make(const graph::Node& n, int64_t) {
    const int64_t f = n.attr_i("fmod", 0);
    if (f != 0 && f != 1) fail("Mod '", n.name, "': fmod must be 0 or 1, got ", f);
    return {f == 1};
  }
  template <class T>
  T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      T r = std::fmod(a, b);
      if (!fmod) {
        if (r == T(0))
          r = std::copysign(T(0), b);
        else if ((r < T(0)) != (b < T(0)))
          r += b;
      }
      return r;
    } else {
      if (b == 0) return 0;
      if constexpr (std::is_signed_v<T>)
        if (b == -1) return 0;  // MIN % -1 overflows in C++
      T r = static_cast<T>(a % b);
      if constexpr (std::is_signed_v<T>)
        if (!fmod && r != 0 && ((r < 0) != (b < 0))) r = static_cast<T>(r + b);
      return r;
    }
  }
};

// Shifts by the bit width or more give 0 (C++ leaves them undefined).
struct BitShiftOp {
  bool left;
  static BitShiftOp make(const graph::Node& n, int64_t) {
    const std::string_view d = n.attr_s("direction", "");
    if (d != "LEFT" && d != "RIGHT")
      fail("BitShift '", n.name, "': direction must be \"LEFT\" or \"RIGHT\", got \"", d, "\"");
    return {d == "LEFT"};
  }
  template <class T>
  T operator()(T a, T b) const {
    if (b >= sizeof(T) * 8) return 0;
    return left ? static_cast<T>(WrapType<T>(a) << b) : static_cast<T>(a >> b);
  }
};

using ModTypes = NumericTypes;

const OpSchema kSchemas[] = {
    map_row<ModOp, ModTypes, 2>("Mod", 10,
                                "fmod=0 on floats follows numpy.mod; integer division by zero "
                                "gives 0"),
    map_row<BitShiftOp, UnsignedTypes, 2>("BitShift", 11),
};

}  // namespace

std::span<const OpSchema> mod_schemas() { return kSchemas; }

}  // namespace wrun::ops::elementwise
