#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>
#include <vector>

#include "models/config.h"
#include "models/kernel_plan.h"
#include "runtime/device_targets.h"
#include "runtime/halide_model.h"
#include "formats/kernel_cases.h"
#include "runtime/kernel_check.h"
#include "tools/usage_error.h"
#include "tools/commands.h"

namespace micronet::cli {

namespace {

std::string sci(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2e", v);
  return b;
}

// --family: "all", "none" (the model only) or a comma-separated subset of stem,dwsep,gconv,head.
std::vector<KernelFamily> parse_families(const std::string& spec) {
  const std::vector<KernelFamily> all = {KernelFamily::Stem, KernelFamily::DepthwiseSep,
                                         KernelFamily::GroupConv, KernelFamily::Head};
  if (spec == "all") return all;
  if (spec == "none") return {};
  std::vector<KernelFamily> out;
  std::stringstream ss(spec);
  for (std::string name; std::getline(ss, name, ',');) {
    auto it = std::find_if(all.begin(), all.end(), [&](KernelFamily f) { return name == kernel_family_name(f); });
    if (it == all.end())
      throw UsageError("--family: unknown op family '" + name + "' (stem, dwsep, gconv, head, all or none)");
    out.push_back(*it);
  }
  return out;
}

// The k best classes of `got` and `want` agree rank by rank; a swap is accepted only
// between classes whose reference logits tie (within 1e-5 of the largest magnitude: e.g.
// the exact zeros h_swish produces).
bool same_top_k(const float* got, const float* want, int classes, int k) {
  auto top = [&](const float* v) {
    std::vector<int> idx(static_cast<size_t>(classes));
    for (int i = 0; i < classes; ++i) idx[size_t(i)] = i;
    std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](int a, int b) { return v[a] > v[b]; });
    idx.resize(size_t(k));
    return idx;
  };
  k = std::min(k, classes);
  const std::vector<int> g = top(got), w = top(want);
  float scale = 0.f;
  for (int i = 0; i < classes; ++i) scale = std::max(scale, std::fabs(want[i]));
  for (int r = 0; r < k; ++r)
    if (g[size_t(r)] != w[size_t(r)] && std::fabs(want[g[size_t(r)]] - want[w[size_t(r)]]) > 1e-5f * scale)
      return false;
  return true;
}

// Checks one cases file; prints a line per step, per family and for the model.
bool check_file(const std::string& path, const std::string& target, double tol,
                const std::vector<KernelFamily>& families, bool check_model) {
  const KernelCases cases = read_kernel_cases(path);
  ModelPlan plan;
  try {
    plan = plan_model(model_config(cases.arch), cases.input_h, cases.input_w, cases.num_classes);
  } catch (const std::exception& e) {
    throw FormatError(path + ": cannot plan the cases' model (" + e.what() + ")");
  }
  const std::vector<int64_t> in_shape = {cases.batch, 3, cases.input_h, cases.input_w};
  if (cases.model_input.shape != in_shape || cases.model_logits.shape != std::vector<int64_t>{cases.batch, cases.num_classes})
    throw FormatError(path + ": model/input " + cases.model_input.shape_str() + " or model/logits " +
                      cases.model_logits.shape_str() + " does not fit the metadata");
  const std::vector<KernelStep> steps = lower_plan(plan);
  if (steps.size() != cases.steps.size())
    throw FormatError(path + ": " + std::to_string(cases.steps.size()) + " kernel steps, the plan of " +
                      cases.arch + " has " + std::to_string(steps.size()) + " (written by another version?)");
  const std::vector<PreparedStep> prepared = prepare_weights(plan, steps, cases.weights);
  std::cout << "checking " << path << " (" << cases.arch << " " << cases.input_h << "x" << cases.input_w
            << ", batch " << cases.batch << ") on target " << target << ", tol " << tol << "\n";

  struct Tally { int checked = 0, failed = 0; double worst = 0; };
  std::map<std::string, Tally> tally;
  for (size_t i = 0; i < steps.size(); ++i) {
    const KernelStep& s = steps[i];
    if (std::find(families.begin(), families.end(), s.spec.family) == families.end()) continue;
    const KernelEntry* kernel = find_kernel(s.spec.name(), target);
    if (!kernel) throw RunError("kernel " + s.spec.name() + " is not compiled for target " + target);
    const double err = run_kernel_case(s, prepared[i], *kernel, cases.steps[i], cases.batch, target);
    const bool ok = err <= tol;  // false for NaN too
    Tally& t = tally[kernel_family_name(s.spec.family)];
    ++t.checked;
    t.failed += !ok;
    t.worst = std::max(t.worst, std::isnan(err) ? INFINITY : err);
    std::cout << "  step " << i << "\t" << s.spec.name() << "\trel L2 " << sci(err) << (ok ? "\tok" : "\tFAIL")
              << std::endl;
  }
  if (tally.empty() && !families.empty())
    throw UsageError("--family matched no kernel step of " + cases.arch + " (" + path + ")");
  bool all_ok = true;
  for (const auto& [family, t] : tally) {
    std::cout << family << ": " << t.checked << " steps, worst rel L2 " << sci(t.worst) << ", "
              << (t.failed ? std::to_string(t.failed) + " FAILED" : "all ok") << "\n";
    all_ok &= t.failed == 0;
  }
  if (check_model) {
    HalideModel model(plan, cases.weights, path, target);
    const std::vector<float> logits = model.run(cases.model_input.f32_data(), cases.batch);
    const float* want = cases.model_logits.f32_data();
    const double err = relative_l2(logits.data(), want, logits.size());
    bool same_top5 = true;
    for (int n = 0; n < cases.batch; ++n)
      same_top5 &= same_top_k(logits.data() + size_t(n) * plan.num_classes,
                              want + size_t(n) * plan.num_classes, plan.num_classes, 5);
    const bool ok = err <= tol && same_top5;
    std::cout << "model: logits rel L2 " << sci(err) << ", top-5 " << (same_top5 ? "same" : "DIFFERENT")
              << (ok ? ", ok" : ", FAILED") << "\n";
    all_ok &= ok;
  }
  return all_ok;
}

}  // namespace

// micronet check [--target host|opencl|cuda] [--family F[,F..]|all|none] [--tol T]
//                [--no-model] [--threads N] CASES.safetensors...
// Replays reference cases (`micronet cases`) through this build's kernels for `target`: each
// kernel step of the chosen families, then (unless --no-model) the whole model vs the
// reference logits. Exit 0 only when every error is <= tol (default 1e-4 on the CPU, 2e-4
// on GPU targets, whose math may contract and reorder differently) and the top-5 classes agree.
int cmd_check(const CheckArgs& a) {
  const double tol = a.tol >= 0 ? a.tol : a.target == "host" ? 1e-4 : 2e-4;
  const std::vector<KernelFamily> families = parse_families(a.family);
  const bool check_model = !a.no_model;
  if (families.empty() && !check_model) throw UsageError("--family none with --no-model checks nothing");
  if (a.files.empty()) throw UsageError("no cases file given (write them with `micronet cases`)");
  HalideModel::set_num_threads(a.threads);
  const std::string why = probe_target(a.target);
  if (!why.empty()) throw RunError("target " + a.target + " cannot run here: " + why);
  bool all_ok = true;
  for (const std::string& path : a.files) all_ok &= check_file(path, a.target, tol, families, check_model);
  std::cout << (all_ok ? "PASS" : "FAIL") << "\n";
  return all_ok ? 0 : 1;
}

}  // namespace micronet::cli
