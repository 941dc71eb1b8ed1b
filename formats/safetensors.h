// safetensors files: 8-byte little-endian header length N, N bytes of JSON header
// ({"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets"}}), raw data.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "formats/tensor.h"

namespace micronet {

// Strict: the header must fit the file, every tensor's byte range must match its
// numel * dtype size and lie in the data section, ranges may neither overlap nor leave
// holes; the whole layout is checked before any tensor is copied. Any violation throws
// FormatError naming `path` (and the key when there is one); a file of another format
// (.npy, zip/.pth, gzip, pickle) is named as "not a safetensors file (...)".
TensorMap read_safetensors(const std::string& path,
                           std::map<std::string, std::string>* metadata = nullptr);

// The same for a file already read into memory (`path` names it in messages): a package's
// weights are hashed and parsed from the same bytes (runtime/package.h).
TensorMap read_safetensors_bytes(const std::vector<uint8_t>& file, const std::string& path,
                                 std::map<std::string, std::string>* metadata = nullptr);

// Tensors in key order, header padded with spaces to 8 bytes. Atomic: nothing is left at
// `path` (or `path.tmp`) when it throws.
void write_safetensors(const std::string& path, const TensorMap& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace micronet
