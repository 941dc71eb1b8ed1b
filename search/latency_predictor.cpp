#include "search/latency_predictor.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>

#include "Halide.h"
#include "autotune/candidate_compiler.h"
#include "support/paths.h"
#include "support/subprocess.h"
#include "autotune/tuning_db.h"
#include "autotune/workloads.h"
#include "compiler/package_compiler.h"
#include "models/cost.h"
#include "models/kernel_plan.h"
#include "models/plan.h"
#include "models/random_weights.h"
#include "runtime/device_targets.h"
#include "runtime/package.h"
#include "support/targets.h"
#include "formats/sha256.h"
#include "runtime/prepared_weights.h"
#include "schedules/knobs.h"
#include "search/search_space.h"

namespace fs = std::filesystem;

namespace micronet::search {

std::string OverheadModel::describe() const {
  char b[200];
  if (fitted_on == 0)
    return "no overhead model yet: no calibration networks measured under these conditions; add --calibrate 20 "
           "to measure 20 networks end to end and fit one (a few seconds each, kept in the latency table)";
  std::snprintf(b, sizeof b, "%.2f us + %.3f us per kernel call + %.2f us per million parameters (fitted on %d networks)",
                per_network_us, per_step_us, per_mparam_us, fitted_on);
  return b;
}

OverheadModel fit_overhead(const std::vector<NetworkTiming>& cal) {
  OverheadModel m;
  m.fitted_on = int(cal.size());
  if (cal.empty()) return m;
  // Normal equations A^T A x = A^T y for rows [1, steps, Mparams].
  double ata[3][3] = {}, aty[3] = {};
  for (const NetworkTiming& t : cal) {
    const double row[3] = {1.0, double(t.steps), double(t.params) / 1e6};
    const double y = t.measured_us - t.kernel_sum_us;
    for (int i = 0; i < 3; ++i) {
      aty[i] += row[i] * y;
      for (int j = 0; j < 3; ++j) ata[i][j] += row[i] * row[j];
    }
  }
  for (int i = 1; i < 3; ++i) ata[i][i] += 1e-6 * (1.0 + ata[i][i]);  // ridge on the slopes only
  // Gaussian elimination with partial pivoting on the 3x3 system.
  double a[3][4];
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) a[i][j] = ata[i][j];
    a[i][3] = aty[i];
  }
  for (int c = 0; c < 3; ++c) {
    int piv = c;
    for (int r = c + 1; r < 3; ++r)
      if (std::abs(a[r][c]) > std::abs(a[piv][c])) piv = r;
    for (int j = 0; j < 4; ++j) std::swap(a[c][j], a[piv][j]);
    if (std::abs(a[c][c]) < 1e-300) continue;
    for (int r = 0; r < 3; ++r) {
      if (r == c) continue;
      const double f = a[r][c] / a[c][c];
      for (int j = c; j < 4; ++j) a[r][j] -= f * a[c][j];
    }
  }
  double x[3];
  for (int i = 0; i < 3; ++i) x[i] = std::abs(a[i][i]) < 1e-300 ? 0.0 : a[i][3] / a[i][i];
  m.per_network_us = x[0];
  m.per_step_us = x[1];
  m.per_mparam_us = x[2];
  return m;
}

std::string kernel_compiler_identity(const std::string& generator_dir) {
  std::string all = package_runtime_version();
  for (const char* family : {"stem", "dwsep", "gconv", "head"}) {
    std::ifstream f(generator_dir + "/micronet_" + family + ".generator", std::ios::binary);
    if (!f) return "";
    const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    all += "|" + sha256_hex(bytes.data(), bytes.size());
  }
  return sha256_hex(all.data(), all.size()).substr(0, 16);
}

LatencyPredictor::LatencyPredictor(PredictorOptions o, LatencyTable& table) : options_(std::move(o)), table_(table) {
  std::string halide_target;
  try {
    halide_target = tune::candidate_target(options_.target);
  } catch (const std::exception& e) {
    throw std::invalid_argument("--target " + options_.target + " is not a Halide target (" + e.what() + ")");
  }
  family_ = sched::target_family(Halide::Target(halide_target));
  conditions_.machine = options_.machine.empty() ? tune::machine_name() : options_.machine;
  conditions_.target = halide_target;
  conditions_.batch = options_.batch;
  conditions_.threads = options_.threads;
  const std::string generators = options_.generator_dir.empty() ? executable_dir() : options_.generator_dir;
  conditions_.kernels = kernel_compiler_identity(generators);
  if (conditions_.kernels.empty())
    throw std::invalid_argument("no generator executables (micronet_<family>.generator) in " + generators);
  for (const auto& [kernel, choice] : compiler::read_schedule_choices({options_.base_tuning, options_.tuning}, family_))
    schedules_[kernel] = choice.candidate.autoscheduler.empty() ? choice.candidate.describe() : choice.candidate.autoscheduler;
  if (options_.work_dir.empty()) throw std::invalid_argument("the predictor needs a work folder");
  fs::create_directories(options_.work_dir);
}

std::vector<StepLatency> LatencyPredictor::steps_of(const ModelConfig& cfg, int size, int classes) const {
  const ModelPlan plan = plan_model(cfg, size, size, classes);
  std::vector<StepLatency> out;
  for (const KernelStep& s : lower_plan(plan)) {
    StepLatency l;
    l.kernel = s.spec.name();
    auto it = schedules_.find(l.kernel);
    l.schedule = it == schedules_.end() ? "defaults" : it->second;
    l.in_h = s.in_h;
    l.in_w = s.in_w;
    out.push_back(l);
  }
  return out;
}

std::optional<Prediction> LatencyPredictor::predict_cached(const ModelConfig& cfg, int size, int classes) const {
  Prediction p;
  p.config_id = config_id(cfg);
  p.steps = steps_of(cfg, size, classes);
  p.params = cost_report(plan_model(cfg, size, size, classes)).params;
  for (StepLatency& s : p.steps) {
    const std::optional<KernelTiming> t = table_.kernel(conditions_, s.kernel, s.schedule, s.in_h, s.in_w);
    if (!t) return std::nullopt;
    s.us = t->min_us;
    p.kernel_sum_us += s.us;
  }
  p.overhead_us = overhead().at(int(p.steps.size()), p.params);
  p.total_us = p.kernel_sum_us + p.overhead_us;
  return p;
}

std::string LatencyPredictor::step_key(const StepLatency& s) {
  return s.kernel + "@" + std::to_string(s.in_h) + "x" + std::to_string(s.in_w);
}

std::string LatencyPredictor::package_key(const ModelConfig& cfg, int size, int classes) const {
  // A package named by the network alone answered a prediction with --tuning from the package
  // compiled earlier without it, and stored the default schedule's time under the tuned
  // schedule's key. The key holds everything the kernels' code depends on.
  std::string what = conditions_.target + "|" + conditions_.kernels;
  for (const StepLatency& s : steps_of(cfg, size, classes)) what += "|" + s.kernel + "=" + s.schedule;
  return config_id(cfg) + "-" + std::to_string(size) + "n" + std::to_string(classes) + "-" +
         sha256_hex(what.data(), what.size()).substr(0, 12);
}

std::string LatencyPredictor::cannot_measure_here() const {
  if (const std::string why = target_mismatch(conditions_.target); !why.empty()) return why;
  const std::string api = device_api_of(conditions_.target);
  if (api != "host")
    if (const std::string why = probe_target(api); !why.empty()) return api + " cannot run here: " + why;
  return "";
}

void LatencyPredictor::require_measurable(const std::string& what) const {
  const std::string why = cannot_measure_here();
  if (why.empty()) return;
  throw std::runtime_error("cannot measure " + what + " for " + options_.target + " on this machine (" + why +
                           "); the latency table " + table_.path() + " has no records for them under these "
                           "conditions (machine '" + conditions_.machine + "', " + std::to_string(conditions_.threads) +
                           " thread(s), batch " + std::to_string(conditions_.batch) + "): run the search on a machine "
                           "of that target, or give it a table measured there (--table, --machine)");
}

std::string LatencyPredictor::package_dir(const ModelConfig& cfg, int size, int classes, std::ostream& progress) {
  const std::string dir = options_.work_dir + "/" + package_key(cfg, size, classes);
  if (fs::exists(dir + "/" + kPackageManifest) && fs::exists(dir + "/" + kPackageLibrary)) return dir;
  compiler::PackageOptions po;
  po.config = cfg;
  po.target = options_.target;
  po.height = po.width = size;
  po.classes = classes;
  po.tuning = options_.tuning;
  po.base_tuning = options_.base_tuning;
  po.out = dir;
  po.jobs = options_.jobs;
  po.cache_dir = options_.cache_dir;
  po.generator_dir = options_.generator_dir;
  std::ostringstream quiet;  // the package compiler's per-kernel lines; only failures matter here
  const compiler::PackageResult r = compiler::compile_package(po, quiet);
  progress << "  compiled " << cfg.arch << ": " << r.kernels << " kernels (" << r.compiled << " new, " << r.cached
           << " cached) in " << std::lround(r.seconds * 10) / 10.0 << " s\n";
  return dir;
}

std::vector<tune::Timing> LatencyPredictor::time_steps(const ModelConfig& cfg, int size, int classes,
                                                     const std::vector<size_t>& which, int passes,
                                                     std::ostream& progress) {
  if (which.empty()) return {};
  const ModelPlan plan = plan_model(cfg, size, size, classes);
  const std::vector<KernelStep> steps = lower_plan(plan);
  const std::vector<StepLatency> wanted = steps_of(cfg, size, classes);
  const std::string dir = package_dir(cfg, size, classes, progress);
  const std::shared_ptr<const ModelPackage> package = ModelPackage::open(dir);
  const std::vector<PreparedStep> prepared = prepare_weights(plan, steps, random_weights(plan, options_.seed));
  tune::MeasureOptions mo;
  mo.batch = options_.batch;
  mo.threads = options_.threads;
  mo.repeats = options_.repeats;
  mo.seed = options_.seed;
  mo.check_odd_size = false;  // the package compiler's kernels are the build's, already checked
  mo.device = device_api_of(conditions_.target) == "host" ? "" : device_api_of(conditions_.target);
  for (size_t i : which)
    if (!package->find(wanted[i].kernel)) throw std::logic_error("package " + dir + " lacks kernel " + wanted[i].kernel);
  // Each step timed in `passes` passes over the whole list: a pass takes a few seconds, so a
  // burst of load on a shared machine spoils at most one of a kernel's timings, and the
  // minimum keeps the other.
  std::vector<tune::Timing> best(which.size());
  for (int pass = 0; pass < std::max(1, passes); ++pass)
    for (size_t k = 0; k < which.size(); ++k) {
      const size_t i = which[k];
      const tune::Workload w{cfg.arch, steps[i], prepared[i], steps[i]};
      const tune::Timing t = tune::measure_kernel(*package->find(wanted[i].kernel), w, mo);
      if (pass == 0 || t.min_us < best[k].min_us) best[k] = t;
    }
  return best;
}

Prediction LatencyPredictor::predict(const ModelConfig& cfg, int size, int classes, std::ostream& progress) {
  if (std::optional<Prediction> p = predict_cached(cfg, size, classes)) return *p;
  // The steps the table lacks, a kernel at one size once.
  const std::vector<StepLatency> wanted = steps_of(cfg, size, classes);
  std::vector<size_t> missing;
  std::set<std::string> keys;
  for (size_t i = 0; i < wanted.size(); ++i) {
    const StepLatency& s = wanted[i];
    if (table_.kernel(conditions_, s.kernel, s.schedule, s.in_h, s.in_w)) continue;
    if (keys.insert(step_key(s)).second) missing.push_back(i);
  }
  if (!missing.empty()) require_measurable(std::to_string(missing.size()) + " kernels of " + cfg.arch);
  const std::vector<tune::Timing> best = time_steps(cfg, size, classes, missing, options_.passes, progress);
  for (size_t k = 0; k < missing.size(); ++k) {
    const StepLatency& s = wanted[missing[k]];
    table_.add(conditions_, KernelTiming{s.kernel, s.schedule, s.in_h, s.in_w, best[k].median_us, best[k].min_us});
  }
  std::optional<Prediction> p = predict_cached(cfg, size, classes);
  if (!p) throw std::logic_error("a measured kernel is missing from the latency table");
  p->measured_now = int(missing.size());
  return *p;
}

int LatencyPredictor::retime(const ModelConfig& cfg, int size, int classes, std::set<std::string>& retimed,
                             std::ostream& progress) {
  predict(cfg, size, classes, progress);  // every step has a record first
  const std::vector<StepLatency> wanted = steps_of(cfg, size, classes);
  std::vector<size_t> which;
  for (size_t i = 0; i < wanted.size(); ++i)
    if (retimed.insert(step_key(wanted[i])).second) which.push_back(i);
  const std::vector<tune::Timing> now = time_steps(cfg, size, classes, which, 1, progress);
  for (size_t k = 0; k < which.size(); ++k) {
    const StepLatency& s = wanted[which[k]];
    const KernelTiming before = *table_.kernel(conditions_, s.kernel, s.schedule, s.in_h, s.in_w);
    table_.add(conditions_, KernelTiming{s.kernel, s.schedule, s.in_h, s.in_w, std::min(before.median_us, now[k].median_us),
                                         std::min(before.min_us, now[k].min_us)});
  }
  return int(which.size());
}

NetworkTiming LatencyPredictor::measure_network(const ModelConfig& cfg, int size, int classes, const std::string& role,
                                                std::ostream& progress) {
  const Prediction p = predict(cfg, size, classes, progress);
  require_measurable(cfg.arch + " end to end");
  const std::string dir = package_dir(cfg, size, classes, progress);
  const std::string exe = options_.micronet_exe.empty() ? executable_dir() + "/micronet" : options_.micronet_exe;
  // About 0.3 s of calls per run, so a run is long enough to be stable and short enough to
  // repeat; the minimum over runs of each run's median, as the kernels' timings.
  const int iters = std::clamp(int(3e5 / std::max(1.0, p.total_us > 0 ? p.total_us : p.kernel_sum_us)), 200, 20000);
  double best_ms = 0;
  for (int r = 0; r < std::max(1, options_.network_repeats); ++r) {
    const ProcessResult pr = run_process(
        {exe, "bench", "--package", dir, "--height", std::to_string(size), "--width", std::to_string(size), "--threads", std::to_string(options_.threads), "--batch",
         std::to_string(options_.batch), "--iters", std::to_string(iters), "--warmup", std::to_string(iters / 10),
         "--json"},
        300, options_.work_dir + "/bench.log");
    if (!pr.start_error.empty()) throw std::runtime_error("cannot run " + exe + ": " + pr.start_error);
    if (pr.exit_code != 0) throw std::runtime_error("micronet bench failed on " + dir + ":\n" + pr.output);
    double ms = 0;
    try {
      const size_t brace = pr.output.find('{');
      const nlohmann::json j = nlohmann::json::parse(pr.output.substr(brace == std::string::npos ? 0 : brace));
      ms = j.at("median_ms").get<double>();
    } catch (const std::exception& e) {
      throw std::runtime_error("cannot read micronet bench's JSON (" + std::string(e.what()) + "):\n" + pr.output);
    }
    best_ms = r == 0 ? ms : std::min(best_ms, ms);
  }
  // A network measured before (an earlier sweep) keeps its best run: the newest record
  // carries the minimum over all of them.
  if (const std::optional<NetworkTiming> before = latest_network(role, p.config_id))
    best_ms = std::min(best_ms, before->measured_us / 1000.0);
  NetworkTiming t;
  t.config_id = p.config_id;
  t.role = role;
  t.size = size;
  t.steps = int(p.steps.size());
  t.params = p.params;
  t.kernel_sum_us = p.kernel_sum_us;
  t.measured_us = best_ms * 1000.0;
  table_.add(conditions_, t);
  return t;
}

std::vector<NetworkTiming> LatencyPredictor::latest_networks(const std::string& role) const {
  std::map<std::string, NetworkTiming> newest;
  for (const NetworkTiming& t : table_.networks(conditions_))
    if (t.role == role) newest[t.config_id] = t;  // records are in the order they were taken
  std::vector<NetworkTiming> out;
  for (auto& [id, t] : newest) out.push_back(std::move(t));
  return out;
}

std::optional<NetworkTiming> LatencyPredictor::latest_network(const std::string& role, const std::string& id) const {
  std::optional<NetworkTiming> newest;
  for (const NetworkTiming& t : table_.networks(conditions_))
    if (t.role == role && t.config_id == id) newest = t;
  return newest;
}

std::set<std::string> LatencyPredictor::networks_measured(const std::string& role) const {
  std::set<std::string> ids;
  for (const NetworkTiming& t : latest_networks(role)) ids.insert(t.config_id);
  return ids;
}

std::vector<double> predict_from_records(const std::vector<NetworkTiming>& networks, const OverheadModel& model) {
  std::vector<double> out;
  out.reserve(networks.size());
  for (const NetworkTiming& t : networks) out.push_back(t.kernel_sum_us + model.at(t.steps, t.params));
  return out;
}

OverheadModel LatencyPredictor::overhead() const { return fit_overhead(latest_networks("calibration")); }

}  // namespace micronet::search
