// Compiles one schedule candidate of one kernel into a loadable shared library, with the
// same generator executable and the same GeneratorParams the AOT build runs
// (generators/CMakeLists.txt), so a measured candidate is the code the build would make.
// Objects are compiled without a Halide runtime (`no_runtime`): the process that loads
// them provides one (autotune/candidate_library.h).
#pragma once

#include <string>

#include "models/kernel_plan.h"
#include "schedules/knobs.h"

namespace micronet::tune {

struct Candidate {
  sched::Knobs knobs;          // manual schedule knobs (empty = defaults)
  std::string autoscheduler;   // "" or "Adams2019" | "Mullapudi2016" | "Li2018"
  std::string describe() const;  // "defaults", "tile_vectors=3 oc_block=4", "Adams2019"
};

struct CompileOptions {
  std::string target;          // Halide target string, e.g. "x86-64-linux-avx512_skylake" or "host"
  std::string work_dir;        // scratch folder for objects and libraries (must exist)
  std::string generator_dir;   // folder with micronet_<family>.generator ("" = beside this executable)
  int timeout_s = 300;         // generator wall-clock limit (Halide's own -t)
  std::string linker;          // "" = $CXX or c++ for this machine, aarch64-linux-gnu-g++ for arm-64
};

struct CompileResult {
  bool ok = false;
  bool timed_out = false;
  std::string library;         // path of the shared library
  std::string function;        // its entry point: <function>_argv / <function>_metadata
  std::string error;           // compiler output tail when !ok
  double seconds = 0;
};

// Thread-safe (each call runs its own processes and writes its own files); never throws for
// a failing candidate: that is a CompileResult with ok=false. `tag` makes the function name
// unique within work_dir.
CompileResult compile_candidate(const KernelSpec& spec, const Candidate& candidate,
                                const CompileOptions& options, const std::string& tag);

// The Halide target string the generators compile for: `target` made concrete ("host"
// resolved to this CPU's features) with `no_runtime` added. Throws std::invalid_argument
// with target_error()'s message for a target it does not accept.
std::string candidate_target(const std::string& target);

// "" when the compiler accepts `target` (a name of support/targets.h or a Halide target
// string), else what a usage error says: the value, a "did you mean" and the accepted names
// (support/targets.h accepted_targets()), never Halide's 27-line feature list.
std::string target_error(const std::string& target);

// Where the autoscheduler plugin lives; throws std::invalid_argument for an unknown name.
std::string autoscheduler_plugin(const std::string& name);

}  // namespace micronet::tune
