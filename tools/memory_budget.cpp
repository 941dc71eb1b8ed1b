#include "tools/memory_budget.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "tools/usage_error.h"

namespace micronet::cli {

size_t bytes_per_image(const ModelPlan& plan) {
  size_t largest = 0;
  for (const Block& b : plan.blocks)
    for (const Op& op : b.ops) {
      largest = std::max(largest, size_t(op.in_channels) * op.in_h * op.in_w);
      largest = std::max(largest, size_t(op.out_channels) * op.out_h * op.out_w);
    }
  const size_t input = size_t(3) * plan.input_h * plan.input_w;
  return sizeof(float) * (input + 3 * largest + size_t(plan.num_classes));
}

size_t available_memory_bytes() {
  std::ifstream f("/proc/meminfo");
  for (std::string line; std::getline(f, line);) {
    std::istringstream s(line);
    std::string key;
    size_t kb = 0;
    if (s >> key >> kb && key == "MemAvailable:") return kb * 1024;
  }
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? size_t(pages) * size_t(page) : 0;
}

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) bytes /= 1024, ++u;
  char b[32];
  std::snprintf(b, sizeof b, u ? "%.1f %s" : "%.0f %s", bytes, units[u]);
  return b;
}

void check_batch_fits(const ModelPlan& plan, int64_t batch, const std::string& flag, size_t extra_bytes) {
  const size_t available = available_memory_bytes();
  if (available == 0) return;  // unknown: let the allocation decide
  const double per = double(bytes_per_image(plan));
  const double need = per * double(batch) + double(extra_bytes);
  if (need <= double(available)) return;
  throw UsageError(flag + " " + std::to_string(batch) + ": MicroNet-" + plan.arch + " at " +
                   std::to_string(plan.input_h) + "x" + std::to_string(plan.input_w) + " needs about " +
                   human_bytes(need) + " for it (" + human_bytes(per) + " per image), more than the " +
                   human_bytes(double(available)) + " of memory available; use a smaller " + flag);
}

}  // namespace micronet::cli
