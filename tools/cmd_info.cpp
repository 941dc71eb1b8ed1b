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

// micronet kernels: the compiled kernels and, per model, the steps that call them.
int cmd_kernels() {
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
