// Softmax, LogSoftmax and LayerNormalization entry points, listed in normalization_table.cc.
#pragma once
#include "ops/kernel.h"

namespace wrun::ops::normalization {

void softmax_infer(InferContext& c);
void softmax_run(RunContext& c);
void log_softmax_run(RunContext& c);

void layer_norm_infer(InferContext& c);
void layer_norm_run(RunContext& c);

}  // namespace wrun::ops::normalization
