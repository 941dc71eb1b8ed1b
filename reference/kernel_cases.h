// The reference side of kernel cases (formats/kernel_cases.h): walks lower_plan(plan) with
// the LibTorch reference and records, for every kernel step, the logical tensor the
// reference feeds it, the block input (residual steps), and the reference's output of the
// same ops: the conv, its activation, the shuffles folded into the step's index maps, and
// the residual add. The Halide kernels are checked against these on any target.
#pragma once

#include <cstdint>

#include "models/plan.h"
#include "formats/kernel_cases.h"
#include "formats/tensor.h"

namespace micronet {

// `weights`: the official state_dict of `plan` (validated); nullptr: random weights with
// BatchNorm statistics calibrated to the activations (ReferenceModel::randomize(seed)), so
// every layer's output stays O(1) and the check is well conditioned. The model input is
// standard normal N x 3 x H x W drawn from `seed`.
KernelCases make_kernel_cases(const ModelPlan& plan, const TensorMap* weights, int batch,
                              uint64_t seed);

}  // namespace micronet
