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

// Larger than any MNIST-family file (EMNIST ByClass training images: 550 MB).
constexpr uint64_t kMaxIdxBytes = uint64_t(2) << 30;

// Parses an IDX image already in memory. `name` names the source in errors. Throws
// FormatError for a bad magic, an unknown type, a zero dimension, dimensions whose
// product overflows or exceeds kMaxIdxBytes, or a data section whose size is not exactly
// the product of the dimensions times the element size.
IdxArray parse_idx(const std::vector<uint8_t>& bytes, const std::string& name);

// Reads `path` (plain or .gz) and parses it; a missing or unreadable file is a FormatError
// naming it. The header is read and checked first, then at most the data it declares
// (plus one byte to detect trailing data), so a small gzip bomb never inflates past that.
IdxArray read_idx(const std::string& path);

// The whole decompressed content of a plain or gzip file; FormatError naming `path`, also
// when it inflates to more than `max_bytes`.
std::vector<uint8_t> read_maybe_gzipped(const std::string& path, uint64_t max_bytes = kMaxIdxBytes);

}  // namespace micronet
