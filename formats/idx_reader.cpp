#include "formats/idx_reader.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "formats/tensor.h"

namespace micronet {

int64_t IdxArray::numel() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

size_t idx_type_size(IdxType t) {
  switch (t) {
    case IdxType::U8:
    case IdxType::I8: return 1;
    case IdxType::I16: return 2;
    case IdxType::I32:
    case IdxType::F32: return 4;
    case IdxType::F64: return 8;
  }
  return 0;
}

namespace {

bool known_type(uint8_t t) {
  return t == 0x08 || t == 0x09 || t == 0x0B || t == 0x0C || t == 0x0D || t == 0x0E;
}
uint32_t be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}

[[noreturn]] void fail(const std::string& name, const std::string& what) {
  throw FormatError(name + ": not a valid IDX file: " + what);
}

std::string shape_str(const std::vector<int64_t>& dims) {
  std::string shape;
  for (int64_t d : dims) shape += (shape.empty() ? "" : "x") + std::to_string(d);
  return shape;
}

// The magic's 4 bytes (b[0..3]) checked; returns the header size 4 + 4 * NDIMS.
size_t check_magic(const uint8_t* b, size_t n, const std::string& name) {
  if (n < 4) fail(name, "only " + std::to_string(n) + " bytes, shorter than the 4-byte magic");
  if (b[0] != 0 || b[1] != 0) {
    char s[16];
    std::snprintf(s, sizeof s, "%02x%02x%02x%02x", b[0], b[1], b[2], b[3]);
    fail(name, std::string("magic must start with two zero bytes (0x00 0x00 TYPE NDIMS), got 0x") + s);
  }
  if (!known_type(b[2])) fail(name, "unknown element type code " + std::to_string(b[2]) + " in the magic");
  if (b[3] < 1) fail(name, "magic says 0 dimensions");
  return 4 + size_t(4) * b[3];
}

// Fills type and dims from a whole header (`n` >= its size); returns the data bytes the
// dimensions declare, checked for overflow and against kMaxIdxBytes.
uint64_t parse_header(const uint8_t* b, size_t n, const std::string& name, IdxArray& a) {
  const size_t header = check_magic(b, n, name);
  if (n < header)
    fail(name, "header of " + std::to_string(b[3]) + " dimensions needs " + std::to_string(header) +
                   " bytes, file has " + std::to_string(n));
  a.type = IdxType(b[2]);
  a.dims.clear();
  uint64_t want = idx_type_size(a.type);
  for (size_t i = 0; 4 + 4 * i < header; ++i) {
    const uint32_t d = be32(&b[4 + 4 * i]);
    if (d == 0) fail(name, "dimension " + std::to_string(i) + " is 0");
    a.dims.push_back(d);
    // Checked at every step: up to 255 dimensions of 2^32 - 1 overflow any integer.
    if (want > kMaxIdxBytes / d)
      fail(name, "dimensions " + shape_str(a.dims) + "... need more than " +
                     std::to_string(kMaxIdxBytes) + " data bytes");
    want *= d;
  }
  return want;
}

[[noreturn]] void size_mismatch(const std::string& name, const IdxArray& a, uint64_t want,
                                const std::string& have) {
  fail(name, "dimensions " + shape_str(a.dims) + " need " + std::to_string(want) +
                 " data bytes, file has " + have);
}

using GzFile = std::unique_ptr<gzFile_s, int (*)(gzFile)>;

GzFile open_gz(const std::string& path) {
  GzFile f(gzopen(path.c_str(), "rb"), gzclose);
  if (!f) throw FormatError(path + ": cannot open (" + std::strerror(errno) + ")");
  return f;
}

// Up to `n` more bytes appended to `out`, in chunks, so the buffer only grows as data
// actually arrives; returns how many came. A read error or corrupt gzip data throws.
uint64_t read_some(gzFile f, uint64_t n, std::vector<uint8_t>& out, const std::string& path) {
  uint64_t got_total = 0;
  while (got_total < n) {
    const unsigned want = unsigned(std::min<uint64_t>(n - got_total, 1u << 20));
    const size_t at = out.size();
    out.resize(at + want);
    const int got = gzread(f, out.data() + at, want);
    if (got < 0) {
      int err = 0;
      const char* msg = gzerror(f, &err);
      throw FormatError(path + ": cannot read: " + (msg ? msg : "zlib error"));
    }
    out.resize(at + size_t(got));
    got_total += uint64_t(got);
    if (unsigned(got) < want) break;
  }
  // gzread stops quietly at a truncated gzip stream; gzerror reports it.
  int err = Z_OK;
  const char* msg = gzerror(f, &err);
  if (err != Z_OK && err != Z_STREAM_END)
    throw FormatError(path + ": corrupt or truncated gzip data: " + (msg ? msg : "zlib error"));
  return got_total;
}

}  // namespace

IdxArray parse_idx(const std::vector<uint8_t>& b, const std::string& name) {
  IdxArray a;
  const size_t header = check_magic(b.data(), b.size(), name);
  const uint64_t want = parse_header(b.data(), b.size(), name, a);
  const uint64_t have = b.size() - header;
  if (have != want)
    size_mismatch(name, a, want, std::to_string(have) + (have < want ? " (truncated)" : " (trailing bytes)"));
  a.data.assign(b.begin() + std::ptrdiff_t(header), b.end());
  return a;
}

std::vector<uint8_t> read_maybe_gzipped(const std::string& path, uint64_t max_bytes) {
  GzFile f = open_gz(path);
  std::vector<uint8_t> out;
  const uint64_t cap = max_bytes == UINT64_MAX ? max_bytes : max_bytes + 1;
  if (read_some(f.get(), cap, out, path) > max_bytes)
    throw FormatError(path + ": inflates to more than " + std::to_string(max_bytes) + " bytes");
  return out;
}

IdxArray read_idx(const std::string& path) {
  GzFile f = open_gz(path);
  std::vector<uint8_t> head;
  read_some(f.get(), 4, head, path);
  const size_t header = check_magic(head.data(), head.size(), path);
  read_some(f.get(), header - 4, head, path);
  IdxArray a;
  const uint64_t want = parse_header(head.data(), head.size(), path, a);
  const uint64_t have = read_some(f.get(), want, a.data, path);
  if (have < want) size_mismatch(path, a, want, std::to_string(have) + " (truncated)");
  std::vector<uint8_t> extra;
  if (read_some(f.get(), 1, extra, path) != 0) size_mismatch(path, a, want, "more (trailing bytes)");
  return a;
}

}  // namespace micronet
