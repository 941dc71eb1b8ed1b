// Reader of the ZIP archives torch.save writes: STORED entries (DEFLATE via zlib for
// archives re-packed by other tools), data descriptors, zip64 records. Read-only, no
// paths are ever created on disk from entry names.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace micronet {

class ZipReader {
 public:
  // Loads the archive and its central directory; throws FormatError naming `path` when it
  // is not a zip, is truncated, or its directory is inconsistent.
  explicit ZipReader(const std::string& path);

  // Entry names in central-directory order.
  std::vector<std::string> names() const;
  bool has(const std::string& name) const;
  // The entry's uncompressed size as its central directory declares it.
  uint64_t size(const std::string& name) const;
  // The entry's uncompressed bytes, CRC-checked. Throws FormatError on a missing entry,
  // an unsupported compression method, corrupt data, or a declared size above
  // `max_bytes` (checked before allocating; inflating never produces more than declared).
  std::vector<uint8_t> read(const std::string& name, uint64_t max_bytes = UINT64_MAX) const;

 private:
  struct Entry {
    std::string name;
    uint16_t flags = 0, method = 0;
    uint32_t crc = 0;
    uint64_t compressed = 0, uncompressed = 0, local_offset = 0;
  };
  [[noreturn]] void fail(const std::string& what) const;
  void read_central_directory();
  const Entry& entry(const std::string& name) const;

  std::string path_;
  std::vector<uint8_t> file_;
  std::vector<Entry> entries_;
  std::map<std::string, size_t> index_;
};

}  // namespace micronet
