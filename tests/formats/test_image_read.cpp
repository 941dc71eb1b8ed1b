// read_image_bounded: images within the pixel budget decode as before; bombs, missing files
// and non-images are refused with a message naming the file, before anything is decoded.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "preprocess/image_read.h"
#include "preprocess/preprocess.h"
#include "formats/tensor.h"

namespace micronet {
namespace {

namespace fs = std::filesystem;

class ImageRead : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("micronet_image_read_" + std::string(
                ::testing::UnitTest::GetInstance()->current_test_info()->name()) +
            "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string be32(uint32_t v) {
  return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
}

std::string png_chunk(const std::string& type, const std::string& data) {
  const std::string td = type + data;
  return be32(uint32_t(data.size())) + td +
         be32(uint32_t(crc32(0, reinterpret_cast<const Bytef*>(td.data()), uInt(td.size()))));
}

// A valid greyscale PNG of width x height zero pixels: 20000x20000 is ~400 KB on disk and
// 1.2 GB once decoded as BGR. Written with zlib row by row so the test never holds it.
std::string zero_png(uint32_t width, uint32_t height) {
  z_stream z{};
  EXPECT_EQ(deflateInit(&z, 1), Z_OK);
  const std::vector<Bytef> row(size_t(width) + 1, 0);  // filter byte 0, then the pixels
  std::string idat;
  std::vector<Bytef> out(1 << 16);
  for (uint32_t y = 0; y <= height; ++y) {
    const bool last = y == height;
    z.next_in = const_cast<Bytef*>(row.data());
    z.avail_in = last ? 0 : uInt(row.size());
    do {
      z.next_out = out.data();
      z.avail_out = uInt(out.size());
      deflate(&z, last ? Z_FINISH : Z_NO_FLUSH);
      idat.append(reinterpret_cast<char*>(out.data()), out.size() - z.avail_out);
    } while (z.avail_out == 0);
  }
  deflateEnd(&z);
  const std::string ihdr = be32(width) + be32(height) + std::string{8, 0, 0, 0, 0};
  return std::string("\x89PNG\r\n\x1a\n", 8) + png_chunk("IHDR", ihdr) + png_chunk("IDAT", idat) +
         png_chunk("IEND", "");
}

long max_rss_kb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

// Runs `stmt`, which must throw FormatError whose message holds every fragment, and
// returns what OpenCV (or a codec library) printed meanwhile.
template <typename F>
std::string expect_format_error(F&& stmt, const std::vector<std::string>& fragments) {
  ::testing::internal::CaptureStderr();
  try {
    stmt();
    ADD_FAILURE() << "no exception";
  } catch (const FormatError& e) {
    for (const std::string& f : fragments)
      EXPECT_NE(std::string(e.what()).find(f), std::string::npos)
          << "message '" << e.what() << "' lacks '" << f << "'";
  }
  return ::testing::internal::GetCapturedStderr();
}

cv::Mat test_pattern(int rows, int cols, int type) {
  cv::Mat m(rows, cols, type);
  cv::randu(m, 0, type == CV_32FC3 ? 1 : 255);
  return m;
}

TEST_F(ImageRead, SmallPngAndJpegDecodeAsImreadDoes) {
  const cv::Mat img = test_pattern(30, 40, CV_8UC3);
  ASSERT_TRUE(cv::imwrite(path("a.png"), img));
  ASSERT_TRUE(cv::imwrite(path("a.jpg"), img));
  const cv::Mat png = read_image_bounded(path("a.png"), cv::IMREAD_COLOR);
  EXPECT_EQ(cv::norm(png, img, cv::NORM_INF), 0);
  const cv::Mat jpg = read_image_bounded(path("a.jpg"), cv::IMREAD_COLOR);
  EXPECT_EQ(cv::norm(jpg, cv::imread(path("a.jpg"), cv::IMREAD_COLOR), cv::NORM_INF), 0);
  const cv::Mat grey = read_image_bounded(path("a.png"), cv::IMREAD_GRAYSCALE);
  EXPECT_EQ(grey.type(), CV_8UC1);
  EXPECT_EQ(grey.size(), img.size());
  // The ImageNet preprocessing goes through it too.
  EXPECT_EQ(preprocess_image_file(path("a.png")).size(), size_t(3 * 224 * 224));
}

// Every format whose header is parsed: the header's size is the image's size, the image
// decodes, and one pixel less of budget refuses it.
TEST_F(ImageRead, EveryParsedFormatReportsItsSize) {
  const int rows = 23, cols = 37;
  for (const std::string ext :
       {".png", ".jpg", ".bmp", ".webp", ".tiff", ".pbm", ".pgm", ".ppm", ".pam", ".pfm", ".ras",
        ".hdr"}) {
    SCOPED_TRACE(ext);
    const int type = ext == ".pfm" || ext == ".hdr"  ? CV_32FC3
                     : ext == ".pbm" || ext == ".pgm" ? CV_8UC1
                                                      : CV_8UC3;
    std::vector<uchar> buf;
    ASSERT_TRUE(cv::imencode(ext, test_pattern(rows, cols, type), buf));
    const ImageHeader h = read_image_header(buf.data(), buf.size(), "x" + ext);
    EXPECT_EQ(h.width, cols);
    EXPECT_EQ(h.height, rows);
    const std::string file = path("x" + ext);
    write_bytes(file, std::string(buf.begin(), buf.end()));
    EXPECT_EQ(read_image_bounded(file, cv::IMREAD_UNCHANGED, rows * cols).size(),
              cv::Size(cols, rows));
    expect_format_error([&] { read_image_bounded(file, cv::IMREAD_COLOR, rows * cols - 1); },
                        {file, "37x23 pixels exceeds the limit of 850 pixels"});
  }
}

TEST_F(ImageRead, PngBombIsRefusedBeforeDecoding) {
  const std::string file = path("bomb.png");
  const std::string bytes = zero_png(20000, 20000);
  ASSERT_LT(bytes.size(), size_t(2) << 20);  // small on disk...
  write_bytes(file, bytes);
  const long rss_before = max_rss_kb();
  const auto t0 = std::chrono::steady_clock::now();
  expect_format_error([&] { read_image_bounded(file, cv::IMREAD_COLOR); },
                      {file, "20000x20000 pixels exceeds the limit of 67108864 pixels",
                       "decompression bomb"});
  expect_format_error([&] { preprocess_image_file(file); }, {file, "20000x20000"});
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(max_rss_kb() - rss_before, 200 * 1024) << "KB of peak memory added";
  EXPECT_LT(seconds, 2.0);
}

// A tiny TIFF that asks for 65536x65536 tiles: OpenCV allocates a tile per read.
TEST_F(ImageRead, TiffWithHugeTilesIsRefused) {
  auto le16 = [](uint32_t v) { return std::string{char(v), char(v >> 8)}; };
  auto le32 = [&](uint32_t v) { return le16(v & 0xFFFF) + le16(v >> 16); };
  auto entry = [&](uint32_t tag, uint32_t value) { return le16(tag) + le16(4) + le32(1) + le32(value); };
  const std::string tiff = std::string("II*\0", 4) + le32(8) + le16(4) + entry(256, 1) +
                           entry(257, 1) + entry(322, 65536) + entry(323, 65536) + le32(0);
  const std::string file = path("tiles.tiff");
  write_bytes(file, tiff);
  expect_format_error([&] { read_image_bounded(file, cv::IMREAD_COLOR); },
                      {file, "exceeds the limit"});
}

TEST_F(ImageRead, MissingFileAndNonImagesAreClearErrors) {
  const std::string missing = path("missing.png");
  // Checked before OpenCV, which would otherwise print its own warning.
  EXPECT_EQ(expect_format_error([&] { read_image_bounded(missing, cv::IMREAD_COLOR); },
                                {missing, "no such file"}),
            "");
  const std::string text = path("x.png");
  write_bytes(text, "this is not a picture\n");
  EXPECT_EQ(expect_format_error([&] { read_image_bounded(text, cv::IMREAD_COLOR); },
                                {text, "not a decodable image"}),
            "");
  const std::string empty = path("empty.jpg");
  write_bytes(empty, "");
  expect_format_error([&] { read_image_bounded(empty, cv::IMREAD_COLOR); },
                      {empty, "not a decodable image", "empty"});
  expect_format_error([&] { read_image_bounded(dir_.string(), cv::IMREAD_COLOR); },
                      {dir_.string(), "folder"});

  // A PNG cut in the middle of its pixel data: the header is fine, decoding fails.
  std::vector<uchar> buf;
  ASSERT_TRUE(cv::imencode(".png", test_pattern(64, 64, CV_8UC3), buf));
  const std::string cut = path("cut.png");
  write_bytes(cut, std::string(buf.begin(), buf.begin() + long(buf.size() / 2)));
  expect_format_error([&] { read_image_bounded(cut, cv::IMREAD_COLOR); },
                      {cut, "not a decodable image"});
  // A JPEG header that ends before its frame header.
  const std::string jpeg = path("header_only.jpg");
  write_bytes(jpeg, std::string("\xFF\xD8\xFF\xE0\x00\x10JFIF\0", 11));
  expect_format_error([&] { read_image_bounded(jpeg, cv::IMREAD_COLOR); },
                      {jpeg, "bad JPEG header", "truncated"});
  // Formats whose size cannot be read first are refused rather than decoded unbounded.
  const std::string jp2 = path("x.jp2");
  write_bytes(jp2, std::string("\0\0\0\x0CjP  \r\n\x87\n", 12));
  expect_format_error([&] { read_image_bounded(jp2, cv::IMREAD_COLOR); },
                      {jp2, "size can be checked before decoding"});
}

TEST_F(ImageRead, UnreadableFileIsAClearError) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads any file";
  const std::string file = path("secret.png");
  write_bytes(file, "x");
  fs::permissions(file, fs::perms::none);
  expect_format_error([&] { read_image_bounded(file, cv::IMREAD_COLOR); },
                      {file, "Permission denied"});
}

}  // namespace
}  // namespace micronet
