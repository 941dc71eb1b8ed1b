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
  std::string tuning;            // tuning records: text (schedules/tuning_db.txt) or JSON lines ("" = none)
  // Records under `tuning`: a kernel takes its schedule from `tuning` when that names it, else
  // from here (`micronet compile` passes the build's schedules/tuning_db.txt, so records tuned
  // for a few kernels of a network add to the shipped ones instead of replacing them). "" = none.
  std::string base_tuning;
  std::string weights;           // .safetensors copied into the package ("" = none)
  std::string out;               // the package folder (created)
  int jobs = 0;                  // parallel generator runs (0: this machine's cores)
  std::string cache_dir;         // "" = $MICRONET_CACHE_DIR, else $XDG_CACHE_HOME/micronet, else ~/.cache/micronet
  std::string generator_dir;     // "" = beside the running executable
};

struct PackageResult {
  std::string dir, halide_target;
  std::string manifest_sha256;  // of the published manifest.json: `run --expect-sha256` takes it
  int kernels = 0, compiled = 0, cached = 0;
  double seconds = 0;
};

// A kernel's schedule as the tuning records choose it.
struct ScheduleChoice {
  tune::Candidate candidate;
  std::string record;  // the tuning line used ("" = the schedule's defaults)
};

// One tuning file, read whole. Its format is found from its content, not its name: JSON lines
// (a `micronet tune` database: per kernel its best ok record) when its first record line
// starts with '{', else the text format of schedules/tuning_db.txt (formats/tuning_record.h:
// the last line of a kernel wins).
struct TuningFile {
  std::string path;
  std::string format;                // "jsonl" | "text"
  int records = 0;                   // record lines of every family
  // family (x86 | arm | gpu) -> kernel -> its schedule choice
  std::map<std::string, std::map<std::string, ScheduleChoice>> choices;
};

// Throws std::invalid_argument naming the file (and line) for one that does not exist, is a
// directory or not a regular file, cannot be read, is binary, or holds a malformed record.
// A file without records reads as one with records == 0: callers that were given it by a
// user refuse it (require_records), the build's own may be empty.
TuningFile read_tuning_file(const std::string& path);

// The same, and std::invalid_argument when the file holds no record for `family` (none at
// all, or only other families': tuned for another target), naming what it holds: a file the
// user named that would change nothing must not compile every kernel with its defaults.
TuningFile read_tuning_file_for(const std::string& path, const std::string& family, const std::string& flag);

// Per kernel name, the schedule choice for `family` (x86 | arm | gpu) in a tuning file (any
// format, read_tuning_file). "" = none. Kernels it does not name use their schedule's defaults.
std::map<std::string, ScheduleChoice> read_schedule_choices(const std::string& path, const std::string& family);

// Tuning files in layers, later ones winning per kernel: {base, overlay} gives each kernel the
// overlay's record where it has one, else the base's. "" entries are skipped.
std::map<std::string, ScheduleChoice> read_schedule_choices(const std::vector<std::string>& paths,
                                                            const std::string& family);

// Throws std::runtime_error naming the kernel (and the generator's output) when one fails,
// std::invalid_argument for bad options (unknown target, weights of another network).
PackageResult compile_package(const PackageOptions& options, std::ostream& progress);

}  // namespace micronet::compiler
