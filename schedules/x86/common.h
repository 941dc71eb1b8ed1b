// Small target facts shared by the x86 schedules.
#pragma once

#include <algorithm>

#include "Halide.h"

namespace micronet::sched::x86 {

// The largest divisor of n that is <= cap (>= 1): register blocks must tile n exactly.
inline int largest_divisor_at_most(int n, int cap) {
  for (int d = cap < n ? cap : n; d > 1; --d)
    if (n % d == 0) return d;
  return 1;
}

// Architectural vector registers: 32 zmm with AVX-512, else 16 (ymm / xmm).
inline int vector_registers(const Halide::Target& t) {
  return t.has_feature(Halide::Target::AVX512) || t.has_feature(Halide::Target::AVX512_Skylake) ? 32 : 16;
}

// The smallest power of two >= n (n >= 1): the widest vector a row of n values can use.
inline int ceil_pow2(int n) {
  int p = 1;
  while (p < n) p *= 2;
  return p;
}

}  // namespace micronet::sched::x86
