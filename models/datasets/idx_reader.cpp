#include "models/datasets/idx_reader.h"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "runtime/tensor.h"

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
}  // namespace

IdxArray parse_idx(const std::vector<uint8_t>& b, const std::string& name) {
  auto fail = [&](const std::string& what) { throw FormatError(name + ": not a valid IDX file: " + what); };
  if (b.size() < 4) fail("only " + std::to_string(b.size()) + " bytes, shorter than the 4-byte magic");
  if (b[0] != 0 || b[1] != 0)
    fail("magic must start with two zero bytes (0x00 0x00 TYPE NDIMS), got 0x" +
         [&] { char s[16]; std::snprintf(s, sizeof s, "%02x%02x%02x%02x", b[0], b[1], b[2], b[3]); return std::string(s); }());
  if (!known_type(b[2])) fail("unknown element type code " + std::to_string(b[2]) + " in the magic");
  const int ndims = b[3];
  if (ndims < 1) fail("magic says 0 dimensions");
  const size_t header = 4 + size_t(4) * ndims;
  if (b.size() < header)
    fail("header of " + std::to_string(ndims) + " dimensions needs " + std::to_string(header) +
         " bytes, file has " + std::to_string(b.size()));
  IdxArray a;
  a.type = IdxType(b[2]);
  for (int i = 0; i < ndims; ++i) {
    const uint32_t d = be32(&b[4 + 4 * i]);
    if (d == 0) fail("dimension " + std::to_string(i) + " is 0");
    a.dims.push_back(d);
  }
  const int64_t n = a.numel();
  const uint64_t want = uint64_t(n) * idx_type_size(a.type);
  const uint64_t have = b.size() - header;
  if (have != want) {
    std::string shape;
    for (int64_t d : a.dims) shape += (shape.empty() ? "" : "x") + std::to_string(d);
    fail("dimensions " + shape + " need " + std::to_string(want) + " data bytes, file has " +
         std::to_string(have) + (have < want ? " (truncated)" : " (trailing bytes)"));
  }
  a.data.assign(b.begin() + header, b.end());
  return a;
}

std::vector<uint8_t> read_maybe_gzipped(const std::string& path) {
  std::unique_ptr<gzFile_s, int (*)(gzFile)> f(gzopen(path.c_str(), "rb"), gzclose);
  if (!f) throw FormatError(path + ": cannot open (" + std::strerror(errno) + ")");
  std::vector<uint8_t> out;
  std::vector<uint8_t> chunk(1 << 20);
  for (;;) {
    const int got = gzread(f.get(), chunk.data(), unsigned(chunk.size()));
    if (got < 0) {
      int err = 0;
      const char* msg = gzerror(f.get(), &err);
      throw FormatError(path + ": cannot read: " + (msg ? msg : "zlib error"));
    }
    if (got == 0) break;
    out.insert(out.end(), chunk.begin(), chunk.begin() + got);
  }
  // gzread stops quietly at a truncated gzip stream; gzerror reports it.
  int err = Z_OK;
  const char* msg = gzerror(f.get(), &err);
  if (err != Z_OK && err != Z_STREAM_END)
    throw FormatError(path + ": corrupt or truncated gzip data: " + (msg ? msg : "zlib error"));
  return out;
}

IdxArray read_idx(const std::string& path) { return parse_idx(read_maybe_gzipped(path), path); }

}  // namespace micronet
