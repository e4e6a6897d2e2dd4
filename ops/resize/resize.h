// Internals of the resize family (Resize, Upsample): attributes parsed into Params, the output
// geometry, and the entry points listed in resize_table.cc.
#pragma once
#include <cstdint>

#include "ops/kernel.h"

namespace wrun::ops::resize {

enum class Mode : uint8_t { kNearest, kLinear, kCubic };
enum class Coord : uint8_t {
  kHalfPixel,
  kHalfPixelSymmetric,
  kPytorchHalfPixel,
  kAlignCorners,
  kAsymmetric,
  kTfHalfPixelForNN,
  kTfCropAndResize,
};
// kSimple is the opset < 11 rule (as onnxruntime): truncate when upsampling, ceil when
// downsampling.
enum class Rounding : uint8_t { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil, kSimple };
enum class Aspect : uint8_t { kStretch, kNotLarger, kNotSmaller };

struct Params {
  Mode mode = Mode::kNearest;
  Coord coord = Coord::kHalfPixel;
  Rounding rounding = Rounding::kRoundPreferFloor;
  Aspect aspect = Aspect::kStretch;
  double cubic_a = -0.75;
  double extrapolation = 0;
  bool exclude_outside = false;
  bool antialias = false;
  int naxes = 0;  // the resized axes (opset 18 `axes`; else every axis)
  int axes[kMaxRank] = {};
  // Input indices of roi, scales and sizes (-1: not an input of this op/opset).
  int roi_in = -1, scales_in = -1, sizes_in = -1;
};

// Parses and checks the node's attributes for an input of the given rank.
Params parse_params(const graph::Node& n, int64_t opset, int rank);

void resize_infer(InferContext& c);
std::string resize_supports(const SupportQuery& q);
void resize_prepare(PrepareContext& c);
void resize_run(RunContext& c);

}  // namespace wrun::ops::resize
