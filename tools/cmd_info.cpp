#include <algorithm>
#include <iostream>

#include "models/config_json.h"
#include "models/cost.h"
#include "models/kernel_plan.h"
#include "runtime/kernel_registry.h"
#include "tools/commands.h"
#include "tools/usage_error.h"

namespace micronet::cli {

// micronet info (ARCH | --config FILE) [--json] [--height H] [--width W] [--classes N]
int cmd_info(const InfoArgs& a) {
  if (a.arch.empty() == a.config.empty()) throw UsageError("give one model: ARCH (m0..m3) or --config FILE");
  const ModelConfig cfg = a.config.empty() ? model_config(a.arch) : load_config_file(a.config);
  const ModelPlan plan = plan_model(cfg, a.height > 0 ? a.height : cfg.input_h, a.width > 0 ? a.width : cfg.input_w,
                                    a.classes);
  const CostReport r = cost_report(plan);
  if (a.json) std::cout << cost_report_json(plan, r) << "\n";
  else std::cout << cost_report_table(plan, r);
  return 0;
}

// micronet kernels --config FILE: the network's kernels in the order it runs them, which of
// them this build lacks, and what to do with the names (tune, compile).
int cmd_network_kernels(const KernelsArgs& a) {
  const ModelConfig cfg = load_config_file(a.config);
  const ModelPlan plan = plan_model(cfg, cfg.input_h, cfg.input_w, a.classes);
  const std::vector<KernelStep> steps = lower_plan(plan);
  std::vector<std::string> distinct, missing;
  for (const KernelStep& s : steps) {
    const std::string n = s.spec.name();
    if (std::find(distinct.begin(), distinct.end(), n) != distinct.end()) continue;
    distinct.push_back(n);
    if (!find_kernel(n)) missing.push_back(n);
  }
  std::cout << "MicroNet-" << plan.arch << " (" << a.config << ") at " << plan.input_h << "x" << plan.input_w << ", "
            << plan.num_classes << " classes: " << steps.size() << " steps, " << distinct.size() << " distinct kernels, "
            << missing.size() << " of them not in this build (marked !)\n";
  for (const KernelStep& s : steps)
    std::cout << "  " << (find_kernel(s.spec.name()) ? "  " : "! ") << s.spec.name() << "  " << s.in_w << "x" << s.in_h
              << " -> " << s.out_w << "x" << s.out_h << "\n";
  std::cout << "tune them: micronet tune --config " << a.config << " --size " << plan.input_h << "x" << plan.input_w
            << " --db my.jsonl [--kernel NAME ...]; compile the network: micronet compile --config " << a.config
            << " --out DIR [--tuning my.jsonl]\n";
  return 0;
}

// micronet kernels: the compiled kernels and, per model, the steps that call them.
int cmd_kernels(const KernelsArgs& a) {
  if (!a.config.empty()) return cmd_network_kernels(a);
  if (a.classes > 0) throw UsageError("--classes applies with --config");
  std::cout << all_kernels().size() << " kernels compiled into this build\n";
  for (const std::string& arch : known_archs()) {
    const ModelPlan plan = plan_model(model_config(arch));
    std::cout << "\n" << arch << ":\n";
    for (const KernelStep& s : lower_plan(plan))
      std::cout << "  " << (find_kernel(s.spec.name()) ? "  " : "! ") << s.spec.name() << "  "
                << s.in_w << "x" << s.in_h << " -> " << s.out_w << "x" << s.out_h << "\n";
  }
  return 0;
}

}  // namespace micronet::cli
