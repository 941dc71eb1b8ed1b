// `micronet compile`: a network (config) + a Halide target -> a model package (runtime/package.h).
// Each kernel is compiled by the AOT build's generator executables (autotune/candidate_compiler.h,
// the same GeneratorParams as the build) with its schedule choice from the tuning database,
// in parallel, through a cache keyed by kernel + target + schedule choice + generator, so a
// rerun or another network sharing kernels reuses the objects. The objects (no Halide runtime)
// and an entry table are linked into one shared library; the manifest says what it holds.
#pragma once

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "autotune/candidate_compiler.h"
#include "models/config.h"

namespace micronet::compiler {

struct PackageOptions {
  ModelConfig config;
  std::string target = "host";   // "host", "opencl", "cuda" or a Halide target string
  int height = 0, width = 0;     // 0: the config's input size
  int classes = 0;               // 0: the weights' metadata, else the config's
  std::string tuning;            // tuning records: text (schedules/tuning_db.txt) or JSON lines
  std::string weights;           // .safetensors copied into the package ("" = none)
  std::string out;               // the package folder (created)
  int jobs = 0;                  // parallel generator runs (0: this machine's cores)
  std::string cache_dir;         // "" = $MICRONET_CACHE_DIR, else $XDG_CACHE_HOME/micronet, else ~/.cache/micronet
  std::string generator_dir;     // "" = beside the running executable
};

struct PackageResult {
  std::string dir, halide_target;
  int kernels = 0, compiled = 0, cached = 0;
  double seconds = 0;
};

// A kernel's schedule as the tuning records choose it.
struct ScheduleChoice {
  tune::Candidate candidate;
  std::string record;  // the tuning line used ("" = the schedule's defaults)
};

// Per kernel name, the schedule choice for `family` (x86 | arm | gpu) in a tuning file: text
// (schedules/tuning_db.txt, the last line of a kernel wins) or a JSON-lines tuning database
// (its best records). "" = none. Kernels it does not name use their schedule's defaults.
std::map<std::string, ScheduleChoice> read_schedule_choices(const std::string& path, const std::string& family);

// The default cache folder (see PackageOptions::cache_dir).
std::string default_cache_dir();

// Throws std::runtime_error naming the kernel (and the generator's output) when one fails,
// std::invalid_argument for bad options (unknown target, weights of another network).
PackageResult compile_package(const PackageOptions& options, std::ostream& progress);

}  // namespace micronet::compiler
