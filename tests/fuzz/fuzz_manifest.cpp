// runtime/package_manifest.cpp parse_package_manifest: a package's manifest.json, read
// before anything else of the package. Any input must end in a PackageError (naming the
// file) or a manifest whose fields are within their bounds; never a crash, a hang or a
// large allocation (the JSON limits; the config parsed and planned under its own).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "runtime/package_manifest.h"

using namespace micronet;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const PackageManifest m = parse_package_manifest(text, "/pkg/manifest.json", "fuzz");
    // What open() relies on afterwards.
    if (m.classes < 1 || m.classes > 100000 || m.input_h < 16 || m.input_w < 16 || m.input_h > 4096 ||
        m.input_w > 4096 || m.kernels.empty() || m.kernels.size() > kMaxPackageKernels || m.library_bytes < 1 ||
        uint64_t(m.library_bytes) > kMaxLibraryBytes || m.library_sha256.size() != 64 ||
        (m.has_weights && m.weights_sha256.size() != 64))
      std::abort();
  } catch (const PackageError& e) {
    if (std::string(e.what()).find("/pkg") == std::string::npos) std::abort();  // names the package
  }
  return 0;
}
