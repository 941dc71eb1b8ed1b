#include "preprocess/fashion_mnist.h"

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "formats/idx_reader.h"
#include "formats/tensor.h"

namespace micronet {

std::string default_fashion_mnist_dir() {
  const char* env = std::getenv("MICRONET_FASHION_MNIST_DIR");
  return env && *env ? env : "/usr/share/datasets/fashion-mnist";
}

const std::vector<std::string>& fashion_mnist_classes() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress",
                                                 "Coat",        "Sandal",  "Shirt",    "Sneaker",
                                                 "Bag",         "Ankle boot"};
  return names;
}

namespace {

bool exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

// <dir>/<stem> or <dir>/<stem>.gz, whichever exists.
std::string find_file(const std::string& dir, const std::string& stem) {
  const std::string plain = dir + "/" + stem;
  if (exists(plain)) return plain;
  if (exists(plain + ".gz")) return plain + ".gz";
  throw FormatError(plain + "[.gz]: Fashion-MNIST file not found (install the Debian package "
                    "dataset-fashion-mnist, or set MICRONET_FASHION_MNIST_DIR)");
}

void require_u8(const IdxArray& a, const std::string& path, int ndims, uint32_t magic) {
  if (a.type != IdxType::U8 || int(a.dims.size()) != ndims) {
    char want[16], got[16];
    std::snprintf(want, sizeof want, "0x%08x", magic);
    std::snprintf(got, sizeof got, "0x%08x", unsigned(uint8_t(a.type)) << 8 | unsigned(a.dims.size()));
    throw FormatError(path + ": expected IDX magic " + want + " (unsigned bytes, " +
                      std::to_string(ndims) + " dimensions), got " + got);
  }
}

}  // namespace

ImageDataset load_idx_image_dataset(const std::string& images_path, const std::string& labels_path,
                                    const std::vector<std::string>& class_names) {
  const IdxArray images = read_idx(images_path);
  require_u8(images, images_path, 3, 0x00000803);
  const IdxArray labels = read_idx(labels_path);
  require_u8(labels, labels_path, 1, 0x00000801);
  if (labels.dims[0] != images.dims[0])
    throw FormatError(labels_path + ": " + std::to_string(labels.dims[0]) + " labels for " +
                      std::to_string(images.dims[0]) + " images in " + images_path);
  ImageDataset d;
  d.count = int(images.dims[0]);
  d.height = int(images.dims[1]);
  d.width = int(images.dims[2]);
  d.pixels = images.data;
  d.labels = labels.data;
  d.class_names = class_names;
  for (int i = 0; i < d.count; ++i)
    if (d.labels[i] >= class_names.size())
      throw FormatError(labels_path + ": label " + std::to_string(d.labels[i]) + " of item " +
                        std::to_string(i) + " is not below the " +
                        std::to_string(class_names.size()) + " classes");
  return d;
}

ImageDataset load_fashion_mnist(const std::string& dir, Split split) {
  const std::string prefix = split == Split::Train ? "train" : "t10k";
  const std::string images = find_file(dir, prefix + "-images-idx3-ubyte");
  const std::string labels = find_file(dir, prefix + "-labels-idx1-ubyte");
  ImageDataset d = load_idx_image_dataset(images, labels, fashion_mnist_classes());
  if (d.height != 28 || d.width != 28)
    throw FormatError(images + ": Fashion-MNIST images are 28x28, got " + std::to_string(d.height) +
                      "x" + std::to_string(d.width));
  const int want = split == Split::Train ? 60000 : 10000;
  if (d.count != want)
    throw FormatError(images + ": expected " + std::to_string(want) + " images, got " +
                      std::to_string(d.count));
  return d;
}

namespace {

// Source taps of a half-pixel-centre bilinear resize along one axis.
struct Taps {
  std::vector<int> i0, i1;
  std::vector<float> w1;  // weight of i1; i0 gets 1 - w1
};

Taps taps(int in, int out) {
  Taps t;
  const double scale = double(in) / out;
  for (int o = 0; o < out; ++o) {
    double src = (o + 0.5) * scale - 0.5;
    if (src < 0) src = 0;
    int i0 = std::min(int(std::floor(src)), in - 1);
    t.i0.push_back(i0);
    t.i1.push_back(std::min(i0 + 1, in - 1));
    t.w1.push_back(float(src - i0));
  }
  return t;
}

template <typename T>
void preprocess(const T* grey, int h, int w, const GreyPreprocess& p, bool flip, float* out) {
  if (h < 1 || w < 1 || p.out_h < 1 || p.out_w < 1 || !(p.std > 0))
    throw FormatError("preprocess_grey: bad sizes or std (image " + std::to_string(h) + "x" +
                      std::to_string(w) + ")");
  const Taps ty = taps(h, p.out_h), tx = taps(w, p.out_w);
  const size_t plane = size_t(p.out_h) * p.out_w;
  const float scale = 1.f / (255.f * p.std), shift = p.mean / p.std;
  for (int y = 0; y < p.out_h; ++y) {
    const T* r0 = grey + size_t(ty.i0[y]) * w;
    const T* r1 = grey + size_t(ty.i1[y]) * w;
    const float wy = ty.w1[y];
    for (int x = 0; x < p.out_w; ++x) {
      const int sx = flip ? p.out_w - 1 - x : x;
      const int a = tx.i0[sx], b = tx.i1[sx];
      const float wx = tx.w1[sx];
      const float top = float(r0[a]) + (float(r0[b]) - float(r0[a])) * wx;
      const float bot = float(r1[a]) + (float(r1[b]) - float(r1[a])) * wx;
      const float v = (top + (bot - top) * wy) * scale - shift;
      const size_t o = size_t(y) * p.out_w + x;
      out[o] = out[plane + o] = out[2 * plane + o] = v;
    }
  }
}

}  // namespace

void preprocess_grey(const uint8_t* grey, int height, int width, const GreyPreprocess& p, bool flip,
                     float* out) {
  preprocess(grey, height, width, p, flip, out);
}

void preprocess_grey_f32(const float* grey, int height, int width, const GreyPreprocess& p,
                         bool flip, float* out) {
  preprocess(grey, height, width, p, flip, out);
}

}  // namespace micronet
