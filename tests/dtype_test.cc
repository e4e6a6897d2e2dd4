#include "graph/dtype.h"

#include <gtest/gtest.h>

#include <cmath>

namespace wrun {

TEST(DType, HalfRoundTripAndRounding) {
  for (float f : {0.0f, 1.0f, -2.5f, 65504.0f, 6.1035156e-05f, 5.9604645e-08f, 0.333333f}) {
    float back = f16_to_f32(f32_to_f16(f));
    EXPECT_NEAR(back, f, std::fabs(f) * 1e-3f + 1e-7f) << f;
  }
  EXPECT_TRUE(std::isinf(f16_to_f32(f32_to_f16(1e6f))));
  EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(NAN))));
  EXPECT_EQ(f32_to_f16(1.0f), 0x3c00);
  EXPECT_EQ(bf16_to_f32(f32_to_bf16(1.5f)), 1.5f);
  EXPECT_EQ(dtype_size(DType::kI64), 8u);
  EXPECT_EQ(dtype_from_onnx(99), DType::kUndefined);
}

}  // namespace wrun
