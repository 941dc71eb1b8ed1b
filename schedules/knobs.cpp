#include "schedules/knobs.h"

#include "formats/tuning_record.h"
#include "support/targets.h"

namespace micronet::sched {

std::string target_family(const Halide::Target& t) { return schedule_family(t.to_string()); }

Knobs load_knobs(const std::string& tuning_file, const std::string& workload,
                 const Halide::Target& target) {
  Knobs k;
  if (tuning_file.empty() || workload.empty()) return k;
  const std::string family = target_family(target);
  // Strict (formats/tuning_record.h): a malformed record fails the build naming its line,
  // rather than compiling the kernel with defaults. A missing file means defaults.
  for (const TuningLine& r : read_tuning_lines(tuning_file)) {
    if (r.family != family || r.kernel != workload) continue;
    Knobs rec;  // an autoscheduler record has no knobs: the build runs the autoscheduler
    for (const auto& [name, value] : r.knobs) rec.set(name, value);
    k = rec;
  }
  return k;
}

}  // namespace micronet::sched
