// SHA-256 (FIPS 180-4) of a byte range or a file: packages record their library's digest
// in the manifest, so a truncated or edited library is refused before dlopen runs its code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace micronet {

// Lower-case hex digest (64 characters).
std::string sha256_hex(const void* data, size_t size);
// Throws FormatError naming `path` when it cannot be read.
std::string sha256_file(const std::string& path, uint64_t* size = nullptr);

}  // namespace micronet
