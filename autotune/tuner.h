// The tuning driver: for each kernel, measure the hand defaults and Halide's autoschedulers
// (the baselines), then search the schedule's declared space (grid when the valid space fits
// the budget, else model-guided or random), every candidate compiled by the AOT build's
// generator, checked against the default schedule's output and timed; every measurement is
// appended to the JSON-lines database as it is made, so a rerun resumes where it stopped.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "autotune/measure.h"
#include "autotune/record.h"
#include "autotune/workloads.h"

namespace micronet::tune {

struct TuneOptions {
  std::string target = "host";   // Halide target string ("host" = this CPU)
  int budget = 64;               // search measurements per kernel (baselines not counted)
  std::string strategy = "model";  // model | random | grid
  std::string db;                // JSON-lines database (appended to; read to resume)
  int jobs = 1;                  // candidates compiled in parallel (measured one at a time)
  bool baselines = true;         // measure Adams2019 and Mullapudi2016 (Li2018 on GPUs)
  double tolerance = 1e-5;       // rel L2 to the default schedule's output, else "wrong"
  uint64_t seed = 1;
  std::string work_dir;          // scratch ("" = a fresh folder under $TMPDIR, removed after)
  std::string generator_dir;     // "" = beside the executable
  int compile_timeout_s = 300;
  MeasureOptions measure;
  std::string machine;           // "" = this CPU's model name
  // Measuring in another process (micronet-measure): always for GPU APIs (their drivers may
  // bring an LLVM that clashes with the Halide compiler's), and through `runner` for targets
  // this machine cannot run: a command template whose {} is replaced by the micronet-measure
  // command line (e.g. "qemu-aarch64-static -L /usr/aarch64-linux-gnu {}", "ssh board {}";
  // the board must see the same paths, e.g. through a shared folder).
  std::string runner;
  std::string measure_exe;       // "" = micronet-measure beside this executable
  // Instead of searching: re-measure each kernel's best record with the current harness and
  // append the result (the newest record of a point is the one that counts), then the next
  // best while the best fails (after a harness check was added, or Halide/compiler changes).
  bool verify = false;
};

struct KernelSummary {
  std::string kernel;
  int measured = 0, skipped = 0, failed = 0;  // this run; skipped = already in the database
  int replaced = 0;              // --verify: winners that failed the re-check
  double default_us = 0, best_us = 0;
  std::string best;              // the winning candidate ("defaults", knobs, or an autoscheduler)
};

// Tunes each workload in order. Progress (kernel i/n, measurements, best so far, ETA) goes to
// `progress`. Throws std::runtime_error when the default schedule itself cannot be compiled
// or run (nothing could be checked against it).
std::vector<KernelSummary> tune(const std::vector<Workload>& workloads, const TuneOptions& options,
                                std::ostream& progress);

// The workloads of shard `index` of `count` (0-based): kernels assigned round-robin in name
// order, so every machine computes the same split and the shards cover the list exactly once.
std::vector<Workload> shard(const std::vector<Workload>& workloads, int index, int count);

}  // namespace micronet::tune
