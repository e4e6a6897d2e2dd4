#include "ops/common.h"
#include "ops/elementwise/elementwise.h"

namespace wrun::ops::elementwise {

std::string sym_str(const SymShape& s) {
  if (!s.rank_known()) return "[?...]";
  std::string r = "[";
  for (int i = 0; i < s.rank; ++i) {
    if (i) r += ",";
    r += s.d[i].is_known() ? std::to_string(s.d[i].value) : "?";
  }
  return r + "]";
}

void check_input(InferContext& c, int i, uint32_t mask) {
  if (!c.has_input(i)) c.fail("input ", i, " is missing");
  if (!in_mask(mask, c.input_dtype(i)))
    c.fail("input ", i, " has unsupported dtype ", dtype_name(c.input_dtype(i)));
}

int legacy_pad(const graph::Node& node, int64_t opset, int rank_a, int rank_b) {
  if (opset >= 7 || node.attr_i("broadcast", 0) == 0 || !node.attr("axis")) return 0;
  const int axis = normalize_axis(node.attr_i("axis", 0), rank_a, node);
  const int pad = rank_a - axis - rank_b;
  if (pad < 0)
    fail(node.op_type, " '", node.name, "': input 1 of rank ", rank_b, " does not fit at axis ",
         axis, " of rank ", rank_a);
  return pad;
}

SymShape legacy_b_shape(const InferContext& c) {
  SymShape b = c.input_shape(1);
  const SymShape& a = c.input_shape(0);
  if (a.rank_known() && b.rank_known()) {
    const int pad = legacy_pad(c.node(), c.opset(), a.rank, b.rank);
    for (int i = 0; i < pad; ++i) b.push(Dim::known(1));
  }
  return b;
}

TensorView legacy_b_view(const RunContext& c) {
  TensorView b = c.in(1);
  const int pad = legacy_pad(c.node, c.opset, c.in(0).shape.rank, b.shape.rank);
  for (int i = 0; i < pad; ++i) {
    b.strides[b.shape.rank] = 0;
    b.shape.push(1);
  }
  return b;
}

SymShape broadcast_inputs(InferContext& c, int first, int last) {
  SymShape out = c.input_shape(first);
  for (int i = first + 1; i < last; ++i) {
    SymShape next;
    if (!broadcast_shapes(out, c.input_shape(i), &next))
      c.fail("cannot broadcast shapes ", sym_str(out), " and ", sym_str(c.input_shape(i)),
             " (input ", i, ")");
    out = next;
  }
  return out;
}

}  // namespace wrun::ops::elementwise
