// IDX files against hostile headers: dimension products that overflow, and gzip data that
// inflates far beyond what the header declares.
#include <gtest/gtest.h>
#include <zlib.h>

#include "formats/idx_reader.h"
#include "formats/tensor.h"
#include "test_util.h"

namespace micronet {
namespace {

using testing::ScratchDir;

std::vector<uint8_t> idx_header(uint8_t type, const std::vector<uint32_t>& dims) {
  std::vector<uint8_t> b = {0, 0, type, uint8_t(dims.size())};
  for (uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8) b.push_back(uint8_t(d >> s));
  return b;
}

TEST(IdxLimits, DimensionProductsThatOverflowAreRefused) {
  // 65536^4 = 2^64 wrapped to 0 and an empty data section matched it.
  EXPECT_THROW_MSG(parse_idx(idx_header(0x08, {65536, 65536, 65536, 65536}), "wrap.idx"), FormatError,
                   "wrap.idx", "need more than 2147483648 data bytes");
  EXPECT_THROW_MSG(parse_idx(idx_header(0x0E, {4294967295u, 4294967295u}), "big.idx"), FormatError,
                   "need more than");
}

TEST(IdxLimits, GzipDataBeyondTheDeclaredSizeIsNotInflated) {
  // A 16-byte array followed by 256 MiB of zeros (256 KiB of gzip): the whole file was
  // inflated into memory before its size was compared with the header.
  ScratchDir dir;
  const std::string path = dir / "bomb.idx.gz";
  gzFile f = gzopen(path.c_str(), "wb9");
  ASSERT_NE(f, nullptr);
  const std::vector<uint8_t> head = idx_header(0x08, {4, 4});
  gzwrite(f, head.data(), unsigned(head.size()));
  const std::vector<uint8_t> zeros(1 << 20, 0);
  for (int i = 0; i < 256; ++i) gzwrite(f, zeros.data(), unsigned(zeros.size()));
  gzclose(f);
  const long before = testing::peak_rss_mib();
  EXPECT_THROW_MSG(read_idx(path), FormatError, path, "dimensions 4x4 need 16 data bytes", "trailing bytes");
  EXPECT_LT(testing::peak_rss_mib() - before, 64) << "MiB allocated before the error";
}

TEST(IdxLimits, StreamedReadMatchesParse) {
  ScratchDir dir;
  std::vector<uint8_t> b = idx_header(0x0B, {2, 3});
  for (int i = 0; i < 12; ++i) b.push_back(uint8_t(i));
  const std::string plain = dir / "a.idx", gz = dir / "a.idx.gz";
  testing::spit(plain, b);
  gzFile f = gzopen(gz.c_str(), "wb");
  gzwrite(f, b.data(), unsigned(b.size()));
  gzclose(f);
  for (const std::string& p : {plain, gz}) {
    const IdxArray a = read_idx(p);
    EXPECT_EQ(a.dims, (std::vector<int64_t>{2, 3})) << p;
    EXPECT_EQ(a.data, std::vector<uint8_t>(b.begin() + 12, b.end())) << p;
  }
  b.pop_back();
  testing::spit(plain, b);
  EXPECT_THROW_MSG(read_idx(plain), FormatError, "need 12 data bytes, file has 11 (truncated)");
}

}  // namespace
}  // namespace micronet
