// Schedule knobs: named integers (tile sizes, vector width, unrolling, parallel split)
// read from the tuning database for one (workload, target) pair. An empty or missing
// record means every schedule uses its hand-written defaults.
//
// Database format (one record per line, '#' comments):
//   <target-family> <workload-key> knob=value knob=value ...
// e.g. `x86 gconv_c64x32_g4_sm2x1q8 tile_vectors=3 oc_block=4` (workload = kernel name).
// The build hands each generator a file with only its kernel's records
// (cmake/tuning_records.cmake), so an edit regenerates only the kernels it touches.
#pragma once

#include <map>
#include <string>

#include "Halide.h"

namespace micronet::sched {

class Knobs {
 public:
  int get(const std::string& name, int default_value) const {
    auto it = values_.find(name);
    return it == values_.end() ? default_value : it->second;
  }
  void set(const std::string& name, int v) { values_[name] = v; }
  const std::map<std::string, int>& values() const { return values_; }

 private:
  std::map<std::string, int> values_;
};

// "x86" | "arm" | "gpu"
std::string target_family(const Halide::Target& t);

// Last matching record wins, so appending a better record overrides older ones.
Knobs load_knobs(const std::string& tuning_file, const std::string& workload,
                 const Halide::Target& target);

}  // namespace micronet::sched
