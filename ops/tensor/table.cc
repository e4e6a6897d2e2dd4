// The tensor family's rows: one per semantic version range of each op.
#include "ops/registry.h"
#include "ops/tensor/tensor_ops.h"

namespace wrun::ops {
namespace {

using namespace tensor;  // NOLINT(build/namespaces): the table names every function

// Reference kernels. Data-movement ops read through strides so that views (a KV cache, a
// transposed weight) are never copied first; Shape and Size do not read data at all.
constexpr KernelImpl kTranspose[] = {
    {"reference", nullptr, nullptr, run_transpose, kStridedInputs}};
constexpr KernelImpl kReshape[] = {{"reference", nullptr, nullptr, run_reshape, kNone}};
constexpr KernelImpl kFlatten[] = {{"reference", nullptr, nullptr, run_flatten, kNone}};
constexpr KernelImpl kSqueeze[] = {{"reference", nullptr, nullptr, run_squeeze, kNone}};
constexpr KernelImpl kUnsqueeze[] = {{"reference", nullptr, nullptr, run_unsqueeze, kNone}};
constexpr KernelImpl kIdentity[] = {{"reference", nullptr, nullptr, run_identity, kNone}};
constexpr KernelImpl kDropout[] = {{"reference", supports_dropout, nullptr, run_dropout, kNone}};
constexpr KernelImpl kConcat[] = {{"reference", nullptr, nullptr, run_concat, kStridedInputs}};
constexpr KernelImpl kSplit[] = {{"reference", nullptr, nullptr, run_split, kStridedInputs}};
constexpr KernelImpl kSlice[] = {{"reference", nullptr, nullptr, run_slice, kStridedInputs}};
constexpr KernelImpl kGather[] = {{"reference", nullptr, nullptr, run_gather, kStridedInputs}};
constexpr KernelImpl kExpand[] = {{"reference", nullptr, nullptr, run_expand, kStridedInputs}};
constexpr KernelImpl kShape[] = {{"reference", nullptr, nullptr, run_shape, kStridedInputs}};
constexpr KernelImpl kSize[] = {{"reference", nullptr, nullptr, run_size, kStridedInputs}};
constexpr KernelImpl kConstant[] = {{"reference", nullptr, nullptr, run_constant, kNone}};
constexpr KernelImpl kConstantOfShape[] = {
    {"reference", nullptr, nullptr, run_constant_of_shape, kNone}};
constexpr KernelImpl kRange[] = {{"reference", nullptr, nullptr, run_range, kNone}};
constexpr KernelImpl kTrilu[] = {{"reference", nullptr, nullptr, run_trilu, kNone}};
constexpr KernelImpl kPad[] = {{"reference", nullptr, nullptr, run_pad, kStridedInputs}};
constexpr KernelImpl kTile[] = {{"reference", nullptr, nullptr, run_tile, kStridedInputs}};
constexpr KernelImpl kGatherElements[] = {
    {"reference", nullptr, nullptr, run_gather_elements, kStridedInputs}};
constexpr KernelImpl kGatherND[] = {{"reference", nullptr, nullptr, run_gather_nd, kStridedInputs}};
constexpr KernelImpl kScatterElements[] = {
    {"reference", supports_scatter, nullptr, run_scatter_elements, kStridedInputs}};
constexpr KernelImpl kScatterND[] = {
    {"reference", supports_scatter, nullptr, run_scatter_nd, kStridedInputs}};
constexpr KernelImpl kNonZero[] = {{"reference", nullptr, nullptr, run_nonzero, kStridedInputs}};
constexpr KernelImpl kCompress[] = {{"reference", nullptr, nullptr, run_compress, kStridedInputs}};
constexpr KernelImpl kCumSum[] = {{"reference", nullptr, nullptr, run_cumsum, kStridedInputs}};
constexpr KernelImpl kDepthToSpace[] = {
    {"reference", nullptr, nullptr, run_depth_to_space, kStridedInputs}};
constexpr KernelImpl kSpaceToDepth[] = {
    {"reference", nullptr, nullptr, run_space_to_depth, kStridedInputs}};
constexpr KernelImpl kEyeLike[] = {{"reference", nullptr, nullptr, run_eye_like, kStridedInputs}};
constexpr KernelImpl kOneHot[] = {{"reference", nullptr, nullptr, run_one_hot, kStridedInputs}};

constexpr int kLast = kLatestOpset;

const OpSchema kSchemas[] = {
    {"Transpose", "", 1, kLast, infer_transpose, kTranspose},
    {"Reshape", "", 1, 4, infer_reshape, kReshape, "shape attribute (opset < 5)", true},
    {"Reshape", "", 5, 13, infer_reshape, kReshape, "shape input; 0 copies the input dim", true},
    {"Reshape", "", 14, kLast, infer_reshape, kReshape, "shape input; allowzero", true},
    {"Flatten", "", 1, 10, infer_flatten, kFlatten, "axis in [0, rank]", true},
    {"Flatten", "", 11, kLast, infer_flatten, kFlatten, "negative axis", true},
    {"Squeeze", "", 1, 12, infer_squeeze, kSqueeze, "axes attribute", true},
    {"Squeeze", "", 13, kLast, infer_squeeze, kSqueeze, "axes input", true},
    {"Unsqueeze", "", 1, 12, infer_unsqueeze, kUnsqueeze, "axes attribute", true},
    {"Unsqueeze", "", 13, kLast, infer_unsqueeze, kUnsqueeze, "axes input", true},
    {"Identity", "", 1, kLast, infer_identity, kIdentity, "tensors only (no sequence/optional)",
     true},
    {"Dropout", "", 1, 11, infer_dropout, kDropout,
     "inference only: output = input, mask all ones (T before opset 10, bool after)", true},
    {"Dropout", "", 12, kLast, infer_dropout, kDropout,
     "inference only: training_mode with ratio > 0 is refused; mask all true", true},
    {"Concat", "", 1, 3, infer_concat, kConcat, "axis defaults to 1"},
    {"Concat", "", 4, kLast, infer_concat, kConcat},
    {"Split", "", 1, 12, infer_split, kSplit, "split attribute (opset 1 also as input 1)"},
    {"Split", "", 13, 17, infer_split, kSplit, "split input"},
    {"Split", "", 18, kLast, infer_split, kSplit, "split input or num_outputs"},
    {"Slice", "", 1, 9, infer_slice, kSlice, "starts/ends/axes attributes, step 1"},
    {"Slice", "", 10, kLast, infer_slice, kSlice, "starts/ends/axes/steps inputs"},
    {"Gather", "", 1, kLast, infer_gather, kGather},
    {"Expand", "", 8, kLast, infer_expand, kExpand},
    {"Shape", "", 1, 14, infer_shape, kShape},
    {"Shape", "", 15, kLast, infer_shape, kShape, "start/end attributes"},
    {"Size", "", 1, kLast, infer_size, kSize},
    {"Constant", "", 1, 11, infer_constant, kConstant, "value tensor; sparse_value unsupported"},
    {"Constant", "", 12, kLast, infer_constant, kConstant,
     "value, value_float(s), value_int(s); value_string(s) and sparse_value unsupported"},
    {"ConstantOfShape", "", 9, kLast, infer_constant_of_shape, kConstantOfShape},
    {"Range", "", 11, kLast, infer_range, kRange, "float32/64, int16/32/64"},
    {"Trilu", "", 14, kLast, infer_trilu, kTrilu},
    {"Pad", "", 1, 1, infer_pad, kPad, "paddings/value attributes"},
    {"Pad", "", 2, 10, infer_pad, kPad, "pads/value attributes"},
    {"Pad", "", 11, 17, infer_pad, kPad, "pads and constant_value inputs"},
    {"Pad", "", 18, 18, infer_pad, kPad, "axes input"},
    {"Pad", "", 19, kLast, infer_pad, kPad, "wrap mode; negative pads crop before padding"},
    {"Tile", "", 6, kLast, infer_tile, kTile},
    {"GatherElements", "", 11, kLast, infer_gather_elements, kGatherElements},
    {"GatherND", "", 11, 11, infer_gather_nd, kGatherND},
    {"GatherND", "", 12, kLast, infer_gather_nd, kGatherND, "batch_dims"},
    {"Scatter", "", 9, 10, infer_scatter_elements, kScatterElements, "ScatterElements' old name"},
    {"ScatterElements", "", 11, 15, infer_scatter_elements, kScatterElements},
    {"ScatterElements", "", 16, 17, infer_scatter_elements, kScatterElements,
     "reduction none/add/mul (numeric dtypes)"},
    {"ScatterElements", "", 18, kLast, infer_scatter_elements, kScatterElements,
     "reduction none/add/mul/max/min (numeric dtypes)"},
    {"ScatterND", "", 11, 15, infer_scatter_nd, kScatterND},
    {"ScatterND", "", 16, 17, infer_scatter_nd, kScatterND,
     "reduction none/add/mul (numeric dtypes)"},
    {"ScatterND", "", 18, kLast, infer_scatter_nd, kScatterND,
     "reduction none/add/mul/max/min (numeric dtypes)"},
    {"NonZero", "", 9, kLast, infer_nonzero, kNonZero, "output extent depends on the data"},
    {"Compress", "", 9, 10, infer_compress, kCompress, "output extent depends on the data"},
    {"Compress", "", 11, kLast, infer_compress, kCompress,
     "negative axis; output extent depends on the data"},
    {"CumSum", "", 11, kLast, infer_cumsum, kCumSum, "numeric dtypes; floats sum in double"},
    {"DepthToSpace", "", 1, 10, infer_depth_to_space, kDepthToSpace, "DCR only"},
    {"DepthToSpace", "", 11, kLast, infer_depth_to_space, kDepthToSpace, "DCR and CRD modes"},
    {"SpaceToDepth", "", 1, kLast, infer_space_to_depth, kSpaceToDepth},
    {"EyeLike", "", 9, kLast, infer_eye_like, kEyeLike},
    {"OneHot", "", 9, 10, infer_one_hot, kOneHot, "negative indices are out of range"},
    {"OneHot", "", 11, kLast, infer_one_hot, kOneHot, "negative indices count from the end"},
};

}  // namespace

std::span<const OpSchema> tensor_schemas() { return kSchemas; }

}  // namespace wrun::ops
