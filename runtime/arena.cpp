#include "runtime/arena.h"

#include <algorithm>
#include <cstdint>
#include <numeric>

namespace micronet {

namespace {
constexpr size_t kAlign = 64;
size_t align_up(size_t v) { return (v + kAlign - 1) / kAlign * kAlign; }
}  // namespace

ArenaPlan plan_arena(const std::vector<ArenaRequest>& requests) {
  ArenaPlan plan;
  plan.offsets.assign(requests.size(), 0);
  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return requests[a].bytes > requests[b].bytes; });
  std::vector<size_t> placed;
  for (size_t idx : order) {
    const ArenaRequest& r = requests[idx];
    const size_t size = align_up(r.bytes);
    // Intervals of already placed tensors alive at the same time, by offset.
    std::vector<std::pair<size_t, size_t>> busy;
    for (size_t p : placed) {
      const ArenaRequest& q = requests[p];
      if (q.last_use < r.first_use || r.last_use < q.first_use) continue;
      busy.push_back({plan.offsets[p], plan.offsets[p] + align_up(q.bytes)});
    }
    std::sort(busy.begin(), busy.end());
    size_t best = SIZE_MAX, best_gap = SIZE_MAX, cursor = 0;
    for (const auto& b : busy) {
      if (b.first >= cursor + size && b.first - cursor - size < best_gap) {
        best = cursor;
        best_gap = b.first - cursor - size;
      }
      cursor = std::max(cursor, b.second);
    }
    if (best == SIZE_MAX) best = cursor;
    plan.offsets[idx] = best;
    plan.total_bytes = std::max(plan.total_bytes, best + size);
    placed.push_back(idx);
  }
  return plan;
}

}  // namespace micronet
