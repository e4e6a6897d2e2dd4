#include "ops/elementwise/broadcast_map.h"

#include "ops/common.h"

namespace wrun::ops::elementwise {

void make_plan(const graph::Node& node, const TensorView* const* in, const size_t* elem_size, int n,
               const Shape& out, Plan* p) {
  int64_t bs[kMaxIn][kMaxRank];
  for (int k = 0; k < n; ++k) {
    const Shape& s = in[k]->shape;
    bool ok = s.rank <= out.rank;
    for (int j = 0; ok && j < s.rank; ++j) {
      const int64_t o = out.d[j + out.rank - s.rank];
      ok = s.d[j] == 1 || s.d[j] == o;
    }
    if (!ok)
      fail(node.op_type, " '", node.name, "': an input of shape ", s.str(),
           " does not broadcast to the output shape ", out.str());
    broadcast_strides(*in[k], out, bs[k]);
    for (int i = 0; i < out.rank; ++i) bs[k][i] *= static_cast<int64_t>(elem_size[k]);
  }
  p->rank = 0;
  for (int i = 0; i < out.rank; ++i) {
    if (out.d[i] == 1) continue;
    const int last = p->rank - 1;
    bool merge = last >= 0;
    for (int k = 0; merge && k < n; ++k) merge = p->s[k][last] == bs[k][i] * out.d[i];
    if (merge) {
      p->d[last] *= out.d[i];
      for (int k = 0; k < n; ++k) p->s[k][last] = bs[k][i];
    } else {
      p->d[p->rank] = out.d[i];
      for (int k = 0; k < n; ++k) p->s[k][p->rank] = bs[k][i];
      ++p->rank;
    }
  }
  if (p->rank == 0) {  // every dim is 1: one element
    p->rank = 1;
    p->d[0] = 1;
    for (int k = 0; k < n; ++k) p->s[k][0] = 0;
  }
}

}  // namespace wrun::ops::elementwise
