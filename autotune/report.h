// `micronet tune --report`: what tuning bought, per kernel and per model, as Markdown (it
// goes into results/tuning/README.md), and the tuning curves (best-so-far vs measurements) as CSV for
// autotune/plot_tuning.py.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "autotune/record.h"

namespace micronet::tune {

struct ReportOptions {
  std::string machine;  // "" = every machine (one table each)
  // "" = every target; a family ("x86" | "arm" | "gpu") or an exact Halide target string.
  std::string target;
  // Model name -> the kernel names whose times its total sums, in the caller's order. The
  // sum takes each name as often as it is listed: list a kernel once per layer that runs
  // it to total a forward pass, or once per distinct kernel to total the distinct work.
  std::vector<std::pair<std::string, std::vector<std::string>>> models;
};

// One section per (machine, target, batch, threads), measured under the same conditions:
//  - a row per kernel: the default schedule's time, each autoscheduler baseline's
//    (Adams2019 and Mullapudi2016 on CPUs, Li2018 on GPUs, and any other one measured),
//    tuned = the best ok record of any kind (search, default or autoscheduler), tuned's
//    speed-up against each, measurements (all / ok), and a flag when tuned is more than
//    1.02x the fastest baseline or a baseline is missing. A baseline time is its best ok
//    record; when none is ok but one was timed (an autoscheduler whose output differed
//    from the default's beyond the tolerance), that time is shown marked "(wrong)" and
//    still counts for the flag: tuned cannot pick it, so it may be faster than tuned;
//  - per model of `models`, the summed times and speed-ups (a column whose kernels are
//    not all measured says how many are missing instead of a partial sum);
//  - over all kernels of the section, the summed speed-up of tuned vs each baseline.
std::string render_report(const std::vector<TuningRecord>& db, const ReportOptions& options);

// CSV of tuning curves: for each (machine, target, batch, threads, kernel) with an ok
// default record and each search strategy ("model", "random", "grid"), one row per
// measurement in `trial` order (failed candidates count: they spent budget), with the best
// ok min_us so far (empty before the first ok one), that divided by the default's time
// (best_over_default) and its inverse (speedup_vs_default), so curves of different kernels
// can be averaged. Throws std::runtime_error when the file cannot be written.
void write_curves_csv(const std::vector<TuningRecord>& db, const std::string& path);

}  // namespace micronet::tune
