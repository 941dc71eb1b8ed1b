#include <iostream>

#include "models/cost.h"
#include "models/kernel_plan.h"
#include "runtime/kernel_registry.h"
#include "tools/cli_args.h"
#include "tools/commands.h"

namespace micronet::cli {

// micronet info ARCH [--json] [--height H --width W] [--classes N]
int cmd_info(int argc, char** argv) {
  Args a(argc, argv, 2, {"height", "width", "classes"}, {"json"});
  if (a.positional().size() != 1) throw UsageError("usage: micronet info ARCH [--json]");
  const ModelPlan plan = plan_model(model_config(a.positional()[0]), a.get_int("height", 224),
                                    a.get_int("width", 224), a.get_int("classes", -1));
  const CostReport r = cost_report(plan);
  if (a.has("json")) std::cout << cost_report_json(plan, r) << "\n";
  else std::cout << cost_report_table(plan, r);
  return 0;
}

// micronet kernels: the compiled kernels and, per model, the steps that call them.
int cmd_kernels(int argc, char** argv) {
  Args a(argc, argv, 2, {}, {});
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
