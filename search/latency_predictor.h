// Latency of a MicroNet-family network predicted from the kernels it compiles to.
//
// A config is planned at the search resolution and lowered (models/kernel_plan.h) to the
// exact kernels `micronet compile` builds for it, each with the schedule the tuning records
// choose (tuned kernels are predicted as tuned). Each (kernel, schedule, input size) is
// timed once, alone, by the autotuner's harness (autotune/measure.h) on its real shapes, and
// cached in the latency table (search/latency_table.h); a missing one is measured by
// compiling the network's package (through the kernel cache) and timing that kernel.
// What lies between kernels is an overhead model fitted by least squares to end-to-end
// measurements of calibration networks: a constant (the input check and staging, the arena,
// the call), a cost per kernel call, and a cost per parameter (a kernel timed alone finds
// its weights in cache; in the network they were evicted by the layers before it, so the
// larger the weights, the more of them come from L3 or memory):
//     predicted = sum of step latencies + per_network_us + per_step_us * steps
//                 + per_mparam_us * params / 1e6.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <ostream>
#include <string>
#include <vector>

#include "autotune/measure.h"
#include "models/config.h"
#include "search/latency_table.h"

namespace micronet::search {

// A digest of the generator executables in `generator_dir` (micronet_<family>.generator: the
// algorithms and schedules every kernel is compiled from) and of the project version (the
// runtime the kernels are timed in), 16 hex digits. "" when a generator is missing.
std::string kernel_compiler_identity(const std::string& generator_dir);

struct PredictorOptions {
  std::string target = "host";   // host or a Halide target string
  std::string tuning;            // tuning records, laid over base_tuning ("" = none)
  std::string base_tuning;       // records under `tuning` (the build's schedules/tuning_db.txt; "" = none):
                                 // a kernel takes the top layer's record, as `micronet compile` does
  // Packages compiled for measuring (created). Each network's package is keyed by what its
  // kernels are compiled from (the target, the generators, every step's schedule), so records
  // tuned later, or a rebuilt generator, never reuse a package compiled before them.
  std::string work_dir;
  std::string cache_dir;         // compiled-kernel cache ("" = micronet compile's default)
  std::string generator_dir;     // "" = beside the running executable
  std::string micronet_exe;      // `micronet` for end-to-end runs ("" = beside the running executable)
  std::string machine;           // "" = this machine's name (autotune/tuning_db.h)
  int batch = 1, threads = 1;
  int jobs = 0;                  // parallel kernel compiles (0 = the cores)
  int repeats = 5;               // timed repeats per kernel (minimum of medians)
  int passes = 2;                // passes over a network's new kernels (the minimum is kept)
  int network_repeats = 3;       // end-to-end `micronet bench` runs (minimum of medians)
  uint64_t seed = 1;             // random inputs and weights
};

struct StepLatency {
  std::string kernel, schedule;
  int in_h = 0, in_w = 0;
  double us = 0;
};

struct OverheadModel {
  double per_network_us = 0, per_step_us = 0, per_mparam_us = 0;
  int fitted_on = 0;             // calibration networks (0: no model yet, overhead 0)
  double at(int steps, int64_t params) const {
    return per_network_us + per_step_us * steps + per_mparam_us * double(params) / 1e6;
  }
  std::string describe() const;
};

struct Prediction {
  std::string config_id;
  std::vector<StepLatency> steps;
  int64_t params = 0;
  double kernel_sum_us = 0, overhead_us = 0, total_us = 0;
  int measured_now = 0;          // kernels this call had to measure
};

// Least squares of (measured - kernel sum) on [1, steps, params / 1e6] (a tiny ridge keeps
// it defined when the calibration networks do not vary in a feature); none: a zero model.
OverheadModel fit_overhead(const std::vector<NetworkTiming>& calibration);

// Each network's prediction from its own record: the kernel sum stored with its measurement
// plus `model`. A record keeps the kernel sum of the sweep that measured it, so this gives
// the figures as they stood after that sweep (--validate reports them per sweep).
std::vector<double> predict_from_records(const std::vector<NetworkTiming>& networks, const OverheadModel& model);

class LatencyPredictor {
 public:
  LatencyPredictor(PredictorOptions options, LatencyTable& table);

  // The prediction; measures the steps the table lacks (compiling the package first).
  Prediction predict(const ModelConfig& cfg, int size, int classes, std::ostream& progress);
  // Only from the table: std::nullopt when a step has no record.
  std::optional<Prediction> predict_cached(const ModelConfig& cfg, int size, int classes) const;

  // Compiles the network (if needed) and times it end to end with `micronet bench`; the
  // record (with the prediction's kernel sum) goes into the table under `role`. Measured
  // before under the same role: the record keeps the faster of the two.
  NetworkTiming measure_network(const ModelConfig& cfg, int size, int classes, const std::string& role,
                                std::ostream& progress);

  // A later sweep: times the network's kernels again, one pass, skipping the ones in
  // `retimed` (and adding the others to it); each new record keeps the minimum of the old one
  // and the new timing. Returns how many kernels it timed. A load burst on a shared machine
  // lasts seconds to minutes, longer than a network's passes: timings spread over sweeps
  // minutes apart are what a quiet machine's minimum needs (results/search/validation-sweeps/README.md).
  int retime(const ModelConfig& cfg, int size, int classes, std::set<std::string>& retimed, std::ostream& progress);

  // Fitted on the table's "calibration" networks for these conditions (each network's newest
  // record: its best measurement and its kernels' sum at that time).
  OverheadModel overhead() const;
  // The newest record of each network of `role` for these conditions.
  std::vector<NetworkTiming> latest_networks(const std::string& role) const;
  std::optional<NetworkTiming> latest_network(const std::string& role, const std::string& config_id) const;
  // Config ids of the table's network records of `role` for these conditions.
  std::set<std::string> networks_measured(const std::string& role) const;
  const Conditions& conditions() const { return conditions_; }

  // "" when this machine can run kernels compiled for the target (its CPU, or its GPU API's
  // device), else why not: a prediction that must measure refuses before compiling anything.
  std::string cannot_measure_here() const;

 private:
  PredictorOptions options_;
  LatencyTable& table_;
  Conditions conditions_;
  std::string family_;           // schedule family of the target (x86 | arm | gpu)
  std::map<std::string, std::string> schedules_;  // kernel -> schedule description

  std::vector<StepLatency> steps_of(const ModelConfig& cfg, int size, int classes) const;
  static std::string step_key(const StepLatency& s);
  // Times the steps `which` (indices into the network's steps) in the network's package.
  std::vector<tune::Timing> time_steps(const ModelConfig& cfg, int size, int classes, const std::vector<size_t>& which,
                                       int passes, std::ostream& progress);
  std::string package_dir(const ModelConfig& cfg, int size, int classes, std::ostream& progress);
  // The folder of the network's package under work_dir: config, size, classes and a digest of
  // what its kernels are compiled from.
  std::string package_key(const ModelConfig& cfg, int size, int classes) const;
  // Throws std::runtime_error when kernels must be measured and cannot be here.
  void require_measurable(const std::string& what) const;
};

}  // namespace micronet::search
