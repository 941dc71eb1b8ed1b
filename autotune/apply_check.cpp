#include "autotune/apply_check.h"

#include <map>

#include "Halide.h"
#include "autotune/kernel_space.h"
#include "autotune/tuning_db.h"
#include "models/kernel_plan.h"
#include "schedules/knobs.h"

namespace micronet::tune {

namespace {

// The build's kernels by name, as tools/list_kernels.cpp lists them for kernels.cmake.
const std::map<std::string, KernelSpec>& build_kernels() {
  static const std::map<std::string, KernelSpec> m = [] {
    std::vector<ModelPlan> plans;
    for (const std::string& a : known_archs()) plans.push_back(plan_model(model_config(a)));
    plans.push_back(plan_model(model_config("m0"), 64, 64, 10));  // models/pretrained/
    std::map<std::string, KernelSpec> out;
    for (const KernelSpec& k : kernels_for(plans)) out.emplace(k.name(), k);
    return out;
  }();
  return m;
}

}  // namespace

std::string check_against_knob_spaces(const TuningRecord& r) {
  const auto it = build_kernels().find(r.kernel);
  if (it == build_kernels().end()) return kUnknownKernel;
  if (!Halide::Target::validate_target_string(r.target))
    return "target \"" + r.target + "\" is not a Halide target string";
  const Halide::Target t(r.target);
  std::string family;
  try {
    family = sched::target_family(t);
  } catch (const std::exception& e) {
    return "target \"" + r.target + "\": " + e.what();
  }
  if (family != r.target_family)
    return "target \"" + r.target + "\" is of family " + family + ", the record says " + r.target_family;
  if (!r.autoscheduler.empty()) return "";  // no knobs; the name is checked by apply_to_text_db
  try {
    sched::Knobs k;
    for (const auto& [name, value] : r.knobs) k.set(name, value);
    // The schedule's own rule: an undeclared knob or a value outside its domain throws.
    kernel_space(it->second, t).resolve(k);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace micronet::tune
