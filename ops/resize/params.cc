// Resize/Upsample attributes: string modes parsed once into enums, checked against the opset.
#include <string_view>

#include "ops/common.h"
#include "ops/resize/resize.h"

namespace wrun::ops::resize {

namespace {

template <class... A>
[[noreturn]] void node_fail(const graph::Node& n, const A&... a) {
  ::wrun::fail(n.op_type, " '", n.name, "': ", a...);
}

Mode parse_mode(const graph::Node& n, bool legacy) {
  const std::string_view m = n.attr_s("mode", "nearest");
  if (m == "nearest") return Mode::kNearest;
  // "bilinear" is accepted by onnxruntime for Upsample.
  if (m == "linear" || (legacy && m == "bilinear")) return Mode::kLinear;
  if (m == "cubic" && !legacy) return Mode::kCubic;
  node_fail(n, "unknown mode '", m, "'");
}

Coord parse_coord(const graph::Node& n, int64_t opset) {
  const std::string_view m = n.attr_s("coordinate_transformation_mode", "half_pixel");
  if (m == "half_pixel") return Coord::kHalfPixel;
  if (m == "half_pixel_symmetric" && opset >= 19) return Coord::kHalfPixelSymmetric;
  if (m == "pytorch_half_pixel") return Coord::kPytorchHalfPixel;
  if (m == "align_corners") return Coord::kAlignCorners;
  if (m == "asymmetric") return Coord::kAsymmetric;
  if (m == "tf_half_pixel_for_nn" && opset < 13) return Coord::kTfHalfPixelForNN;
  if (m == "tf_crop_and_resize") return Coord::kTfCropAndResize;
  node_fail(n, "unknown coordinate_transformation_mode '", m, "'");
}

Rounding parse_rounding(const graph::Node& n) {
  const std::string_view m = n.attr_s("nearest_mode", "round_prefer_floor");
  if (m == "round_prefer_floor") return Rounding::kRoundPreferFloor;
  if (m == "round_prefer_ceil") return Rounding::kRoundPreferCeil;
  if (m == "floor") return Rounding::kFloor;
  if (m == "ceil") return Rounding::kCeil;
  node_fail(n, "unknown nearest_mode '", m, "'");
}

Aspect parse_aspect(const graph::Node& n) {
  const std::string_view m = n.attr_s("keep_aspect_ratio_policy", "stretch");
  if (m == "stretch") return Aspect::kStretch;
  if (m == "not_larger") return Aspect::kNotLarger;
  if (m == "not_smaller") return Aspect::kNotSmaller;
  node_fail(n, "unknown keep_aspect_ratio_policy '", m, "'");
}

}  // namespace

Params parse_params(const graph::Node& n, int64_t opset, int rank) {
  Params p;
  // Upsample and Resize-10: asymmetric coordinates, no roi, scales only.
  const bool legacy = n.op_type == "Upsample" || opset < 11;
  p.mode = parse_mode(n, legacy);
  if (legacy) {
    p.coord = Coord::kAsymmetric;
    p.rounding = Rounding::kSimple;
    p.scales_in = n.op_type == "Upsample" && opset < 9 ? -1 : 1;
  } else {
    p.coord = parse_coord(n, opset);
    p.rounding = parse_rounding(n);
    p.cubic_a = n.attr_f("cubic_coeff_a", -0.75f);
    p.exclude_outside = n.attr_i("exclude_outside", 0) != 0;
    p.extrapolation = n.attr_f("extrapolation_value", 0.0f);
    p.roi_in = 1, p.scales_in = 2, p.sizes_in = 3;
  }
  if (opset >= 18 && !legacy) {
    p.aspect = parse_aspect(n);
    p.antialias = n.attr_i("antialias", 0) != 0;
  }
  if (rank < 0) return p;
  const std::vector<int64_t>* axes = opset >= 18 && !legacy ? n.attr_ints("axes") : nullptr;
  if (axes) {
    if (static_cast<int>(axes->size()) > rank) node_fail(n, "more axes than the input's rank");
    bool seen[kMaxRank] = {};
    for (int64_t a : *axes) {
      const int i = normalize_axis(a, rank, n);
      if (seen[i]) node_fail(n, "axis ", a, " repeated");
      seen[i] = true;
      p.axes[p.naxes++] = i;
    }
  } else {
    for (int i = 0; i < rank; ++i) p.axes[p.naxes++] = i;
  }
  return p;
}

}  // namespace wrun::ops::resize
