// schedules/knobs.cpp load_knobs (the tuning records the AOT build reads), called as the
// build does, for each target family, with the workload named by the input's first
// record so that its knobs are parsed (any other workload only skips lines). A malformed
// record is std::invalid_argument naming its line (formats/tuning_record.h); nothing else
// may escape, and nothing may crash.
#include <cstdint>
#include <sstream>
#include <stdexcept>

#include "schedules/knobs.h"
#include "fuzz_util.h"

using namespace micronet;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = fuzz::write_input(data, size);
  std::istringstream text(std::string(reinterpret_cast<const char*>(data), size));
  std::string family, workload;
  text >> family >> workload;
  Halide::Target x86, arm;
  arm.arch = Halide::Target::ARM;
  const Halide::Target gpu = x86.with_feature(Halide::Target::CUDA);
  for (const Halide::Target& t : {x86, arm, gpu}) {
    try {
      const sched::Knobs k = sched::load_knobs(path, workload, t);
      for (const auto& [name, value] : k.values()) (void)(name.size() + unsigned(value));
    } catch (const std::invalid_argument&) {
    }
  }
  return 0;
}
