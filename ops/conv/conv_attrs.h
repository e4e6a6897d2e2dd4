// Conv-family attributes (auto_pad, group, strides, dilations, pads, kernel_shape) and output
// extents, shared by Conv, ConvInteger and QLinearConv.
#pragma once
#include <algorithm>
#include <cstdint>
#include <string_view>
#include <vector>

#include "graph/error.h"
#include "graph/ir.h"
#include "graph/shape.h"

namespace wrun::ops {

enum class AutoPad { kNotSet, kSameUpper, kSameLower, kValid };

// Attributes resolved per spatial dimension. kernel[i] < 0 when unknown (symbolic weights).
struct ConvAttrs {
  int nsp = 0;
  AutoPad mode = AutoPad::kNotSet;
  int64_t group = 1;
  int64_t kernel[kMaxRank] = {}, stride[kMaxRank] = {}, dil[kMaxRank] = {};
  int64_t pads[2 * kMaxRank] = {};
  const graph::Node* node = nullptr;  // for errors

  // Output extent of spatial dim i for input extent `in`; sets the padding before it.
  int64_t out_extent(int i, int64_t in, int64_t* pad_begin) const {
    // Hostile attributes (dilations, pads near 2^63) must not overflow.
    int64_t span, padded;
    if (__builtin_mul_overflow(dil[i], kernel[i] - 1, &span) ||
        __builtin_add_overflow(span, 1, &span) || __builtin_add_overflow(in, pads[i], &padded) ||
        __builtin_add_overflow(padded, pads[i + nsp], &padded))
      fail(node->op_type, " '", node->name, "': extent of spatial axis ", i, " overflows");
    int64_t out, pb = 0;
    switch (mode) {
      case AutoPad::kNotSet:
        pb = pads[i];
        out = padded < span ? 0 : (padded - span) / stride[i] + 1;
        break;
      case AutoPad::kValid:
        out = in < span ? 0 : (in - span) / stride[i] + 1;
        break;
      default: {
        out = in / stride[i] + (in % stride[i] != 0);
        int64_t total;
        if (__builtin_add_overflow((out - 1) * stride[i], span - in, &total))
          fail(node->op_type, " '", node->name, "': extent of spatial axis ", i, " overflows");
        total = std::max<int64_t>(0, total);
        pb = mode == AutoPad::kSameUpper ? total / 2 : total - total / 2;
      }
    }
    if (pad_begin) *pad_begin = pb;
    return out;
  }
  // True when the output extent equals the input extent for every input extent.
  bool preserves_extent(int i) const {
    if (stride[i] != 1 || kernel[i] < 0) return false;
    if (mode == AutoPad::kSameUpper || mode == AutoPad::kSameLower) return true;
    const int64_t pad = mode == AutoPad::kValid ? 0 : pads[i] + pads[i + nsp];
    return pad == dil[i] * (kernel[i] - 1);
  }
};

template <class... A>
[[noreturn]] void conv_fail(const graph::Node& n, const A&... a) {
  fail(n.op_type, " '", n.name, "': ", a...);
}

// Reads an ints attribute of nsp entries (or 2*nsp for pads) with a default.
inline void read_conv_ints(const graph::Node& n, std::string_view key, int count, int64_t def,
                           int64_t* out) {
  const std::vector<int64_t>* v = n.attr_ints(key);
  if (v && static_cast<int>(v->size()) != count)
    conv_fail(n, key, " has ", v->size(), " entries, expected ", count);
  for (int i = 0; i < count; ++i) out[i] = v ? (*v)[i] : def;
}

// w_kernel: the weights' spatial extents (-1 where unknown).
inline ConvAttrs parse_conv_attrs(const graph::Node& n, int nsp, const int64_t* w_kernel) {
  ConvAttrs a;
  a.nsp = nsp;
  a.node = &n;
  const std::string_view ap = n.attr_s("auto_pad", "NOTSET");
  if (ap == "NOTSET")
    a.mode = AutoPad::kNotSet;
  else if (ap == "SAME_UPPER")
    a.mode = AutoPad::kSameUpper;
  else if (ap == "SAME_LOWER")
    a.mode = AutoPad::kSameLower;
  else if (ap == "VALID")
    a.mode = AutoPad::kValid;
  else
    conv_fail(n, "unknown auto_pad '", ap, "'");
  a.group = n.attr_i("group", 1);
  if (a.group < 1) conv_fail(n, "group must be >= 1");
  read_conv_ints(n, "strides", nsp, 1, a.stride);
  read_conv_ints(n, "dilations", nsp, 1, a.dil);
  read_conv_ints(n, "pads", 2 * nsp, 0, a.pads);
  if (n.attr_ints("kernel_shape")) {
    read_conv_ints(n, "kernel_shape", nsp, 1, a.kernel);
    for (int i = 0; i < nsp; ++i)
      if (w_kernel[i] >= 0 && w_kernel[i] != a.kernel[i])
        conv_fail(n, "kernel_shape does not match the weights");
  } else {
    for (int i = 0; i < nsp; ++i) a.kernel[i] = w_kernel[i];
  }
  for (int i = 0; i < nsp; ++i) {
    if (a.stride[i] < 1 || a.dil[i] < 1) conv_fail(n, "strides and dilations must be >= 1");
    if (a.pads[i] < 0 || a.pads[i + nsp] < 0) conv_fail(n, "pads must be >= 0");
  }
  return a;
}

}  // namespace wrun::ops
