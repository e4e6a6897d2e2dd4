// Einsum equations parsed into fixed arrays (no allocation): the label of every operand dim, the
// output labels and the summed labels. Letters are labels 0..51 in ASCII order (so sorting ids
// sorts letters as the spec's implicit output does); the dims an ellipsis covers are labels
// kLetters.. right-aligned across operands, so they broadcast like numpy.
#pragma once
#include <cstdint>
#include <string_view>

#include "graph/ir.h"
#include "graph/shape.h"

namespace wrun::ops::einsum {

constexpr int kMaxOperands = 8;
constexpr int kLetters = 52;
constexpr int kMaxLabels = kLetters + kMaxRank;

struct Spec {
  int n_in = 0;
  int rank[kMaxOperands] = {};
  uint8_t label[kMaxOperands][kMaxRank] = {};
  int out_rank = 0;
  uint8_t out_label[kMaxRank] = {};
  int n_sum = 0;
  uint8_t sum_label[kMaxLabels] = {};
};

// Parses the node's equation for operands of the given ranks; fails naming the node.
void parse(const graph::Node& n, const int* ranks, int n_in, Spec* s);

// Extent of every label from the operand shapes (size-1 dims broadcast); fails on a mismatch.
void label_extents(const graph::Node& n, const Spec& s, const SymShape* shapes, Dim* ext);

}  // namespace wrun::ops::einsum
