// The latency table: JSON lines, one measurement per line, appended as they are taken and
// merged by concatenation (as the tuning database, autotune/tuning_db.h). Two kinds:
//
//   {"kind": "kernel", "machine": "...", "target": "x86-64-linux-avx512...", "kernel":
//    "gconv_c64x32_g4_sm2x1q8", "schedule": "defaults" | knobs | autoscheduler, "in": [4, 4],
//    "batch": 1, "threads": 1, "median_us": 1.93, "min_us": 1.90, "time": "..."}
//      one kernel at one input size, timed alone by the tuner's harness (autotune/measure.h);
//   {"kind": "network", ..., "config_id": "3f9a0c12d4e7", "size": 64, "steps": 18,
//    "params": 383020, "kernel_sum_us": 101.2, "measured_us": 104.0, "role": "calibration" | "validation" | "search"}
//      a whole network measured end to end (`micronet bench`); calibration records fit the
//      between-kernel overhead model, the others only check it.
//
// Lookups take the newest record of a key, so a re-measurement supersedes an old one.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace micronet::search {

// What a measurement was taken under; records only answer for the same conditions.
// `kernels` names the kernel compiler (kernel_compiler_identity): a record taken with other
// generators (other algorithms or schedules) says nothing about this build's kernels. Records
// written before the field existed have it empty and answer for no build (latency_predictor.h).
struct Conditions {
  std::string machine, target;  // target: the concrete Halide target string
  int batch = 1, threads = 1;
  std::string kernels;
  bool operator==(const Conditions& o) const {
    return machine == o.machine && target == o.target && batch == o.batch && threads == o.threads &&
           kernels == o.kernels;
  }
};

struct KernelTiming {
  std::string kernel, schedule;
  int in_h = 0, in_w = 0;
  double median_us = 0, min_us = 0;
};

struct NetworkTiming {
  std::string config_id, role;
  int size = 0, steps = 0;
  int64_t params = 0;            // the network's parameters (its weights' size)
  double kernel_sum_us = 0, measured_us = 0;
};

class LatencyTable {
 public:
  // Reads `path` ("" = in memory only; a missing file = empty). Bad lines are errors naming
  // FILE:LINE and the field.
  explicit LatencyTable(std::string path = "");

  std::optional<KernelTiming> kernel(const Conditions& c, const std::string& kernel, const std::string& schedule,
                                     int in_h, int in_w) const;
  std::vector<NetworkTiming> networks(const Conditions& c) const;

  // Remember and append to the file.
  void add(const Conditions& c, const KernelTiming& t);
  void add(const Conditions& c, const NetworkTiming& t);

  size_t kernel_count() const { return kernels_.size(); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::map<std::string, KernelTiming> kernels_;  // newest per key
  std::vector<std::pair<Conditions, NetworkTiming>> networks_;
  void append_line(const std::string& line) const;
};

}  // namespace micronet::search
