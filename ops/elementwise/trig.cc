// Trigonometric and hyperbolic functions, computed in the compute type (float for float16).
#include <cmath>

#include "ops/elementwise/map_ops.h"

namespace wrun::ops::elementwise {
namespace {

// A captureless lambda's type is default-constructible (C++20), so it serves as the functor.
template <auto F>
using Fn = decltype(F);

const OpSchema kSchemas[] = {
    map_row<Fn<[](auto x) { return std::sin(x); }>, FloatTypes>("Sin", 7),
    map_row<Fn<[](auto x) { return std::cos(x); }>, FloatTypes>("Cos", 7),
    map_row<Fn<[](auto x) { return std::tan(x); }>, FloatTypes>("Tan", 7),
    map_row<Fn<[](auto x) { return std::asin(x); }>, FloatTypes>("Asin", 7),
    map_row<Fn<[](auto x) { return std::acos(x); }>, FloatTypes>("Acos", 7),
    map_row<Fn<[](auto x) { return std::atan(x); }>, FloatTypes>("Atan", 7),
    map_row<Fn<[](auto x) { return std::sinh(x); }>, FloatTypes>("Sinh", 9),
    map_row<Fn<[](auto x) { return std::cosh(x); }>, FloatTypes>("Cosh", 9),
    map_row<Fn<[](auto x) { return std::asinh(x); }>, FloatTypes>("Asinh", 9),
    map_row<Fn<[](auto x) { return std::acosh(x); }>, FloatTypes>("Acosh", 9),
    map_row<Fn<[](auto x) { return std::atanh(x); }>, FloatTypes>("Atanh", 9),
};

}  // namespace

std::span<const OpSchema> trig_schemas() { return kSchemas; }

}  // namespace wrun::ops::elementwise
