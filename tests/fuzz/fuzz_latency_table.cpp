// search/latency_table.cpp: the latency search's JSON-lines table, merged by concatenating
// files of other machines. Any input ends in a runtime_error naming FILE:LINE or a table of
// in-range values; never a crash, a hang or a large allocation.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>

#include "fuzz_util.h"
#include "search/latency_table.h"

using namespace micronet;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = fuzz::write_input(data, size);
  try {
    search::LatencyTable t(path);
    (void)t.kernel_count();
  } catch (const std::runtime_error& e) {
    if (std::string(e.what()).find(path) == std::string::npos) std::abort();  // names the file
  }
  return 0;
}
