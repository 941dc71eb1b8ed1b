#include "schedules/knobs.h"

#include <fstream>
#include <sstream>

namespace micronet::sched {

std::string target_family(const Halide::Target& t) {
  if (t.has_gpu_feature()) return "gpu";
  if (t.arch == Halide::Target::ARM) return "arm";
  return "x86";
}

Knobs load_knobs(const std::string& tuning_file, const std::string& workload,
                 const Halide::Target& target) {
  Knobs k;
  if (tuning_file.empty() || workload.empty()) return k;
  std::ifstream f(tuning_file);
  if (!f) return k;  // a missing database means defaults, never a build failure
  const std::string family = target_family(target);
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream s(line);
    std::string fam, key, kv;
    if (!(s >> fam >> key) || fam != family || key != workload) continue;
    Knobs rec;
    while (s >> kv) {
      const auto eq = kv.find('=');
      if (eq == std::string::npos) continue;
      try {
        rec.set(kv.substr(0, eq), std::stoi(kv.substr(eq + 1)));
      } catch (const std::exception&) {
        continue;  // a non-integer knob (e.g. a cost field) is not a schedule knob
      }
    }
    k = rec;
  }
  return k;
}

}  // namespace micronet::sched
