// Weights laid out for the kernels: BatchNorm folded into the preceding conv / Linear
// (w' = w * gamma / sqrt(var + eps), b' = beta - mean * gamma / sqrt(var + eps)), Linear
// weights of the head transposed so the output index is contiguous, Dynamic Shift-Max
// init offsets expanded per coefficient. Done once at load time.
#pragma once

#include <cstdint>
#include <vector>

#include "models/kernel_plan.h"
#include "formats/tensor.h"

namespace micronet {

struct PreparedStep {
  // Conv weights: (kernel-specific layout, documented in each generator).
  std::vector<float> w1, b1, w2, b2;
  // Dynamic Shift-Max hyper-function.
  std::vector<float> fc1_w, fc1_b, fc2_w, fc2_b, coef_offset;
  int squeeze = 0;
  // Index maps as int32 for the kernels.
  std::vector<int32_t> in_map, res_map, out_select, shift_perm;
};

constexpr float kBatchNormEps = 1e-5f;

// Throws FormatError naming the key when a tensor is missing or mis-shaped.
std::vector<PreparedStep> prepare_weights(const ModelPlan& plan,
                                          const std::vector<KernelStep>& steps,
                                          const TensorMap& weights);

}  // namespace micronet
