// Hand-built checkpoint pieces for the tests: pickle bytes spelled opcode by opcode, and
// zip archives laid out the way torch.save writes them (STORED, or DEFLATE through zlib).
#pragma once

#include <zlib.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace micronet::testing {

inline void put(std::string& out, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out += char((v >> (8 * i)) & 0xff);
}

// Raw DEFLATE (no zlib header), as zip entries hold it.
inline std::string deflate_raw(const std::string& data) {
  z_stream zs{};
  deflateInit2(&zs, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, uLong(data.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = uInt(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(&out[0]);
  zs.avail_out = uInt(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

struct ZipEntry {
  std::string name, data;
  bool deflate = false;
};

// A zip of `entries` the way torch lays it out: sizes only in the central directory.
inline std::string zip_of(const std::vector<ZipEntry>& entries) {
  std::string out, central;
  for (const ZipEntry& e : entries) {
    const std::string stored = e.deflate ? deflate_raw(e.data) : e.data;
    const uint32_t crc = uint32_t(crc32_z(0, reinterpret_cast<const Bytef*>(e.data.data()), e.data.size()));
    const int method = e.deflate ? 8 : 0;
    const size_t offset = out.size();
    put(out, 0x04034b50, 4); put(out, 20, 2); put(out, 0x08, 2); put(out, method, 2);
    put(out, 0, 4); put(out, 0, 4); put(out, 0, 4); put(out, 0, 4);
    put(out, e.name.size(), 2); put(out, 0, 2);
    out += e.name + stored;
    put(central, 0x02014b50, 4); put(central, 20, 2); put(central, 20, 2);
    put(central, 0x08, 2); put(central, method, 2); put(central, 0, 4);
    put(central, crc, 4); put(central, stored.size(), 4); put(central, e.data.size(), 4);
    put(central, e.name.size(), 2); put(central, 0, 2); put(central, 0, 2);
    put(central, 0, 2); put(central, 0, 2); put(central, 0, 4); put(central, offset, 4);
    central += e.name;
  }
  const size_t cd_offset = out.size();
  out += central;
  put(out, 0x06054b50, 4); put(out, 0, 4);
  put(out, entries.size(), 2); put(out, entries.size(), 2);
  put(out, central.size(), 4); put(out, cd_offset, 4); put(out, 0, 2);
  return out;
}

// Pickle bytes spelled opcode by opcode.
struct Pickle {
  std::string s = "\x80\x02";
  Pickle& op(char c) { s += c; return *this; }
  Pickle& ops(char c, size_t n) { s.append(n, c); return *this; }
  Pickle& str(const std::string& v) { s += 'X'; put(s, v.size(), 4); s += v; return *this; }
  Pickle& global(const std::string& m, const std::string& n) { s += 'c' + m + '\n' + n + '\n'; return *this; }
  Pickle& int1(uint8_t v) { s += 'K'; s += char(v); return *this; }
  Pickle& int4(uint32_t v) { s += 'J'; put(s, v, 4); return *this; }
  Pickle& memo_put(uint8_t i) { s += 'q'; s += char(i); return *this; }
  Pickle& memo_get(uint8_t i) { s += 'h'; s += char(i); return *this; }
  std::vector<uint8_t> bytes() const { return std::vector<uint8_t>(s.begin(), s.end()); }

  // _rebuild_tensor_v2(<FloatStorage `key` of `numel` floats>, offset, size, stride, False,
  // OrderedDict()), left on the stack.
  Pickle& tensor(const std::string& key, uint32_t numel, uint32_t offset,
                 const std::vector<uint32_t>& size, const std::vector<uint32_t>& stride) {
    global("torch._utils", "_rebuild_tensor_v2").op('(');
    op('(').str("storage").global("torch", "FloatStorage").str(key).str("cpu").int4(numel).op('t').op('Q');
    int4(offset).op('(');
    for (uint32_t d : size) int4(d);
    op('t').op('(');
    for (uint32_t d : stride) int4(d);
    return op('t').op('\x89').global("collections", "OrderedDict").op(')').op('R').op('t').op('R');
  }

  // {"w": _rebuild_tensor_v2(storage '0' of `numel` floats, offset, size, stride, ...)}
  static Pickle tensor_dict(uint32_t numel, uint32_t offset, std::vector<uint32_t> size,
                            std::vector<uint32_t> stride) {
    Pickle p;
    p.op('}').str("w").tensor("0", numel, offset, size, stride);
    return p.op('s').op('.');
  }
};

}  // namespace micronet::testing
