// read_npy_f32.
#include <cstdint>

#include "formats/npy.h"
#include "fuzz_util.h"

using namespace micronet;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const Tensor t = read_npy_f32(fuzz::write_input(data, size));
    (void)t.numel();
  } catch (const FormatError&) {
  }
  return 0;
}
