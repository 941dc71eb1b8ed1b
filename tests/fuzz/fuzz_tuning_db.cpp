// autotune/tuning_db.cpp read_db: the autotuner's JSON-lines database, which users merge
// by concatenating files from other machines. A bad line must be a runtime_error naming
// file and line, never a crash, a hang or an unbounded allocation; a good record must
// survive a write/read round trip.
#include <cstdint>
#include <stdexcept>

#include "autotune/tuning_db.h"
#include "fuzz_util.h"

using namespace micronet;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = fuzz::write_input(data, size);
  std::vector<tune::TuningRecord> records;
  try {
    records = tune::read_db(path);
  } catch (const std::runtime_error&) {
    return 0;
  }
  for (const tune::TuningRecord& r : records) {
    const std::string line = tune::to_json_line(r);
    const tune::TuningRecord back = tune::parse_record(line, path, 1);
    if (tune::point_key(back) != tune::point_key(r)) std::abort();
  }
  return 0;
}
