// Runs one compiled kernel on its real shapes and times it: random inputs (seeded, the
// same for every candidate of a kernel), `batch` images, `threads` Halide threads. Needs
// only the runtime (no Halide compiler), so it also builds for boards: the executable
// micronet-measure wraps it for `micronet tune --runner`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "autotune/workloads.h"
#include "runtime/kernel_registry.h"

namespace micronet::tune {

struct MeasureOptions {
  int batch = 1;
  int threads = 1;
  int repeats = 5;             // medians taken; the result is their minimum
  double repeat_seconds = 0.02;  // time spent per repeat (at least 3 calls)
  uint64_t seed = 1;
  // "" (host memory) or the GPU API the kernel was compiled for ("opencl", "cuda"): inputs
  // are uploaded once, every timed call is followed by a device sync, the output downloaded.
  std::string device;
  bool check_odd_size = true;  // also run odd_step once (Timing::odd_output)
};

struct Timing {
  double median_us = 0;        // median over the repeats of each repeat's median call
  double min_us = 0;           // minimum over the repeats' medians
  int repeats = 0;
  std::vector<float> output;   // the kernel's output on the seeded inputs (batch images)
  std::vector<float> odd_output;  // its output on the workload's odd_step, 2 images (check only)
};

// Throws RunError (runtime/halide_model.h) with Halide's message when the kernel fails.
Timing measure_kernel(const KernelEntry& kernel, const Workload& w, const MeasureOptions& options);

// ||a - b|| / ||b||; +inf when sizes differ or anything is not finite.
double relative_l2(const std::vector<float>& a, const std::vector<float>& b);

}  // namespace micronet::tune
