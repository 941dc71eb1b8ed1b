// IDX reader (plain and gzip, good and corrupt files), Fashion-MNIST loading, the greyscale
// preprocessing, and the model metadata of weights files. IDX files are generated here.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "preprocess/fashion_mnist.h"
#include "formats/idx_reader.h"
#include "models/model_metadata.h"
#include "formats/tensor.h"

namespace micronet {
namespace {

namespace fs = std::filesystem;

class Scratch {
 public:
  Scratch() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() /
            ("micronet_ds_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string operator/(const std::string& n) const { return (path_ / n).string(); }

 private:
  fs::path path_;
};

std::vector<uint8_t> idx_bytes(uint8_t type, const std::vector<uint32_t>& dims, const std::vector<uint8_t>& data) {
  std::vector<uint8_t> b = {0, 0, type, uint8_t(dims.size())};
  for (uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8) b.push_back(uint8_t(d >> s));
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

void write_plain(const std::string& path, const std::vector<uint8_t>& b) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
}

void write_gz(const std::string& path, const std::vector<uint8_t>& b) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, b.data(), unsigned(b.size())), int(b.size()));
  gzclose(f);
}

std::vector<uint8_t> ramp(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = uint8_t(i * 7);
  return v;
}

// The message of the FormatError that `f` throws ("" when it throws none).
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const FormatError& e) {
    return e.what();
  }
  return "";
}

#define EXPECT_ERROR_MENTIONS(stmt, ...)                                     \
  do {                                                                       \
    const std::string msg_ = error_of([&] { stmt; });                        \
    EXPECT_FALSE(msg_.empty()) << #stmt " threw no FormatError";            \
    for (const char* want_ : {__VA_ARGS__})                                  \
      EXPECT_NE(msg_.find(want_), std::string::npos) << msg_ << "\nlacks: " << want_; \
  } while (0)

// ---- IDX reader ------------------------------------------------------------------------

TEST(IdxReader, ReadsPlainAndGzippedImages) {
  Scratch dir;
  const std::vector<uint8_t> data = ramp(3 * 4 * 5);
  write_plain(dir / "a.idx", idx_bytes(0x08, {3, 4, 5}, data));
  write_gz(dir / "a.idx.gz", idx_bytes(0x08, {3, 4, 5}, data));
  for (const char* name : {"a.idx", "a.idx.gz"}) {
    const IdxArray a = read_idx(dir / name);
    EXPECT_EQ(a.type, IdxType::U8);
    EXPECT_EQ(a.dims, (std::vector<int64_t>{3, 4, 5})) << name;
    EXPECT_EQ(a.data, data) << name;
    EXPECT_EQ(a.numel(), 60);
  }
}

TEST(IdxReader, ReadsOtherElementTypesAsRawBytes) {
  const IdxArray a = parse_idx(idx_bytes(0x0C, {2}, {0, 0, 1, 2, 0, 0, 0, 3}), "ints");
  EXPECT_EQ(a.type, IdxType::I32);
  EXPECT_EQ(a.dims, (std::vector<int64_t>{2}));
  EXPECT_EQ(a.data.size(), 8u);
}

TEST(IdxReader, RejectsBadMagic) {
  std::vector<uint8_t> b = idx_bytes(0x08, {2}, {1, 2});
  b[0] = 0x1f;
  EXPECT_ERROR_MENTIONS(parse_idx(b, "f.idx"), "f.idx", "magic");
  b = idx_bytes(0x07, {2}, {1, 2});
  EXPECT_ERROR_MENTIONS(parse_idx(b, "f.idx"), "f.idx", "type code 7");
  EXPECT_ERROR_MENTIONS(parse_idx({0, 0}, "tiny.idx"), "tiny.idx", "4-byte magic");
  EXPECT_ERROR_MENTIONS(parse_idx({0, 0, 8, 0}, "nodims.idx"), "0 dimensions");
}

TEST(IdxReader, RejectsTruncatedHeaderAndData) {
  std::vector<uint8_t> b = idx_bytes(0x08, {2, 3}, ramp(6));
  EXPECT_ERROR_MENTIONS(parse_idx(std::vector<uint8_t>(b.begin(), b.begin() + 9), "h.idx"), "h.idx", "header");
  EXPECT_ERROR_MENTIONS(parse_idx(std::vector<uint8_t>(b.begin(), b.end() - 1), "d.idx"), "d.idx", "2x3",
                        "need 6 data bytes, file has 5", "truncated");
  b.push_back(0);
  EXPECT_ERROR_MENTIONS(parse_idx(b, "t.idx"), "trailing");
  EXPECT_ERROR_MENTIONS(parse_idx(idx_bytes(0x08, {2, 0}, {}), "z.idx"), "dimension 1 is 0");
}

TEST(IdxReader, RejectsMissingFileAndCorruptGzip) {
  Scratch dir;
  EXPECT_ERROR_MENTIONS(read_idx(dir / "nope.idx.gz"), "nope.idx.gz", "cannot open");
  write_gz(dir / "full.gz", idx_bytes(0x08, {1000}, ramp(1000)));
  std::ifstream in(dir / "full.gz", std::ios::binary);
  std::vector<char> gz((std::istreambuf_iterator<char>(in)), {});
  std::ofstream(dir / "cut.gz", std::ios::binary).write(gz.data(), std::streamsize(gz.size() / 2));
  EXPECT_ERROR_MENTIONS(read_idx(dir / "cut.gz"), "cut.gz");
}

// ---- datasets --------------------------------------------------------------------------

TEST(ImageDataset, LoadsImagesWithLabels) {
  Scratch dir;
  write_gz(dir / "img.gz", idx_bytes(0x08, {2, 3, 4}, ramp(24)));
  write_plain(dir / "lab", idx_bytes(0x08, {2}, {1, 0}));
  const ImageDataset d = load_idx_image_dataset(dir / "img.gz", dir / "lab", {"a", "b"});
  EXPECT_EQ(d.count, 2);
  EXPECT_EQ(d.height, 3);
  EXPECT_EQ(d.width, 4);
  EXPECT_EQ(d.image(1)[0], ramp(24)[12]);
  EXPECT_EQ(d.labels, (std::vector<uint8_t>{1, 0}));
}

TEST(ImageDataset, RejectsMismatchedOrBadFiles) {
  Scratch dir;
  write_plain(dir / "img", idx_bytes(0x08, {2, 3, 4}, ramp(24)));
  write_plain(dir / "lab3", idx_bytes(0x08, {3}, {0, 1, 0}));
  EXPECT_ERROR_MENTIONS(load_idx_image_dataset(dir / "img", dir / "lab3", {"a", "b"}), "lab3", "3 labels for 2 images");
  write_plain(dir / "labbig", idx_bytes(0x08, {2}, {0, 5}));
  EXPECT_ERROR_MENTIONS(load_idx_image_dataset(dir / "img", dir / "labbig", {"a", "b"}), "labbig", "label 5");
  // Labels where images belong: a 1-D file is not an image file.
  EXPECT_ERROR_MENTIONS(load_idx_image_dataset(dir / "labbig", dir / "labbig", {"a", "b"}), "labbig",
                        "expected IDX magic 0x00000803", "got 0x00000801");
  write_plain(dir / "img32", idx_bytes(0x0D, {1, 1, 1}, {0, 0, 0, 0}));
  EXPECT_ERROR_MENTIONS(load_idx_image_dataset(dir / "img32", dir / "lab3", {"a"}), "img32", "0x00000803");
}

TEST(FashionMnist, MissingFolderNamesFileAndPackage) {
  Scratch dir;
  EXPECT_ERROR_MENTIONS(load_fashion_mnist(dir / "none", Split::Test), "t10k-images-idx3-ubyte",
                        "dataset-fashion-mnist");
}

TEST(FashionMnist, RejectsWrongImageSize) {
  Scratch dir;
  write_gz(dir / "t10k-images-idx3-ubyte.gz", idx_bytes(0x08, {1, 2, 2}, ramp(4)));
  write_gz(dir / "t10k-labels-idx1-ubyte.gz", idx_bytes(0x08, {1}, {3}));
  EXPECT_ERROR_MENTIONS(load_fashion_mnist(dir / "", Split::Test), "28x28");
}

// The real dataset (installed by scripts/install_deps.sh).
TEST(FashionMnist, RealTestSetIsBalanced) {
  const ImageDataset d = load_fashion_mnist(default_fashion_mnist_dir(), Split::Test);
  EXPECT_EQ(d.count, 10000);
  EXPECT_EQ(d.height, 28);
  std::vector<int> per(10, 0);
  for (uint8_t l : d.labels) per[l]++;
  for (int c = 0; c < 10; ++c) EXPECT_EQ(per[c], 1000) << d.class_names[c];
  EXPECT_EQ(d.labels[0], 9);  // the first test image is an ankle boot
  EXPECT_EQ(d.class_names[9], "Ankle boot");
}

// ---- preprocessing ---------------------------------------------------------------------

TEST(GreyPreprocess, ConstantImageStaysConstantOnAllChannels) {
  const std::vector<uint8_t> img(28 * 28, 200);
  GreyPreprocess p;
  std::vector<float> out(3 * 64 * 64);
  preprocess_grey(img.data(), 28, 28, p, false, out.data());
  const float want = (200.f / 255.f - p.mean) / p.std;
  for (float v : out) ASSERT_NEAR(v, want, 1e-5f);
}

// Half-pixel-centre bilinear (PyTorch interpolate, align_corners=False): upscaling
// [0, 255] by 2 gives [0, 63.75, 191.25, 255] per row.
TEST(GreyPreprocess, MatchesHalfPixelBilinear) {
  const uint8_t img[2] = {0, 255};
  GreyPreprocess p;
  p.out_h = 1, p.out_w = 4, p.mean = 0.f, p.std = 1.f / 255.f;  // output in pixel units
  std::vector<float> out(3 * 4);
  preprocess_grey(img, 1, 2, p, false, out.data());
  const float want[4] = {0.f, 63.75f, 191.25f, 255.f};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(out[i], want[i], 1e-3f) << i;
  for (int i = 0; i < 4; ++i) EXPECT_EQ(out[4 + i], out[i]) << "grey replicated to channel 1";
  std::vector<float> f(3 * 4);
  const float imgf[2] = {0.f, 255.f};
  preprocess_grey_f32(imgf, 1, 2, p, false, f.data());
  EXPECT_EQ(f, out) << "float input agrees with uint8 input";
  preprocess_grey(img, 1, 2, p, true, out.data());
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(out[i], want[3 - i], 1e-3f) << "flipped " << i;
}

// ---- metadata --------------------------------------------------------------------------

TEST(ModelMetadata, RoundTripsAndKeepsExtras) {
  ModelMetadata m;
  m.arch = "m0", m.num_classes = 3, m.input_h = 64, m.input_w = 48;
  m.class_names = {"T-shirt/top", "b", "c"};
  m.preprocess = "grey3", m.resize = "bilinear", m.mean = 0.286f, m.std = 0.353f;
  m.extra["seed"] = "0";
  const ModelMetadata r = ModelMetadata::from_map(m.to_map(), "x");
  EXPECT_EQ(r.arch, "m0");
  EXPECT_EQ(r.num_classes, 3);
  EXPECT_EQ(r.input_h, 64);
  EXPECT_EQ(r.input_w, 48);
  EXPECT_EQ(r.class_names, m.class_names);
  EXPECT_TRUE(r.grey());
  EXPECT_NEAR(r.mean, 0.286f, 1e-6f);
  EXPECT_EQ(r.extra.at("seed"), "0");
  // A converted official checkpoint's metadata: no preprocessing, 1000 classes.
  const ModelMetadata c = ModelMetadata::from_map({{"arch", "m1"}, {"num_classes", "1000"}, {"source", "a.pth"}}, "c");
  EXPECT_FALSE(c.grey());
  EXPECT_EQ(c.num_classes, 1000);
  EXPECT_EQ(c.input_h, 0);
}

TEST(ModelMetadata, RejectsMalformedValues) {
  EXPECT_ERROR_MENTIONS(ModelMetadata::from_map({{"num_classes", "ten"}}, "w.st"), "w.st", "num_classes", "ten");
  EXPECT_ERROR_MENTIONS(ModelMetadata::from_map({{"input_height", "64"}}, "w.st"), "input_width");
  EXPECT_ERROR_MENTIONS(ModelMetadata::from_map({{"num_classes", "3"}, {"class_names", "a,b"}}, "w.st"),
                        "2 names", "num_classes 3");
  EXPECT_ERROR_MENTIONS(ModelMetadata::from_map({{"preprocess", "cmyk"}}, "w.st"), "cmyk");
  EXPECT_ERROR_MENTIONS(ModelMetadata::from_map({{"preprocess", "grey3"}, {"std", "0"}}, "w.st"), "std");
}

}  // namespace
}  // namespace micronet
