// Refuses a batch that cannot fit in memory before anything is allocated: `bench --batch
// 100000` at 224x224 wants ~60 GB of input alone and used to die with std::bad_alloc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "models/plan.h"

namespace micronet::cli {

// Bytes one image of `plan` needs while it runs: its float input plus the activations alive
// at once (at most three of the largest tensors: a block's input kept for the residual, an
// op's input and its output), plus its logits.
size_t bytes_per_image(const ModelPlan& plan);

// MemAvailable from /proc/meminfo (what can be allocated without swapping), else the
// physical memory; 0 when neither is known.
size_t available_memory_bytes();

// "1.5 GB", "601.6 KB": for messages.
std::string human_bytes(double bytes);

// Throws UsageError naming `flag` and the estimate when `batch` images (plus `extra_bytes`,
// e.g. a data set already in memory) would need more than the available memory.
void check_batch_fits(const ModelPlan& plan, int64_t batch, const std::string& flag, size_t extra_bytes = 0);

}  // namespace micronet::cli
