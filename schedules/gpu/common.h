// Helpers shared by the GPU schedules (one schedule for cuda and opencl).
#pragma once

#include "Halide.h"

namespace micronet::sched::gpu {

inline int largest_divisor_at_most(int n, int cap) {
  for (int d = cap < n ? cap : n; d > 1; --d)
    if (n % d == 0) return d;
  return 1;
}

// A 1-D launch over `v`: blocks of `threads` threads, the rest of the listed vars (at most
// two) as further block dimensions. Every stage of a GPU kernel must run on the device
// (the runtime hands device-only buffers to the kernels), so even tiny stages get this.
inline void launch_1d(Halide::Stage f, const Halide::VarOrRVar& v, int threads,
                      const Halide::VarOrRVar& b1) {
  Halide::Var vo, vi;
  f.split(v, vo, vi, threads, Halide::TailStrategy::GuardWithIf).gpu_blocks(vo, b1).gpu_threads(vi);
}

}  // namespace micronet::sched::gpu
