#include "formats/npy.h"

#include <cstring>

#include "formats/file_io.h"

namespace micronet {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
// NumPy's own limit (NPY_MAXDIMS is 32 before NumPy 2, 64 since).
constexpr size_t kMaxRank = 64;

// The header is a Python dict literal, e.g. {'descr': '<f4', 'fortran_order': False,
// 'shape': (2, 3), }. This reads exactly that grammar: str keys, values str | bool | tuple.
class HeaderParser {
 public:
  HeaderParser(const std::string& path, const std::string& text) : path_(path), s_(text) {}

  void parse(std::string& descr, bool& fortran, std::vector<int64_t>& shape) {
    bool seen_descr = false, seen_fortran = false, seen_shape = false;
    expect('{');
    while (peek() != '}') {
      std::string key = quoted();
      expect(':');
      if (key == "descr") {
        descr = quoted();
        seen_descr = true;
      } else if (key == "fortran_order") {
        fortran = boolean();
        seen_fortran = true;
      } else if (key == "shape") {
        shape = tuple();
        seen_shape = true;
      } else {
        fail("unexpected header key '" + key + "'");
      }
      if (peek() == ',') ++pos_;
    }
    ++pos_;
    if (!seen_descr || !seen_fortran || !seen_shape)
      fail("header lacks one of 'descr', 'fortran_order', 'shape'");
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw FormatError(path_ + ": bad npy header: " + what);
  }
  char peek() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n')) ++pos_;
    if (pos_ >= s_.size()) fail("unexpected end");
    return s_[pos_];
  }
  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++pos_;
  }
  std::string quoted() {
    char q = peek();
    if (q != '\'' && q != '"') fail("expected a quoted string");
    size_t end = s_.find(q, ++pos_);
    if (end == std::string::npos) fail("unterminated string");
    std::string out = s_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return out;
  }
  bool boolean() {
    peek();
    if (s_.compare(pos_, 4, "True") == 0) return pos_ += 4, true;
    if (s_.compare(pos_, 5, "False") == 0) return pos_ += 5, false;
    fail("expected True or False");
  }
  std::vector<int64_t> tuple() {
    std::vector<int64_t> dims;
    expect('(');
    while (peek() != ')') {
      if (s_[pos_] < '0' || s_[pos_] > '9') fail("shape holds a non-integer");
      int64_t d = 0;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
        if (d > (INT64_MAX - 9) / 10) fail("dimension too large");
        d = d * 10 + (s_[pos_++] - '0');
      }
      if (dims.size() == kMaxRank) fail("shape has more than " + std::to_string(kMaxRank) + " dimensions");
      dims.push_back(d);
      if (peek() == ',') ++pos_;
    }
    ++pos_;
    return dims;
  }

  const std::string& path_;
  const std::string& s_;
  size_t pos_ = 0;
};

}  // namespace

Tensor read_npy_f32(const std::string& path) {
  const std::vector<uint8_t> file = read_file_bytes(path);
  if (file.size() < kMagicLen + 2 || std::memcmp(file.data(), kMagic, kMagicLen) != 0)
    throw FormatError(path + ": not an NPY file (bad magic)");
  const int major = file[6], minor = file[7];
  if (!((major == 1 || major == 2 || major == 3) && minor == 0))
    throw FormatError(path + ": NPY version " + std::to_string(major) + "." +
                      std::to_string(minor) + " is not supported (1.0, 2.0, 3.0 are)");
  const size_t len_bytes = major == 1 ? 2 : 4;
  if (file.size() < 8 + len_bytes) throw FormatError(path + ": truncated NPY header");
  size_t header_len = 0;
  for (size_t i = len_bytes; i-- > 0;) header_len = (header_len << 8) | file[8 + i];
  const size_t data_start = 8 + len_bytes + header_len;
  if (data_start > file.size())
    throw FormatError(path + ": NPY header length " + std::to_string(header_len) +
                      " exceeds the file");
  const std::string header(reinterpret_cast<const char*>(file.data()) + 8 + len_bytes,
                           header_len);

  std::string descr;
  bool fortran = false;
  Tensor t;
  HeaderParser(path, header).parse(descr, fortran, t.shape);
  if (descr != "<f4")
    throw FormatError(path + ": dtype '" + descr +
                      "' is not supported, expected float32 ('<f4')");
  if (fortran)
    throw FormatError(path + ": Fortran-ordered arrays are not supported; save a C-ordered "
                             "array (numpy.ascontiguousarray)");
  // The non-zero dimensions must multiply within int64 even when another one is 0:
  // readers of the shape compute such products.
  uint64_t numel = 1, nonzero = 1;
  for (int64_t d : t.shape) {
    if (d != 0 && nonzero > uint64_t(INT64_MAX) / 4 / uint64_t(d))
      throw FormatError(path + ": shape " + t.shape_str() + " overflows");
    if (d != 0) nonzero *= uint64_t(d);
    numel *= uint64_t(d);
  }
  const uint64_t have = file.size() - data_start;
  if (have != numel * 4)
    throw FormatError(path + ": data holds " + std::to_string(have) + " bytes, shape " +
                      t.shape_str() + " needs " + std::to_string(numel * 4) +
                      (have < numel * 4 ? " (truncated)" : ""));
  t.dtype = DType::F32;
  t.bytes.assign(file.begin() + std::ptrdiff_t(data_start), file.end());
  return t;
}

void write_npy_f32(const std::string& path, const Tensor& t) {
  t.f32_data();  // rejects other dtypes before anything is created
  if (t.bytes.size() != size_t(t.numel()) * 4)
    throw FormatError(path + ": tensor of shape " + t.shape_str() + " holds " +
                      std::to_string(t.bytes.size()) + " bytes");
  std::string dims;
  for (size_t i = 0; i < t.shape.size(); ++i) dims += (i ? ", " : "") + std::to_string(t.shape[i]);
  if (t.shape.size() == 1) dims += ',';  // Python spells a one-element tuple "(5,)"
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  // The preamble (magic, version, length, dict, '\n') is padded to 64 bytes as numpy does.
  const bool v2 = dict.size() + 1 + 10 > 65535;
  const size_t prefix = v2 ? 12 : 10;
  const size_t total = (prefix + dict.size() + 1 + 63) / 64 * 64;
  dict.append(total - prefix - dict.size() - 1, ' ');
  dict += '\n';

  write_file_atomic(path, [&](std::ostream& out) {
    out.write(kMagic, kMagicLen);
    out.put(char(v2 ? 2 : 1));
    out.put(char(0));
    const size_t len = dict.size();
    for (size_t i = 0; i < (v2 ? 4u : 2u); ++i) out.put(char((len >> (8 * i)) & 0xff));
    out.write(dict.data(), std::streamsize(dict.size()));
    out.write(reinterpret_cast<const char*>(t.bytes.data()), std::streamsize(t.bytes.size()));
  });
}

}  // namespace micronet
