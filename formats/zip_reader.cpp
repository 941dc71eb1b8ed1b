#include "formats/zip_reader.h"

#include <zlib.h>

#include <cstring>

#include "formats/file_io.h"
#include "formats/tensor.h"

namespace micronet {

namespace {

constexpr uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEndSig = 0x06054b50;
constexpr uint32_t kZip64EndSig = 0x06064b50, kZip64LocatorSig = 0x07064b50;
constexpr size_t kEndSize = 22, kCentralSize = 46, kLocalSize = 30, kLocatorSize = 20;
constexpr size_t kZip64EndSize = 56;
// DEFLATE cannot expand data by more than about 1032:1; a larger claim is a corrupt or
// hostile size field, refused before allocating for it.
constexpr uint64_t kMaxDeflateRatio = 1032;

uint64_t le(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

ZipReader::ZipReader(const std::string& path) : path_(path), file_(read_file_bytes(path)) {
  read_central_directory();
}

void ZipReader::fail(const std::string& what) const { throw FormatError(path_ + ": " + what); }

void ZipReader::read_central_directory() {
  const size_t size = file_.size();
  if (size < kEndSize || le(file_.data(), 4) != kLocalSig)
    fail("not a zip archive");
  // The end record sits before a comment of at most 64 KiB; take the last candidate whose
  // comment length reaches exactly to the end of the file.
  size_t end = SIZE_MAX;
  const size_t lowest = size > kEndSize + 0xffff ? size - kEndSize - 0xffff : 0;
  for (size_t p = size - kEndSize + 1; p-- > lowest;) {
    if (le(&file_[p], 4) == kEndSig && p + kEndSize + le(&file_[p + 20], 2) == size) {
      end = p;
      break;
    }
  }
  if (end == SIZE_MAX) fail("truncated zip archive: end of central directory not found");

  uint64_t count = le(&file_[end + 10], 2);
  uint64_t cd_size = le(&file_[end + 12], 4);
  uint64_t cd_offset = le(&file_[end + 16], 4);
  if (end >= kLocatorSize && le(&file_[end - kLocatorSize], 4) == kZip64LocatorSig) {
    const uint64_t z = le(&file_[end - kLocatorSize + 8], 8);
    if (z > size || size - z < kZip64EndSize || le(&file_[z], 4) != kZip64EndSig)
      fail("bad zip64 end of central directory record");
    count = le(&file_[z + 32], 8);
    cd_size = le(&file_[z + 40], 8);
    cd_offset = le(&file_[z + 48], 8);
  }
  if (cd_offset > size || cd_size > size - cd_offset)
    fail("central directory lies outside the file (truncated archive?)");
  if (count > cd_size / kCentralSize) fail("bad central directory: entry count too large");

  const uint8_t* p = &file_[cd_offset];
  const uint8_t* const cd_end = p + cd_size;
  for (uint64_t i = 0; i < count; ++i) {
    if (size_t(cd_end - p) < kCentralSize || le(p, 4) != kCentralSig)
      fail("bad central directory: entry " + std::to_string(i) + " is malformed");
    Entry e;
    e.flags = uint16_t(le(p + 8, 2));
    e.method = uint16_t(le(p + 10, 2));
    e.crc = uint32_t(le(p + 16, 4));
    e.compressed = le(p + 20, 4);
    e.uncompressed = le(p + 24, 4);
    const size_t name_len = le(p + 28, 2), extra_len = le(p + 30, 2), comment_len = le(p + 32, 2);
    e.local_offset = le(p + 42, 4);
    if (size_t(cd_end - p) < kCentralSize + name_len + extra_len + comment_len)
      fail("bad central directory: entry " + std::to_string(i) + " overruns it");
    e.name.assign(reinterpret_cast<const char*>(p + kCentralSize), name_len);

    // Zip64 extra field: 64-bit values replace, in this order, those stored as 0xffffffff.
    const uint8_t* x = p + kCentralSize + name_len;
    const uint8_t* const x_end = x + extra_len;
    while (x_end - x >= 4) {
      const uint16_t id = uint16_t(le(x, 2));
      const size_t len = le(x + 2, 2);
      if (size_t(x_end - x - 4) < len) fail("bad extra field in entry '" + e.name + "'");
      if (id == 0x0001) {
        const uint8_t* v = x + 4;
        size_t left = len;
        for (uint64_t* field : {&e.uncompressed, &e.compressed, &e.local_offset}) {
          if (*field != 0xffffffffu) continue;
          if (left < 8) fail("short zip64 extra field in entry '" + e.name + "'");
          *field = le(v, 8);
          v += 8;
          left -= 8;
        }
      }
      x += 4 + len;
    }
    if (index_.count(e.name)) fail("duplicate zip entry '" + e.name + "'");
    index_[e.name] = entries_.size();
    entries_.push_back(std::move(e));
    p += kCentralSize + name_len + extra_len + comment_len;
  }
}

std::vector<std::string> ZipReader::names() const {
  std::vector<std::string> out;
  for (const Entry& e : entries_) out.push_back(e.name);
  return out;
}

bool ZipReader::has(const std::string& name) const { return index_.count(name) != 0; }

const ZipReader::Entry& ZipReader::entry(const std::string& name) const {
  auto it = index_.find(name);
  if (it == index_.end()) fail("zip entry '" + name + "' is missing");
  return entries_[it->second];
}

uint64_t ZipReader::size(const std::string& name) const { return entry(name).uncompressed; }

std::vector<uint8_t> ZipReader::read(const std::string& name, uint64_t max_bytes) const {
  const Entry& e = entry(name);
  const std::string what = "zip entry '" + name + "'";
  if (e.flags & 0x1) fail(what + " is encrypted");
  if (e.uncompressed > max_bytes)
    fail(what + " declares " + std::to_string(e.uncompressed) + " bytes, more than the " +
         std::to_string(max_bytes) + " expected");
  const uint64_t size = file_.size();
  if (e.local_offset > size || size - e.local_offset < kLocalSize ||
      le(&file_[e.local_offset], 4) != kLocalSig)
    fail(what + ": bad local header (truncated archive?)");
  // Local name/extra lengths may differ from the central copy (torch pads the local extra
  // field so data is 64-byte aligned); sizes come from the central directory because
  // torch writes them after the data (flag bit 3).
  const uint64_t start =
      e.local_offset + kLocalSize + le(&file_[e.local_offset + 26], 2) + le(&file_[e.local_offset + 28], 2);
  if (start > size || e.compressed > size - start) fail(what + ": data runs past the end of the file");
  const uint8_t* src = &file_[start];

  std::vector<uint8_t> out;
  if (e.method == 0) {
    if (e.compressed != e.uncompressed) fail(what + ": stored entry with differing sizes");
    out.assign(src, src + e.compressed);
  } else if (e.method == 8) {
    if (e.compressed > UINT32_MAX || e.uncompressed > UINT32_MAX)
      fail(what + ": DEFLATE entries over 4 GiB are not supported");
    if (e.uncompressed > e.compressed * kMaxDeflateRatio + 64)
      fail(what + ": implausible uncompressed size " + std::to_string(e.uncompressed));
    out.resize(e.uncompressed);
    z_stream zs{};
    if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) fail(what + ": zlib initialisation failed");
    zs.next_in = const_cast<Bytef*>(src);
    zs.avail_in = uInt(e.compressed);
    zs.next_out = out.data();
    zs.avail_out = uInt(out.size());
    const int rc = inflate(&zs, Z_FINISH);
    const uint64_t produced = zs.total_out;
    inflateEnd(&zs);
    if (rc != Z_STREAM_END || produced != e.uncompressed) fail(what + ": corrupt DEFLATE data");
  } else {
    fail(what + " uses compression method " + std::to_string(e.method) +
         "; only stored (0) and DEFLATE (8) are supported");
  }
  const uint32_t crc = uint32_t(crc32_z(0L, out.data(), out.size()));
  if (crc != e.crc) fail(what + ": CRC mismatch (corrupt archive)");
  return out;
}

}  // namespace micronet
