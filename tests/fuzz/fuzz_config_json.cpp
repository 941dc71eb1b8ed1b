// models/config_json.cpp config_from_json: users' network configs (and the config inside
// weights metadata and package manifests). Any input ends in a ConfigError naming the
// source, or a config that round-trips through config_to_json; never a crash, hang or
// large allocation (bounded rows, blocks, values, depth, string lengths).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "models/config_json.h"

using namespace micronet;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  ModelConfig cfg;
  try {
    cfg = config_from_json(text, "fuzz.json");
  } catch (const ConfigError& e) {
    if (std::string(e.what()).rfind("fuzz.json", 0) != 0) std::abort();  // names the source
    return 0;
  }
  // What the reader accepts, the writer writes and the reader reads back equal.
  if (!(config_from_json(config_to_json(cfg), "again") == cfg)) std::abort();
  return 0;
}
