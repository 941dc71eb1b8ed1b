// Activation memory plan: tensors with (size, first use, last use) get offsets in one
// buffer so that tensors alive at the same time never overlap. Planned once per batch
// size; running never allocates afterwards.
#pragma once

#include <cstddef>
#include <vector>

namespace micronet {

struct ArenaRequest {
  size_t bytes = 0;
  int first_use = 0, last_use = 0;  // step indices, inclusive
};

struct ArenaPlan {
  std::vector<size_t> offsets;  // per request
  size_t total_bytes = 0;
};

// Greedy best-fit by decreasing size (the allocation planner of TFLite / hannk):
// near-optimal for chain-like CNN graphs. Offsets are 64-byte aligned.
ArenaPlan plan_arena(const std::vector<ArenaRequest>& requests);

}  // namespace micronet
