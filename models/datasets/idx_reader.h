// IDX files (the MNIST / Fashion-MNIST container): a 4-byte magic 0x00 0x00 TYPE NDIMS,
// NDIMS big-endian uint32 dimensions, then the row-major data (big-endian elements).
// Files may be gzip-compressed (read through zlib, which passes plain files through).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace micronet {

enum class IdxType : uint8_t { U8 = 0x08, I8 = 0x09, I16 = 0x0B, I32 = 0x0C, F32 = 0x0D, F64 = 0x0E };

struct IdxArray {
  IdxType type = IdxType::U8;
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;  // raw element bytes as stored (big-endian for multi-byte types)
  int64_t numel() const;
};

size_t idx_type_size(IdxType t);

// Parses an IDX image already in memory. `name` names the source in errors. Throws
// FormatError for a bad magic, an unknown type, a zero dimension, or a data section
// whose size is not exactly the product of the dimensions times the element size.
IdxArray parse_idx(const std::vector<uint8_t>& bytes, const std::string& name);

// Reads `path` (plain or .gz) and parses it; a missing or unreadable file is a FormatError
// naming it.
IdxArray read_idx(const std::string& path);

// The whole decompressed content of a plain or gzip file; FormatError naming `path`.
std::vector<uint8_t> read_maybe_gzipped(const std::string& path);

}  // namespace micronet
