#include "formats/safetensors.h"

#include <algorithm>
#include <cstring>

#include "formats/file_io.h"
#include "formats/json_lite.h"

namespace micronet {

namespace {

// The parsed header costs ~60x its text in memory (a JsonValue per 2-byte "0,"), so the
// cap is lower than the reference implementation's 100 MB; 16 MiB holds ~150k tensors
// (MicroNet-M3's header is ~60 KB).
constexpr uint64_t kMaxHeaderBytes = uint64_t(16) << 20;
// A tensor entry is ~10 JSON values; 2^18 values are ~25k tensors (a MicroNet has < 2k,
// M3 ~700) and bound the parsed header to ~30 MB whatever its text (without the bound a
// 16 MiB header of "0,0,..." cost 891 MB).
constexpr size_t kMaxHeaderValues = size_t(1) << 18;

struct Entry {
  const std::string* key;
  uint64_t begin, end;
  Tensor tensor;  // dtype and shape; bytes are copied once the whole layout is valid
};

// The shape's element count times `nbytes`; even with a zero dimension the others must
// multiply within int64, since readers of the shape compute such products.
uint64_t shape_bytes(const std::vector<int64_t>& shape, uint64_t nbytes, const std::string& where) {
  uint64_t nonzero = 1;
  bool empty = false;
  for (int64_t d : shape) {
    if (d == 0) {
      empty = true;
      continue;
    }
    if (nonzero > uint64_t(INT64_MAX) / uint64_t(d)) throw FormatError(where + ": shape overflows 64 bits");
    nonzero *= uint64_t(d);
  }
  if (empty) return 0;
  if (nonzero > UINT64_MAX / nbytes) throw FormatError(where + ": shape overflows 64 bits");
  return nbytes * nonzero;
}

// What a file that is no safetensors file looks like, for the error message.
std::string not_safetensors(const std::vector<uint8_t>& f) {
  auto starts = [&](const char* magic, size_t n) {
    return f.size() >= n && std::memcmp(f.data(), magic, n) == 0;
  };
  if (starts("\x93NUMPY", 6)) return "starts with the .npy magic";
  if (starts("PK\x03\x04", 4)) return "starts with the zip magic: a PyTorch .pth checkpoint?";
  if (starts("\x1f\x8b", 2)) return "starts with the gzip magic";
  if (f.size() >= 2 && f[0] == 0x80 && f[1] >= 2 && f[1] <= 5)
    return "starts like a pickle: a legacy PyTorch checkpoint?";
  return "";
}

Tensor parse_entry(const std::string& where, const JsonValue& v, Entry& range) {
  if (v.kind != JsonValue::Kind::Object) throw FormatError(where + ": entry is not an object");
  const JsonValue* dtype = v.find("dtype");
  const JsonValue* shape = v.find("shape");
  const JsonValue* offsets = v.find("data_offsets");
  if (!dtype || !shape || !offsets || v.object.size() != 3)
    throw FormatError(where + ": entry must have exactly dtype, shape and data_offsets");
  if (dtype->kind != JsonValue::Kind::String) throw FormatError(where + ": dtype is not a string");
  Tensor t;
  try {
    t.dtype = dtype_from_name(dtype->string);
  } catch (const std::runtime_error&) {
    throw FormatError(where + ": unknown dtype '" + dtype->string + "'");
  }
  if (shape->kind != JsonValue::Kind::Array) throw FormatError(where + ": shape is not an array");
  for (const JsonValue& d : shape->array) {
    if (d.kind != JsonValue::Kind::Integer || d.integer < 0)
      throw FormatError(where + ": shape holds a value that is not a non-negative integer");
    t.shape.push_back(d.integer);
  }
  const uint64_t nbytes = shape_bytes(t.shape, dtype_size(t.dtype), where);
  if (offsets->kind != JsonValue::Kind::Array || offsets->array.size() != 2 ||
      offsets->array[0].kind != JsonValue::Kind::Integer ||
      offsets->array[1].kind != JsonValue::Kind::Integer || offsets->array[0].integer < 0 ||
      offsets->array[1].integer < offsets->array[0].integer)
    throw FormatError(where + ": data_offsets must be [begin, end] with 0 <= begin <= end");
  range.begin = uint64_t(offsets->array[0].integer);
  range.end = uint64_t(offsets->array[1].integer);
  if (range.end - range.begin != nbytes)
    throw FormatError(where + ": data_offsets [" + std::to_string(range.begin) + ", " +
                      std::to_string(range.end) + "] span " +
                      std::to_string(range.end - range.begin) + " bytes, but " +
                      dtype->string + " " + t.shape_str() + " needs " +
                      std::to_string(nbytes));
  return t;
}

}  // namespace

TensorMap read_safetensors(const std::string& path, std::map<std::string, std::string>* metadata) {
  return read_safetensors_bytes(read_file_bytes(path), path, metadata);
}

TensorMap read_safetensors_bytes(const std::vector<uint8_t>& file, const std::string& path,
                                 std::map<std::string, std::string>* metadata) {
  const std::string magic = not_safetensors(file);
  if (!magic.empty()) throw FormatError(path + ": not a safetensors file (" + magic + ")");
  if (file.size() < 8)
    throw FormatError(path + ": not a safetensors file (" + std::to_string(file.size()) +
                      " bytes, shorter than the 8-byte header length)");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | file[size_t(i)];
  if (header_len > file.size() - 8)
    throw FormatError(path + ": not a safetensors file (header length " + std::to_string(header_len) +
                      " > file size " + std::to_string(file.size()) + ")");
  if (header_len > kMaxHeaderBytes)
    throw FormatError(path + ": safetensors header of " + std::to_string(header_len) +
                      " bytes is over the " + std::to_string(kMaxHeaderBytes) + "-byte limit");
  if (header_len == 0 || file[8] != '{')
    throw FormatError(path + ": not a safetensors file (the header does not start with '{')");
  const std::string_view text(reinterpret_cast<const char*>(file.data()) + 8, size_t(header_len));
  JsonValue header;
  try {
    JsonLimits limits;
    limits.max_bytes = kMaxHeaderBytes;
    limits.max_depth = 8;  // {"key": {"shape": [..]}}: 3 levels
    limits.max_values = kMaxHeaderValues;
    header = parse_json(text, limits);
  } catch (const JsonError& e) {
    throw FormatError(path + ": bad header: " + e.what());
  }
  if (header.kind != JsonValue::Kind::Object)
    throw FormatError(path + ": header is not a JSON object");

  // The whole layout is checked before a single byte is copied: a hostile header of
  // many overlapping entries must not make us allocate their sum.
  const uint8_t* data = file.data() + 8 + header_len;
  const uint64_t data_len = file.size() - 8 - header_len;
  std::vector<Entry> ranges;
  for (const auto& [key, value] : header.object) {
    if (key == "__metadata__") {
      if (value.kind != JsonValue::Kind::Object)
        throw FormatError(path + ": __metadata__ is not an object");
      for (const auto& [mk, mv] : value.object)
        if (mv.kind != JsonValue::Kind::String)
          throw FormatError(path + ": __metadata__ '" + mk + "' is not a string");
      continue;
    }
    const std::string where = path + ": tensor '" + key + "'";
    Entry range{&key, 0, 0, {}};
    range.tensor = parse_entry(where, value, range);
    if (range.end > data_len)
      throw FormatError(where + ": data_offsets end " + std::to_string(range.end) +
                        " is past the data section (" + std::to_string(data_len) + " bytes)");
    ranges.push_back(std::move(range));
  }

  // Like the reference implementation: the ranges must tile the data section exactly.
  std::sort(ranges.begin(), ranges.end(), [](const Entry& a, const Entry& b) {
    return a.begin < b.begin || (a.begin == b.begin && a.end < b.end);
  });
  uint64_t expected = 0;
  for (const Entry& r : ranges) {
    if (r.begin < expected)
      throw FormatError(path + ": tensor '" + *r.key + "' overlaps the previous tensor's bytes");
    if (r.begin > expected)
      throw FormatError(path + ": bytes " + std::to_string(expected) + ".." +
                        std::to_string(r.begin) + " before tensor '" + *r.key +
                        "' belong to no tensor");
    expected = r.end;
  }
  if (expected != data_len)
    throw FormatError(path + ": " + std::to_string(data_len - expected) +
                      " trailing bytes belong to no tensor");

  TensorMap tensors;
  for (Entry& r : ranges) {
    r.tensor.bytes.assign(data + r.begin, data + r.end);
    tensors.emplace(*r.key, std::move(r.tensor));
  }
  if (metadata)
    if (const JsonValue* meta = header.find("__metadata__"))
      for (const auto& [mk, mv] : meta->object) (*metadata)[mk] = mv.string;
  return tensors;
}

void write_safetensors(const std::string& path, const TensorMap& tensors,
                       const std::map<std::string, std::string>& metadata) {
  std::string header = "{";
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [k, v] : metadata) {
      if (!first) header += ',';
      first = false;
      header += json_quote(k) + ':' + json_quote(v);
    }
    header += '}';
  }
  uint64_t offset = 0;
  for (const auto& [key, t] : tensors) {
    if (key == "__metadata__") throw FormatError(path + ": '__metadata__' cannot name a tensor");
    for (int64_t d : t.shape)
      if (d < 0) throw FormatError(path + ": tensor '" + key + "' has a negative dimension");
    const uint64_t nbytes = uint64_t(t.numel()) * dtype_size(t.dtype);
    if (t.bytes.size() != nbytes)
      throw FormatError(path + ": tensor '" + key + "' (" + dtype_name(t.dtype) + " " +
                        t.shape_str() + ") holds " + std::to_string(t.bytes.size()) +
                        " bytes, expected " + std::to_string(nbytes));
    if (header.size() > 1) header += ',';
    header += json_quote(key) + ":{\"dtype\":\"" + dtype_name(t.dtype) + "\",\"shape\":[";
    for (size_t i = 0; i < t.shape.size(); ++i)
      header += (i ? "," : "") + std::to_string(t.shape[i]);
    header += "],\"data_offsets\":[" + std::to_string(offset) + "," +
              std::to_string(offset + nbytes) + "]}";
    offset += nbytes;
  }
  header += '}';
  // Padding keeps the data section 8-byte aligned for readers that map the file.
  header.append((8 - header.size() % 8) % 8, ' ');
  // Never write what read_safetensors refuses (a 17 MB config_name made such a file).
  if (header.size() > kMaxHeaderBytes)
    throw FormatError(path + ": the header would be " + std::to_string(header.size()) +
                      " bytes, over the " + std::to_string(kMaxHeaderBytes) +
                      "-byte limit readers accept (metadata too large?); nothing written");
  for (const auto& [k, v] : metadata)
    if (!is_valid_utf8(k) || !is_valid_utf8(v))
      throw FormatError(path + ": metadata '" + printable(k) + "' is not valid UTF-8; nothing written");
  for (const auto& kv : tensors)
    if (!is_valid_utf8(kv.first))
      throw FormatError(path + ": tensor name '" + printable(kv.first) + "' is not valid UTF-8; nothing written");

  write_file_atomic(path, [&](std::ostream& out) {
    uint8_t len[8];
    for (int i = 0; i < 8; ++i) len[i] = uint8_t(uint64_t(header.size()) >> (8 * i));
    out.write(reinterpret_cast<const char*>(len), 8);
    out.write(header.data(), std::streamsize(header.size()));
    for (const auto& kv : tensors)
      out.write(reinterpret_cast<const char*>(kv.second.bytes.data()),
                std::streamsize(kv.second.bytes.size()));
  });
}

}  // namespace micronet
