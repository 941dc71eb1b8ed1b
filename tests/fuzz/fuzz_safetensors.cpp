// read_safetensors (and the JSON header parser under it).
#include <cstdint>

#include "formats/safetensors.h"
#include "fuzz_util.h"

using namespace micronet;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    std::map<std::string, std::string> meta;
    const TensorMap m = read_safetensors(fuzz::write_input(data, size), &meta);
    (void)m;
  } catch (const FormatError&) {
  }
  return 0;
}
