// The real shapes a kernel is tuned on: each distinct kernel of the chosen models, with
// the layer step (sizes, index maps) and prepared random weights of its first use.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/config.h"
#include "models/kernel_plan.h"
#include "runtime/prepared_weights.h"

namespace micronet::tune {

struct Workload {
  std::string model;        // "m0", ..., or "m0@64x64n10": where the step comes from
  KernelStep step;
  PreparedStep prepared;
  // The same kernel in the same model planned at an odd size (75x61 input): the compiled code
  // takes any size, and a schedule that only works at the tuning size (an autoscheduler's
  // tiles that assume a wide plane) must fail the check, not the user's 75x61 image.
  KernelStep odd_step;
};

struct ModelChoice {
  std::string arch;         // "m0".."m3", or the path of a config file (a searched network)
  int height = 224, width = 224, classes = -1;  // -1: the architecture's default
  std::string label() const;  // "m0" at 224x224 / default classes, else "m0@64x64n10"
  ModelConfig config() const;  // the built-in model, or the file's (config_for)
};

// Distinct kernels (by name, first occurrence) of the models, in model order. Weights are
// random (seeded): the tuner compares schedules with each other, never with a checkpoint.
std::vector<Workload> workloads_for(const std::vector<ModelChoice>& models, uint64_t seed);

// The models the project ships kernels for: M0..M3 at 224x224 and the Fashion-MNIST M0
// (64x64, 10 classes) of models/pretrained/.
std::vector<ModelChoice> shipped_models();

// The inverse of ModelChoice::label(); std::invalid_argument for anything else.
ModelChoice parse_model_label(const std::string& label);

// Kernel names of one model (each distinct kernel once), for reports.
std::vector<std::string> kernel_names(const ModelChoice& model);

}  // namespace micronet::tune
