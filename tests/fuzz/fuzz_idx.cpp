// IDX: parse_idx on the bytes, and read_idx on them as a file (plain, or gzip when the
// input is one: the streaming path that reads the header before the data).
#include <cstdint>

#include "formats/idx_reader.h"
#include "formats/tensor.h"
#include "fuzz_util.h"

using namespace micronet;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const IdxArray a = parse_idx(std::vector<uint8_t>(data, data + size), "fuzz.idx");
    (void)a.numel();
  } catch (const FormatError&) {
  }
  try {
    const IdxArray a = read_idx(fuzz::write_input(data, size));
    (void)a.numel();
  } catch (const FormatError&) {
  }
  return 0;
}
