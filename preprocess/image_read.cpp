#include "preprocess/image_read.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <vector>

#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>

#include "formats/tensor.h"

namespace micronet {

namespace {

// Bounds-checked integer reads from the header bytes; a short read means a truncated file.
class Bytes {
 public:
  Bytes(const uint8_t* d, size_t n, const std::string& path, const char* format)
      : d_(d), n_(n), path_(path), format_(format) {}
  size_t size() const { return n_; }
  uint8_t u8(size_t at) const { need(at, 1); return d_[at]; }
  uint32_t be16(size_t at) const { need(at, 2); return uint32_t(d_[at]) << 8 | d_[at + 1]; }
  uint32_t le16(size_t at) const { need(at, 2); return uint32_t(d_[at + 1]) << 8 | d_[at]; }
  uint32_t le24(size_t at) const { return le16(at) | u8(at + 2) << 16; }
  uint32_t be32(size_t at) const { return be16(at) << 16 | be16(at + 2); }
  uint32_t le32(size_t at) const { return le16(at + 2) << 16 | le16(at); }
  bool starts(size_t at, const char* magic) const {
    const size_t len = std::strlen(magic);
    return at + len <= n_ && std::memcmp(d_ + at, magic, len) == 0;
  }
  [[noreturn]] void fail(const std::string& why) const {
    throw FormatError(path_ + ": not a decodable image: bad " + format_ + " header (" + why + ")");
  }

 private:
  void need(size_t at, size_t len) const {
    if (at > n_ || len > n_ - at) fail("truncated");
  }
  const uint8_t* d_;
  size_t n_;
  const std::string& path_;
  const char* format_;
};

ImageHeader png(const Bytes& b) {
  if (!b.starts(12, "IHDR")) b.fail("the first chunk is not IHDR");
  return {"PNG", b.be32(16), b.be32(20)};
}

// Walks the marker segments up to the first start-of-frame (SOF0..SOF15 less DHT, JPG, DAC).
ImageHeader jpeg(const Bytes& b) {
  size_t at = 2;
  for (;;) {
    if (b.u8(at) != 0xFF) b.fail("no marker where one is due");
    while (b.u8(at) == 0xFF) ++at;  // fill bytes
    const uint8_t m = b.u8(at++);
    if (m == 0x01 || (m >= 0xD0 && m <= 0xD8)) continue;  // markers without a length
    if (m == 0xD9 || m == 0xDA) b.fail("no frame header before the image data");
    const uint32_t len = b.be16(at);
    if (len < 2) b.fail("segment length below 2");
    if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC)
      return {"JPEG", b.be16(at + 5), b.be16(at + 3)};
    at += len;
  }
}

ImageHeader bmp(const Bytes& b) {
  if (b.le32(14) == 12) return {"BMP", b.le16(18), b.le16(20)};  // OS/2 1.x core header
  const int64_t h = int32_t(b.le32(22));  // negative: rows stored top-down
  return {"BMP", int32_t(b.le32(18)), h < 0 ? -h : h};
}

ImageHeader webp(const Bytes& b) {
  if (b.starts(12, "VP8 ")) {
    if (b.u8(23) != 0x9D || b.u8(24) != 0x01 || b.u8(25) != 0x2A) b.fail("no VP8 start code");
    return {"WebP", b.le16(26) & 0x3FFF, b.le16(28) & 0x3FFF};
  }
  if (b.starts(12, "VP8L")) {
    if (b.u8(20) != 0x2F) b.fail("no VP8L signature");
    const uint32_t bits = b.le32(21);
    return {"WebP", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1};
  }
  if (b.starts(12, "VP8X")) return {"WebP", b.le24(24) + 1, b.le24(27) + 1};
  b.fail("unknown first chunk");
}

// The first image file directory (the page imread decodes): ImageWidth and ImageLength,
// and for tiled files the tile size, since OpenCV allocates one whole tile per read.
ImageHeader tiff(const Bytes& b, int64_t& tile_pixels) {
  const bool le = b.u8(0) == 'I';
  auto u16 = [&](size_t at) { return le ? b.le16(at) : b.be16(at); };
  auto u32 = [&](size_t at) { return le ? b.le32(at) : b.be32(at); };
  auto u64 = [&](size_t at) {
    const uint64_t lo = u32(at + (le ? 0 : 4)), hi = u32(at + (le ? 4 : 0));
    return hi << 32 | lo;
  };
  const bool big = u16(2) == 43;  // BigTIFF: 8-byte offsets and counts
  if (!big && u16(2) != 42) b.fail("unknown version");
  const uint64_t ifd = big ? u64(8) : u32(4);
  const uint64_t count = big ? u64(ifd) : u16(ifd);
  if (ifd >= b.size() || count > 4096) b.fail("image directory out of range");
  const size_t first = size_t(ifd) + (big ? 8 : 2), entry = big ? 20 : 12;
  int64_t width = -1, height = -1, tile_w = 0, tile_h = 0;
  for (size_t i = 0; i < count; ++i) {
    const size_t at = first + i * entry;
    const uint32_t tag = u16(at), type = u16(at + 2);
    const size_t value_at = at + (big ? 12 : 8);
    int64_t v;
    if (type == 3) v = u16(value_at);                 // SHORT
    else if (type == 4) v = u32(value_at);            // LONG
    else if (type == 16 && big) v = int64_t(u64(value_at) & 0x7FFFFFFFFFFFFFFF);  // LONG8
    else continue;
    if (tag == 256) width = v;
    if (tag == 257) height = v;
    if (tag == 322) tile_w = v;
    if (tag == 323) tile_h = v;
  }
  if (width < 0 || height < 0) b.fail("no image width or length");
  tile_pixels = tile_w * tile_h;
  return {"TIFF", width, height};
}

// Netpbm family: whitespace-separated decimal fields after the magic, '#' comments.
ImageHeader pnm(const Bytes& b, const char* format) {
  size_t at = 2;
  auto number = [&]() -> int64_t {
    for (;;) {
      const uint8_t c = b.u8(at);
      if (c == '#') {
        while (b.u8(at) != '\n') ++at;
      } else if (std::isspace(c)) {
        ++at;
      } else {
        break;
      }
    }
    if (!std::isdigit(b.u8(at))) b.fail("no image size");
    int64_t v = 0;
    while (at < b.size() && std::isdigit(b.u8(at))) {
      v = v * 10 + (b.u8(at++) - '0');
      if (v > (int64_t(1) << 40)) b.fail("image size too large to parse");
    }
    return v;
  };
  const int64_t w = number();
  return {format, w, number()};
}

// PAM (P7): "WIDTH n" and "HEIGHT n" lines up to "ENDHDR".
ImageHeader pam(const Bytes& b) {
  int64_t w = -1, h = -1;
  size_t at = 2;
  while (at < b.size()) {
    size_t end = at;
    while (end < b.size() && b.u8(end) != '\n') ++end;
    std::string text;
    for (size_t i = at; i < end && text.size() < 256; ++i) text += char(b.u8(i));
    long long v = 0;
    if (std::sscanf(text.c_str(), " WIDTH %lld", &v) == 1) w = v;
    if (std::sscanf(text.c_str(), " HEIGHT %lld", &v) == 1) h = v;
    if (text.rfind("ENDHDR", 0) == 0) break;
    at = end + 1;
  }
  if (w < 0 || h < 0) b.fail("no WIDTH or HEIGHT");
  return {"PAM", w, h};
}

// Radiance HDR: header lines up to an empty one, then "-Y rows +X cols" (any axis order).
ImageHeader hdr(const Bytes& b) {
  size_t at = 0;
  for (;;) {
    size_t end = at;
    while (b.u8(end) != '\n') ++end;  // throws at the end of the file
    if (end == at) break;              // the empty line ending the header
    at = end + 1;
  }
  std::string line;
  for (++at; at < b.size() && b.u8(at) != '\n' && line.size() < 64; ++at) line += char(b.u8(at));
  char s1, a1, s2, a2;
  long long n1, n2;
  if (std::sscanf(line.c_str(), "%c%c %lld %c%c %lld", &s1, &a1, &n1, &s2, &a2, &n2) != 6 ||
      n1 < 0 || n2 < 0)
    b.fail("no resolution line");
  return {"Radiance HDR", a1 == 'Y' ? n2 : n1, a1 == 'Y' ? n1 : n2};
}

// Once per process: OpenCV's warnings would repeat what the FormatError says, but an explicit
// OPENCV_LOG_LEVEL (someone debugging OpenCV itself) wins.
void quiet_opencv() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (std::getenv("OPENCV_LOG_LEVEL") == nullptr &&
        cv::utils::logging::getLogLevel() > cv::utils::logging::LOG_LEVEL_ERROR)
      cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR);
  });
}

// The whole file, refusing files larger than `max_bytes` before reading them.
std::vector<uint8_t> read_capped(const std::string& path, uint64_t max_bytes) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) throw FormatError(path + ": no such file");
    throw FormatError(path + ": cannot read the image: " + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) throw FormatError(path + ": is a folder, not an image");
  if (S_ISREG(st.st_mode) && uint64_t(st.st_size) > max_bytes)
    throw FormatError(path + ": " + std::to_string(st.st_size) +
                      " bytes is more than any image within the pixel limit needs (" +
                      std::to_string(max_bytes) + " bytes)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FormatError(path + ": cannot read the image: " + std::strerror(errno));
  // Read in chunks up to the cap, so a FIFO or a growing file is bounded too.
  std::vector<uint8_t> bytes;
  char chunk[1 << 16];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    bytes.insert(bytes.end(), chunk, chunk + in.gcount());
    if (bytes.size() > max_bytes)
      throw FormatError(path + ": more than " + std::to_string(max_bytes) +
                        " bytes, more than any image within the pixel limit needs");
  }
  if (in.bad()) throw FormatError(path + ": read failed");
  return bytes;
}

}  // namespace

ImageHeader read_image_header(const uint8_t* data, size_t size, const std::string& path) {
  const Bytes any(data, size, path, "image");
  auto as = [&](const char* format) { return Bytes(data, size, path, format); };
  if (any.starts(0, "\x89PNG\r\n\x1a\n")) return png(as("PNG"));
  if (any.starts(0, "\xFF\xD8\xFF")) return jpeg(as("JPEG"));
  if (any.starts(0, "BM")) return bmp(as("BMP"));
  if (any.starts(0, "GIF87a") || any.starts(0, "GIF89a")) {
    const Bytes b = as("GIF");
    return {"GIF", b.le16(6), b.le16(8)};
  }
  if (any.starts(0, "RIFF") && any.starts(8, "WEBP")) return webp(as("WebP"));
  if (any.starts(0, "II*") || any.starts(0, "MM") || any.starts(0, "II+")) {
    const Bytes b = as("TIFF");
    if (any.starts(0, "MM") && b.u8(2) != 0) b.fail("unknown byte order mark");
    int64_t tile_pixels = 0;
    ImageHeader h = tiff(b, tile_pixels);
    // A tiny image in huge tiles still makes OpenCV allocate a whole tile: count the larger.
    if (tile_pixels > h.width * h.height) h = {"TIFF (tiles)", tile_pixels, 1};
    return h;
  }
  if (size >= 2 && data[0] == 'P' && data[1] >= '1' && data[1] <= '6') return pnm(as("PNM"), "PNM");
  if (any.starts(0, "P7")) return pam(as("PAM"));
  if (any.starts(0, "PF") || any.starts(0, "Pf")) return pnm(as("PFM"), "PFM");
  if (any.starts(0, "\x59\xA6\x6A\x95")) {
    const Bytes b = as("Sun raster");
    return {"Sun raster", b.be32(4), b.be32(8)};
  }
  if (any.starts(0, "#?RADIANCE") || any.starts(0, "#?RGBE")) return hdr(as("Radiance HDR"));
  throw FormatError(path + ": not a decodable image: not a format whose size can be checked "
                           "before decoding (PNG, JPEG, BMP, GIF, WebP, TIFF, PNM/PAM/PFM, Sun "
                           "raster, Radiance HDR)");
}

cv::Mat read_image_bounded(const std::string& path, int imread_flags, int64_t max_pixels) {
  quiet_opencv();
  // The largest file an image within budget needs: 16 bytes a pixel (four float channels,
  // uncompressed) plus room for metadata. Larger files are refused unread.
  // (cv::imdecode takes the buffer as a Mat of int-many bytes, hence the INT_MAX ceiling.)
  const uint64_t max_bytes =
      std::min<uint64_t>(uint64_t(max_pixels) * 16 + (uint64_t(16) << 20), INT_MAX);
  const std::vector<uint8_t> bytes = read_capped(path, max_bytes);
  if (bytes.empty()) throw FormatError(path + ": not a decodable image: the file is empty");
  const ImageHeader h = read_image_header(bytes.data(), bytes.size(), path);
  if (h.width <= 0 || h.height <= 0)
    throw FormatError(path + ": not a decodable image: its " + h.format + " header says " +
                      std::to_string(h.width) + "x" + std::to_string(h.height) + " pixels");
  // width*height > max_pixels, without overflowing int64 on absurd headers.
  if (h.width > max_pixels / h.height)
    throw FormatError(path + ": " + std::to_string(h.width) + "x" + std::to_string(h.height) +
                      " pixels exceeds the limit of " + std::to_string(max_pixels) +
                      " pixels (decompression bomb?)");
  cv::Mat img;
  try {
    img = cv::imdecode(cv::Mat(1, int(bytes.size()), CV_8U, const_cast<uint8_t*>(bytes.data())),
                       imread_flags);
  } catch (const cv::Exception& e) {
    throw FormatError(path + ": not a decodable image: OpenCV: " + e.err);
  }
  if (img.empty())
    throw FormatError(path + ": not a decodable image: OpenCV could not decode this " +
                      std::string(h.format) + " (corrupt or truncated?)");
  return img;
}

}  // namespace micronet
