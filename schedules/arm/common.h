// Small target facts shared by the ARM schedules.
#pragma once

#include <algorithm>

namespace micronet::sched::arm {

// The largest divisor of n that is <= cap (>= 1): register blocks must tile n exactly.
inline int largest_divisor_at_most(int n, int cap) {
  for (int d = cap < n ? cap : n; d > 1; --d)
    if (n % d == 0) return d;
  return 1;
}

}  // namespace micronet::sched::arm
