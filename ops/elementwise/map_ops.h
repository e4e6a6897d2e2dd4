// Schema rows for elementwise ops written as functors: inference and a reference kernel that
// builds the functor from the node's attributes (`Op::make(node, opset)` when Op has one, else
// `Op{}`) and maps it over inputs of one dtype from a type list.
#pragma once
#include <string_view>
#include <type_traits>

#include "ops/elementwise/broadcast_map.h"
#include "ops/elementwise/elementwise.h"

namespace wrun::ops::elementwise {

template <class Op>
Op make_op(const graph::Node& node, int64_t opset) {
  if constexpr (requires { Op::make(node, opset); })
    return Op::make(node, opset);
  else
    return Op{};
}

// Fails unless there are n inputs, all with one dtype in TL.
template <class TL>
void check_same_inputs(InferContext& c, int n) {
  if (c.num_inputs() != n) c.fail("expects ", n, " input(s), got ", c.num_inputs());
  for (int i = 0; i < n; ++i) {
    check_input(c, i, mask_of(TL{}));
    if (c.input_dtype(i) != c.input_dtype(0))
      c.fail("input dtypes differ: ", dtype_name(c.input_dtype(0)), " and ",
             dtype_name(c.input_dtype(i)), " (input ", i, ")");
  }
}

// N inputs of one dtype broadcast together (numpy rules); output dtype is theirs, or bool.
template <class Op, class TL, int N, bool kBoolOut>
void infer_map(InferContext& c) {
  check_same_inputs<TL>(c, N);
  make_op<Op>(c.node(), c.opset());  // attribute errors surface at load
  c.set_output(0, kBoolOut ? DType::kBool : c.input_dtype(0), broadcast_inputs(c, 0, N));
}

template <class Op, class TL, int N, bool kBoolOut>
void run_map(RunContext& ctx) {
  const Op op = make_op<Op>(ctx.node, ctx.opset);
  dispatch(TL{}, ctx.in(0).dtype, [&](auto z) {
    using T = decltype(z);
    using O = std::conditional_t<kBoolOut, bool, T>;
    if constexpr (N == 1) {
      const TensorView* ins[1] = {&ctx.in(0)};
      map<O, T>(ctx.node, ins, ctx.out(0), op);
    } else {
      static_assert(N == 2);
      const TensorView* ins[2] = {&ctx.in(0), &ctx.in(1)};
      map<O, T, T>(ctx.node, ins, ctx.out(0), op);
    }
  });
}

template <class Op, class TL, int N = 1, bool kBoolOut = false>
constexpr OpSchema map_row(std::string_view op, int opset_min, std::string_view notes = {}) {
  return {op,
          "",
          opset_min,
          kOpsetMax,
          &infer_map<Op, TL, N, kBoolOut>,
          kReference<&run_map<Op, TL, N, kBoolOut>>,
          notes};
}

}  // namespace wrun::ops::elementwise
