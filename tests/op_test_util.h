// Helpers for op tests: build a node, make constants, evaluate with every kernel of the op and
// compare against the reference kernel (kernels[0]).
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "graph/ir.h"
#include "ops/evaluate.h"
#include "ops/registry.h"

namespace wrun::testing {

using ConstPtr = std::shared_ptr<graph::Constant>;

inline graph::Node make_node(const std::string& op, int n_inputs, int n_outputs = 1,
                             const std::string& domain = "") {
  graph::Node n;
  n.op_type = op;
  n.domain = domain;
  n.name = op + "_test";
  for (int i = 0; i < n_inputs; ++i) n.inputs.push_back(i);
  for (int i = 0; i < n_outputs; ++i) n.outputs.push_back(n_inputs + i);
  return n;
}
inline void set_attr(graph::Node& n, const std::string& k, int64_t v) {
  n.attrs[k].kind = graph::Attribute::Kind::kInt;
  n.attrs[k].i = v;
}
inline void set_attr(graph::Node& n, const std::string& k, float v) {
  n.attrs[k].kind = graph::Attribute::Kind::kFloat;
  n.attrs[k].f = v;
}
inline void set_attr(graph::Node& n, const std::string& k, const std::string& v) {
  n.attrs[k].kind = graph::Attribute::Kind::kString;
  n.attrs[k].s = v;
}
inline void set_attr(graph::Node& n, const std::string& k, std::vector<int64_t> v) {
  n.attrs[k].kind = graph::Attribute::Kind::kInts;
  n.attrs[k].ints = std::move(v);
}
inline void set_attr(graph::Node& n, const std::string& k, std::vector<float> v) {
  n.attrs[k].kind = graph::Attribute::Kind::kFloats;
  n.attrs[k].floats = std::move(v);
}

template <class T>
ConstPtr make_const(const Shape& s, const std::vector<T>& v) {
  EXPECT_EQ(static_cast<int64_t>(v.size()), s.numel());
  if constexpr (std::is_same_v<T, bool>) {
    std::vector<uint8_t> b(v.begin(), v.end());
    return graph::Constant::copy_of(DType::kBool, s, b.data());
  } else {
    return graph::Constant::copy_of(DTypeOf<T>::value, s, v.data());
  }
}

template <class T>
std::vector<T> to_vector(const graph::Constant& c) {
  std::vector<T> v(static_cast<size_t>(c.shape.numel()));
  if (!v.empty()) std::memcpy(v.data(), c.data, v.size() * sizeof(T));
  return v;
}

// Seeded uniform floats in [lo, hi).
inline std::vector<float> random_floats(size_t n, uint32_t seed, float lo = -1, float hi = 1) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

inline std::vector<ConstPtr> eval(const graph::Node& n, const std::vector<ConstPtr>& in,
                                  int64_t opset = 18, int kernel = 0) {
  std::vector<const graph::Constant*> raw;
  for (const auto& c : in) raw.push_back(c.get());
  ops::EvalOptions o;
  o.opset = opset;
  o.kernel_index = kernel;
  return ops::evaluate(n, raw, o);
}

// The project's tolerance: max |a - b| <= tol * max |reference|; exact for integers and bool.
inline ::testing::AssertionResult within(const graph::Constant& ref, const graph::Constant& got,
                                         double tol) {
  if (ref.dtype != got.dtype) return ::testing::AssertionFailure() << "dtype differs";
  if (!(ref.shape == got.shape))
    return ::testing::AssertionFailure()
           << "shape " << got.shape.str() << " != " << ref.shape.str();
  if (ref.dtype != DType::kF32 && ref.dtype != DType::kF64) {
    if (ref.nbytes == 0 || std::memcmp(ref.data, got.data, ref.nbytes) == 0)
      return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "integer/bool output differs";
  }
  auto at = [](const graph::Constant& c, int64_t i) {
    return c.dtype == DType::kF32 ? static_cast<double>(static_cast<const float*>(c.data)[i])
                                  : static_cast<const double*>(c.data)[i];
  };
  double maxref = 0, maxdiff = 0;
  int64_t worst = 0;
  for (int64_t i = 0; i < ref.shape.numel(); ++i) {
    double r = at(ref, i), g = at(got, i);
    if (std::isnan(r) != std::isnan(g))
      return ::testing::AssertionFailure() << "NaN mismatch at " << i;
    if (std::isnan(r)) continue;
    maxref = std::max(maxref, std::fabs(r));
    double d = std::fabs(r - g);
    if (std::isinf(r) && r == g) d = 0;
    if (d > maxdiff) maxdiff = d, worst = i;
  }
  if (maxdiff <= tol * maxref || maxdiff == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "max diff " << maxdiff << " at " << worst << " > " << tol << " * " << maxref;
}

// Runs every registered kernel of the node's op and checks each against the reference.
inline void expect_all_kernels_match(const graph::Node& n, const std::vector<ConstPtr>& in,
                                     double tol, int64_t opset = 18) {
  auto ref = eval(n, in, opset, 0);
  for (int k = 1; k < ops::kernel_count(n, opset); ++k) {
    std::vector<ConstPtr> got;
    try {
      got = eval(n, in, opset, k);
    } catch (const Error& e) {
      if (std::string(e.what()).find("does not support") != std::string::npos) continue;
      throw;
    }
    ASSERT_EQ(got.size(), ref.size());
    for (size_t o = 0; o < ref.size(); ++o)
      if (ref[o]) {
        EXPECT_TRUE(within(*ref[o], *got[o], tol)) << n.op_type << " kernel " << k;
      }
  }
}

// Runs an op's infer() on symbolic shapes with optional known values.
struct SymInfer {
  graph::Model model;
  std::vector<DType> dts;
  std::vector<SymShape> shapes;
  std::vector<const TensorView*> vals;
  std::vector<DType> odt;
  std::vector<SymShape> osh;

  void add(DType dt, const SymShape& s, const TensorView* v = nullptr) {
    dts.push_back(dt);
    shapes.push_back(s);
    vals.push_back(v);
  }
  void run(const graph::Node& n, int64_t opset = 18) {
    odt.assign(n.outputs.size(), DType::kUndefined);
    osh.assign(n.outputs.size(), SymShape{});
    ops::InferContext ctx(n, opset, dts, shapes, vals, odt, osh, &model);
    ops::Registry::builtin().find("", n.op_type, opset)->infer(ctx);
  }
  Dim sym(const char* name) { return Dim::symbol(model.symbol(name)); }
  bool is_fresh(const Dim& d) const {
    return !d.is_known() && model.symbols[d.sym].rfind("unk__", 0) == 0;
  }
};

inline SymShape sym_shape(std::initializer_list<Dim> dims) {
  SymShape s;
  s.rank = 0;
  for (const Dim& d : dims) s.push(d);
  return s;
}
inline Dim k(int64_t v) { return Dim::known(v); }

}  // namespace wrun::testing
