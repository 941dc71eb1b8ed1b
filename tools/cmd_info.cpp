#include <iostream>

#include "models/cost.h"
#include "models/kernel_plan.h"
#include "runtime/kernel_registry.h"
#include "tools/commands.h"
#include "tools/usage_error.h"

namespace micronet::cli {

// micronet info ARCH [--json] [--height H] [--width W] [--classes N]
int cmd_info(const InfoArgs& a) {
  const ModelPlan plan = plan_model(model_config(a.arch), a.height, a.width, a.classes);
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
