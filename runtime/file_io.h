// Whole-file reads and all-or-nothing writes shared by the weight formats.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace micronet {

// Throws FormatError naming `path` when it cannot be opened or read.
std::vector<uint8_t> read_file_bytes(const std::string& path);

// Streams `write` into `path + ".tmp"` and renames it over `path`, so readers never see a
// half-written file. On any failure (including an exception from `write`) the temporary
// file is removed and FormatError (or the callback's exception) propagates.
void write_file_atomic(const std::string& path,
                       const std::function<void(std::ostream&)>& write);

}  // namespace micronet
