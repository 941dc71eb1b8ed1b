#include <iostream>

#include "models/config.h"
#include "reference/kernel_cases.h"
#include "formats/file_io.h"
#include "tools/commands.h"
#include "tools/usage_error.h"

namespace micronet::cli {

// micronet cases --arch A --out CASES.safetensors [--size S | --height H --width W]
//                [--batch N] [--classes N] [--seed S] [--weights W]
// Writes the reference cases that `micronet check` replays on a target (formats/kernel_cases.h).
// Without --weights: random weights with calibrated BatchNorm statistics (from --seed).
int cmd_cases(const CasesArgs& a) {
  check_output_location(a.out, "--out");
  if (!a.weights.empty()) require_not_same_file(a.out, a.weights, "--out", "--weights");
  const int h = a.height > 0 ? a.height : a.size, w = a.width > 0 ? a.width : a.size;
  ModelFiles files = open_files("", a.weights);
  const ModelPlan plan = plan_files(files, a.arch, h, w, a.classes);
  TensorMap weights;
  std::string source;
  if (!a.weights.empty()) weights = take_cli_weights(files, plan, &source);
  std::cerr << "reference cases: " << plan.arch << " " << h << "x" << w << " batch " << a.batch << ", "
            << (a.weights.empty() ? "random weights (seed " + std::to_string(a.seed) + ")" : source) << "\n";
  const KernelCases cases =
      make_kernel_cases(plan, a.weights.empty() ? nullptr : &weights, a.batch, uint64_t(a.seed));
  write_kernel_cases(a.out, cases);
  std::cerr << "wrote " << a.out << ": " << cases.steps.size() << " kernel steps + the model's logits\n";
  return 0;
}

}  // namespace micronet::cli
