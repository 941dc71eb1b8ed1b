#include "autotune/workloads.h"

#include <set>
#include <sstream>
#include <stdexcept>

#include "models/config.h"
#include "models/random_weights.h"

namespace micronet::tune {

std::string ModelChoice::label() const {
  if (height == 224 && width == 224 && classes < 0) return arch;
  return arch + "@" + std::to_string(height) + "x" + std::to_string(width) +
         (classes > 0 ? "n" + std::to_string(classes) : "");
}

ModelChoice parse_model_label(const std::string& label) {
  ModelChoice m;
  const size_t at = label.find('@');
  m.arch = label.substr(0, at);
  if (at != std::string::npos) {
    char x = 0, n = 0;
    std::istringstream in(label.substr(at + 1));
    if (!(in >> m.height >> x >> m.width) || x != 'x')
      throw std::invalid_argument("bad model label '" + label + "' (want m0 or m0@64x64n10)");
    if (in >> n) {
      if (n != 'n' || !(in >> m.classes)) throw std::invalid_argument("bad model label '" + label + "'");
    }
  }
  model_config(m.arch);  // throws naming the valid architectures
  return m;
}

std::vector<Workload> workloads_for(const std::vector<ModelChoice>& models, uint64_t seed) {
  std::vector<Workload> out;
  std::set<std::string> seen;
  for (const ModelChoice& m : models) {
    const ModelPlan plan = plan_model(model_config(m.arch), m.height, m.width, m.classes);
    const std::vector<KernelStep> steps = lower_plan(plan);
    const std::vector<KernelStep> odd = lower_plan(plan_model(model_config(m.arch), 75, 61, m.classes));
    std::vector<PreparedStep> prepared;
    for (size_t i = 0; i < steps.size(); ++i) {
      if (!seen.insert(steps[i].spec.name()).second) continue;
      if (prepared.empty()) prepared = prepare_weights(plan, steps, random_weights(plan, seed));
      out.push_back(Workload{m.label(), steps[i], prepared[i], odd.at(i)});
    }
  }
  return out;
}

std::vector<ModelChoice> shipped_models() {
  std::vector<ModelChoice> out;
  for (const std::string& a : known_archs()) out.push_back(ModelChoice{a});
  out.push_back(ModelChoice{"m0", 64, 64, 10});
  return out;
}

std::vector<std::string> kernel_names(const ModelChoice& m) {
  const ModelPlan plan = plan_model(model_config(m.arch), m.height, m.width, m.classes);
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const KernelStep& s : lower_plan(plan))
    if (seen.insert(s.spec.name()).second) out.push_back(s.spec.name());
  return out;
}

}  // namespace micronet::tune
