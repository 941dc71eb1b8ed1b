#include "autotune/record.h"

#include <utility>

namespace micronet::tune {

namespace {

const std::pair<Status, const char*> kStatusNames[] = {
    {Status::Ok, "ok"},
    {Status::Wrong, "wrong"},
    {Status::CompileError, "compile_error"},
    {Status::Timeout, "timeout"},
    {Status::RunError, "run_error"},
};

}  // namespace

const char* status_name(Status s) {
  for (const auto& [status, name] : kStatusNames)
    if (status == s) return name;
  return "unknown";  // unreachable for a valid enum value
}

bool parse_status(const std::string& text, Status* out) {
  for (const auto& [status, name] : kStatusNames) {
    if (text == name) {
      *out = status;
      return true;
    }
  }
  return false;
}

// Fields joined by '|', which none of them contains (kernel names and Halide targets are
// identifiers and dashes; CPU model names come from /proc/cpuinfo). std::map keeps the
// knobs sorted by name, so the order a record listed them in never matters. Strategy,
// trial and timings are left out: they describe a measurement, not the point measured.
std::string point_key(const TuningRecord& r) {
  std::string key = r.kernel + "|" + r.target + "|" + r.machine + "|";
  if (!r.autoscheduler.empty()) {
    key += "autoscheduler=" + r.autoscheduler;
  } else {
    key += "knobs:";
    bool first = true;
    for (const auto& [name, value] : r.knobs) {
      key += (first ? "" : ",") + name + "=" + std::to_string(value);
      first = false;
    }
  }
  key += "|batch=" + std::to_string(r.batch) + "|threads=" + std::to_string(r.threads) + "|" +
         std::to_string(r.height) + "x" + std::to_string(r.width);
  return key;
}

}  // namespace micronet::tune
