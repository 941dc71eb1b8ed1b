// One measurement of one schedule candidate: a line of the tuning database (JSON lines,
// TVM's convention: append-only, so databases from several machines or shards merge by
// concatenation). autotune/tuning_db.h reads and writes them.
#pragma once

#include <map>
#include <string>

namespace micronet::tune {

enum class Status { Ok, Wrong, CompileError, Timeout, RunError };
const char* status_name(Status s);          // "ok" | "wrong" | "compile_error" | "timeout" | "run_error"
bool parse_status(const std::string& text, Status* out);

struct TuningRecord {
  std::string kernel;          // KernelSpec::name(), e.g. "gconv_c64x32_g4_sm2x1q8"
  std::string family;          // kernel family: "stem" | "dwsep" | "gconv" | "head"
  std::string target;          // Halide target string the candidate was compiled for
  std::string target_family;   // "x86" | "arm" | "gpu" (schedules/knobs.h target_family)
  std::string machine;         // CPU model name (and GPU name for GPU targets)
  // The candidate: either knob values of the manual schedule (empty = all defaults) or,
  // when `autoscheduler` is set ("Adams2019" | "Mullapudi2016" | "Li2018"), that
  // autoscheduler's schedule (knobs then empty).
  std::map<std::string, int> knobs;
  std::string autoscheduler;
  // How the candidate was proposed: "default" | "autoscheduler" | "model" | "random" | "grid".
  std::string strategy;
  int trial = 0;               // index of this measurement within its kernel's tuning run
  int batch = 1, threads = 1;  // what was measured
  int height = 0, width = 0;   // input spatial size of the kernel as measured
  double median_us = 0, min_us = 0;  // min_us: the minimum over the repeats' medians
  int repeats = 0;
  Status status = Status::Ok;
  std::string error;           // why, when status != ok (first line of the message)
  double rel_l2 = 0;           // output vs the default schedule's output
  std::string halide_version;  // e.g. "14.0.0"
  std::string commit;          // project git commit ("unknown" outside a checkout)
  std::string time;            // UTC, ISO 8601
};

// What makes two records measurements of the same point (resume skips it): kernel,
// target, machine, knobs or autoscheduler, batch, threads, size.
std::string point_key(const TuningRecord& r);

}  // namespace micronet::tune
