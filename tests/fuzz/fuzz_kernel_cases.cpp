// read_kernel_cases (`micronet check` input): safetensors plus the cases' metadata rules.
#include <cstdint>

#include "formats/kernel_cases.h"
#include "fuzz_util.h"

using namespace micronet;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const KernelCases c = read_kernel_cases(fuzz::write_input(data, size));
    (void)c.steps.size();
  } catch (const FormatError&) {
  }
  return 0;
}
