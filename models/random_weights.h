// Random weights in the official layout, for benchmarks and tests that have no checkpoint.
// BatchNorm statistics are random too (positive variance, affine not 1/0), so folding is
// exercised. Deterministic in `seed`. Needs no LibTorch.
#pragma once

#include <cstdint>

#include "models/plan.h"
#include "formats/tensor.h"

namespace micronet {

TensorMap random_weights(const ModelPlan& plan, uint64_t seed);

}  // namespace micronet
