// Entry points of the pool family, listed in pool_table.cc: sliding-window and global pools,
// ConvTranspose, and the per-channel spatial normalisations (BatchNormalization,
// InstanceNormalization, LRN).
#pragma once
#include <string>

#include "ops/kernel.h"

namespace wrun::ops::pool {

void max_pool_infer(InferContext& c);
void max_pool_run(RunContext& c);
void average_pool_infer(InferContext& c);
void average_pool_run(RunContext& c);
void lp_pool_infer(InferContext& c);
void lp_pool_run(RunContext& c);

void global_pool_infer(InferContext& c);
void global_average_pool_run(RunContext& c);
void global_max_pool_run(RunContext& c);
void global_lp_pool_run(RunContext& c);

void conv_transpose_infer(InferContext& c);
void conv_transpose_run(RunContext& c);

void batch_norm_infer(InferContext& c);
std::string batch_norm_supports(const SupportQuery& q);
void batch_norm_run(RunContext& c);
void instance_norm_infer(InferContext& c);
void instance_norm_run(RunContext& c);
void lrn_infer(InferContext& c);
void lrn_run(RunContext& c);

// LpPool's and GlobalLpPool's p: a float attribute in opset 1, an int from opset 2.
double lp_order(const graph::Node& n);

}  // namespace wrun::ops::pool
