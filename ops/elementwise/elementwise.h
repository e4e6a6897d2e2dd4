// Internals shared by the elementwise family's files: inference helpers, the legacy (opset < 7)
// broadcast attribute, the reference-kernel table entry, and each file's schema rows.
#pragma once
#include <span>
#include <string>

#include "ops/elementwise/elem_types.h"
#include "ops/kernel.h"

namespace wrun::ops::elementwise {

// Highest opset these schemas are registered for (semantics unchanged through it).
constexpr int kOpsetMax = kLatestOpset;

constexpr uint32_t kElementwiseFlags = kStridedInputs | kInPlace0;

template <void (*Run)(RunContext&)>
inline constexpr KernelImpl kReference[1] = {
    {"reference", nullptr, nullptr, Run, kElementwiseFlags}};

// "[2,?,3]" (symbolic dims print as '?'). Error paths only: allocates.
std::string sym_str(const SymShape& s);

// Fails unless input i is present with a dtype in `mask`.
void check_input(InferContext& c, int i, uint32_t mask);

// Opset < 7 binary ops: with broadcast=1 and an `axis`, B's dims line up with A's from `axis`,
// which numpy broadcasting expresses as B padded with trailing 1s. Returns how many to pad.
int legacy_pad(const graph::Node& node, int64_t opset, int rank_a, int rank_b);
SymShape legacy_b_shape(const InferContext& c);
TensorView legacy_b_view(const RunContext& c);

// Shape of all inputs [first, last) broadcast together; fails naming the incompatible shapes.
SymShape broadcast_inputs(InferContext& c, int first, int last);

std::span<const OpSchema> binary_schemas();
std::span<const OpSchema> unary_schemas();
std::span<const OpSchema> variadic_schemas();
std::span<const OpSchema> select_schemas();      // Where, Cast
std::span<const OpSchema> activation_schemas();  // LeakyRelu, PRelu, Elu, Selu, Softplus, ...
std::span<const OpSchema> trig_schemas();        // Sin, Cos, ..., Atanh
std::span<const OpSchema> misc_unary_schemas();  // Sign, Round, IsNaN, IsInf
std::span<const OpSchema> mod_schemas();         // Mod, BitShift
std::span<const OpSchema> clip_schemas();
std::span<const OpSchema> cast_like_schemas();

}  // namespace wrun::ops::elementwise
