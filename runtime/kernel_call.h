// One call of one compiled kernel: wraps the step's tensors and prepared weights in
// halide_buffer_t descriptors, in the argument order of the kernel's generator, and
// turns a Halide failure into an exception carrying Halide's message.
#pragma once

#include "models/kernel_plan.h"
#include "runtime/kernel_registry.h"
#include "runtime/prepared_weights.h"

namespace micronet {

// input: the stored tensor the step reads (planes in the order in_map refers to); for a stem
// or factorized-depthwise step it must have kRowHalo floats of readable memory before and
// after it (models/kernel_abi.h);
// residual: the block input (nullptr unless spec.residual); output: N x C x H x W.
// Throws RunError (runtime/halide_model.h) naming the kernel on failure.
// device: for a GPU target, rebinds every argument from host to device memory
// (runtime/device_targets.h); nullptr on the host.
class DeviceRun;
void call_kernel(const KernelEntry& kernel, const KernelStep& step, const PreparedStep& prepared,
                 int batch, const float* input, const float* residual, float* output,
                 DeviceRun* device = nullptr);

}  // namespace micronet
