#include "autotune/workloads.h"

#include <set>
#include <sstream>
#include <stdexcept>

#include "models/config.h"
#include "models/config_json.h"
#include "models/random_weights.h"

namespace micronet::tune {

namespace {
// A path (a config file) rather than a built-in model's name.
bool is_config_path(const std::string& arch) {
  return arch.find('/') != std::string::npos || arch.find(".json") != std::string::npos;
}
}  // namespace

std::string ModelChoice::label() const {
  // A config file's label always ends in its size, so that an '@' in the path is never
  // taken for the size's (parse_model_label splits at the last one).
  if (height == 224 && width == 224 && classes < 0 && !is_config_path(arch)) return arch;
  return arch + "@" + std::to_string(height) + "x" + std::to_string(width) +
         (classes > 0 ? "n" + std::to_string(classes) : "");
}

ModelConfig ModelChoice::config() const { return config_for(arch); }

ModelChoice parse_model_label(const std::string& label) {
  ModelChoice m;
  const size_t at = label.rfind('@');  // a config file's path may hold one; the size follows the last
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
  // A name like m0 is one of the built-in models (model_config names the valid ones); a
  // path is a config file (its errors name the file and field).
  if (is_config_path(m.arch))
    m.config();
  else
    model_config(m.arch);
  return m;
}

std::vector<Workload> workloads_for(const std::vector<ModelChoice>& models, uint64_t seed) {
  std::vector<Workload> out;
  std::set<std::string> seen;
  for (const ModelChoice& m : models) {
    const ModelConfig cfg = m.config();
    const ModelPlan plan = plan_model(cfg, m.height, m.width, m.classes);
    const std::vector<KernelStep> steps = lower_plan(plan);
    const std::vector<KernelStep> odd = lower_plan(plan_model(cfg, 75, 61, m.classes));
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
  const ModelPlan plan = plan_model(m.config(), m.height, m.width, m.classes);
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const KernelStep& s : lower_plan(plan))
    if (seen.insert(s.spec.name()).second) out.push_back(s.spec.name());
  return out;
}

}  // namespace micronet::tune
