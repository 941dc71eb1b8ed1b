// Reference cases for checking compiled kernels on any target without LibTorch there.
//
// A host build with LibTorch writes them (`micronet cases`, reference/kernel_cases.h):
// the model's weights, a random input, the reference logits, and for every kernel step of
// lower_plan() the logical tensors the reference feeds it and gets from the same ops. A build
// for another target (the aarch64 binary under qemu, the OpenCL or CUDA kernels) replays them
// (`micronet check`, runtime/kernel_check.h). One safetensors file:
//
//   __metadata__   format "micronet-kernel-cases-1", arch, input_height, input_width, batch,
//                  num_classes, steps, seed
//   weights/<key>  the official state_dict the reference ran
//   model/input    N x 3 x H x W;   model/logits   N x num_classes
//   step007/input, step007/block_input (residual steps only), step007/expected
//                  logical NCHW tensors (expected: N x classes for the head)
#pragma once

#include <string>
#include <vector>

#include "formats/tensor.h"

namespace micronet {

struct KernelCase {
  Tensor input;        // the step's input, logical channel order
  Tensor block_input;  // the block's input when the step adds the residual; else empty
  Tensor expected;     // the reference output of the step's ops (conv, activation, shuffles, residual)
};

struct KernelCases {
  std::string arch;
  int input_h = 0, input_w = 0, batch = 0, num_classes = 0;
  uint64_t seed = 0;
  TensorMap weights;
  Tensor model_input, model_logits;
  std::vector<KernelCase> steps;
};

// Atomic (nothing left at `path` when it throws).
void write_kernel_cases(const std::string& path, const KernelCases& cases);
// Strict: the format tag, every metadata field, and every tensor of every step must be
// present and F32; a missing or malformed one is a FormatError naming `path` and the key.
// Counts are bounded and checked against the tensors in the file (model/input must be
// batch x 3 x H x W, model/logits batch x classes) before anything is sized from them.
KernelCases read_kernel_cases(const std::string& path);

}  // namespace micronet
