#include <iostream>

#include "models/config.h"
#include "models/reference/kernel_cases.h"
#include "tools/cli_args.h"
#include "tools/commands.h"

namespace micronet::cli {

// micronet cases --arch A --out CASES.safetensors [--size S | --height H --width W]
//                [--batch N] [--classes N] [--seed S] [--weights W]
// Writes the reference cases that `micronet check` replays on a target (runtime/kernel_cases.h).
// Without --weights: random weights with calibrated BatchNorm statistics (from --seed).
int cmd_cases(int argc, char** argv) {
  Args a(argc, argv, 2, {"arch", "out", "size", "height", "width", "batch", "classes", "seed", "weights"}, {});
  const std::string out = a.require("out");
  const int size = a.get_int("size", 64);
  const int h = a.get_int("height", size), w = a.get_int("width", size);
  const int batch = a.get_int("batch", 2), seed = a.get_int("seed", 1);
  if (batch < 1) throw UsageError("--batch must be >= 1");
  if (seed < 0) throw UsageError("--seed must be >= 0");
  const std::string weights_path = a.get("weights");
  const ModelPlan plan = plan_for_weights(a.get("arch"), read_weights_metadata(weights_path),
                                          weights_path, h, w, a.get_int("classes", -1));
  TensorMap weights;
  std::string source;
  if (!weights_path.empty()) weights = load_weights_or_random(weights_path, plan, &source);
  std::cerr << "reference cases: " << plan.arch << " " << h << "x" << w << " batch " << batch
            << ", " << (weights_path.empty() ? "random weights (seed " + std::to_string(seed) + ")" : source)
            << "\n";
  const KernelCases cases = make_kernel_cases(plan, weights_path.empty() ? nullptr : &weights, batch, uint64_t(seed));
  write_kernel_cases(out, cases);
  std::cerr << "wrote " << out << ": " << cases.steps.size() << " kernel steps + the model's logits\n";
  return 0;
}

}  // namespace micronet::cli
