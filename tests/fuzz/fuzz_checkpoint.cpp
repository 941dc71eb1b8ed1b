// .pth reader: inputs that start like a zip go through load_torch_checkpoint (zip reader,
// prefix search, restricted unpickler, storage loading); anything else is run as a bare
// pickle, its storages served as zero bytes of the size the pickle asks for, so the
// fuzzer can reach the pickle VM without having to forge zip CRCs.
#include <cstdint>

#include "models/checkpoint_import.h"
#include "formats/restricted_unpickler.h"
#include "fuzz_util.h"

using namespace micronet;

// Well above the seeds' needs, well below -rss_limit_mb.
constexpr uint64_t kBudget = uint64_t(16) << 20;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    if (size >= 2 && data[0] == 'P' && data[1] == 'K') {
      const TensorMap m = load_torch_checkpoint(fuzz::write_input(data, size), kBudget);
      (void)m;
    } else {
      const std::vector<uint8_t> pickle(data, data + size);
      const PickleRef root = unpickle_restricted(
          pickle, [](const std::string&, uint64_t n) { return std::vector<uint8_t>(n); }, "fuzz.pkl",
          kBudget);
      if (root->kind == PickleValue::Kind::Dict) (void)root->get("state_dict");
    }
  } catch (const FormatError&) {
  }
  return 0;
}
