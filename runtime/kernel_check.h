// Replaying one reference case (formats/kernel_cases.h) through one compiled kernel on a
// target: the logical input is staged into stored planes (the step's index maps) inside a
// buffer with NaN-filled kRowHalo slack on each side, as the arena provides (a kernel that
// lets halo values leak into its result fails); the output is mapped back to logical
// channels and compared with the reference's.
#pragma once

#include <string>

#include "models/kernel_plan.h"
#include "formats/kernel_cases.h"
#include "runtime/kernel_registry.h"
#include "runtime/prepared_weights.h"

namespace micronet {

// sqrt(sum (got - want)^2) / sqrt(sum want^2) (the absolute norm when want is all zero).
double relative_l2(const float* got, const float* want, size_t n);

// Runs `kernel` (compiled for `target`: "host", "opencl", "cuda") on the case and returns
// the relative L2 error of its output. Tensor shapes that do not fit the step are a
// FormatError naming the step's kernel and the shape; kernel failures a RunError.
double run_kernel_case(const KernelStep& step, const PreparedStep& prepared,
                       const KernelEntry& kernel, const KernelCase& c, int batch,
                       const std::string& target = "host");

}  // namespace micronet
