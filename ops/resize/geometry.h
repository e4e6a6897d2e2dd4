// The output extents of Resize/Upsample and the per-axis numbers the coordinate transform needs,
// computed the same way at inference and at run time.
#pragma once
#include <vector>

#include "ops/resize/resize.h"

namespace wrun::ops::resize {

// The values of the optional inputs; nullptr when absent or empty (the "" / [0] convention).
struct Args {
  const TensorView* roi = nullptr;
  const TensorView* scales = nullptr;
  const std::vector<float>* scales_attr = nullptr;  // Upsample-7
  const TensorView* sizes = nullptr;
};

struct Geometry {
  SymShape out;
  bool out_known[kMaxRank] = {};  // false: depends on values not known (inference only)
  // scale = resized / original length as the spec defines it (from scales, sizes or the
  // keep_aspect_ratio_policy); roi start and end in normalized coordinates.
  double scale[kMaxRank] = {}, start[kMaxRank] = {}, end[kMaxRank] = {};
  // The resized length before flooring (scale * original length), which the coordinate
  // transforms divide by: the ONNX reference (and its node tests) use it, not the integer.
  double length[kMaxRank] = {};
};

// Fills g from the input shape x (dims may be symbolic) and the given inputs.
void resolve(const graph::Node& n, const Params& p, const SymShape& x, const Args& a, Geometry* g);

}  // namespace wrun::ops::resize
