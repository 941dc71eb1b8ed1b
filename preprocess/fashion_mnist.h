// Fashion-MNIST (Zalando; Debian package `dataset-fashion-mnist`): 60,000 training and
// 10,000 test greyscale 28x28 images of 10 clothing classes, as IDX files, and the
// preprocessing that turns one into a MicroNet input. No LibTorch: the trainer, the
// `micronet eval/classify` commands and the tests share this code.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace micronet {

// Greyscale images with one label each.
struct ImageDataset {
  int count = 0, height = 0, width = 0;
  std::vector<uint8_t> pixels;  // count x height x width, row-major, 0 = black
  std::vector<uint8_t> labels;  // count, each < class_names.size()
  std::vector<std::string> class_names;
  const uint8_t* image(int i) const { return pixels.data() + size_t(i) * height * width; }
};

enum class Split { Train, Test };

// $MICRONET_FASHION_MNIST_DIR when set, else /usr/share/datasets/fashion-mnist.
std::string default_fashion_mnist_dir();
// "T-shirt/top", "Trouser", ..., "Ankle boot" (label order of the dataset).
const std::vector<std::string>& fashion_mnist_classes();

// Reads {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz] from `dir`. Throws FormatError
// naming the file for a missing file (and the package that provides it), a wrong magic
// (images 0x00000803, labels 0x00000801), images that are not N x 28 x 28, a label count
// that differs from the image count, or a label >= 10.
ImageDataset load_fashion_mnist(const std::string& dir, Split split);
// Builds the dataset from an images IDX file and a labels IDX file (any u8 N x H x W /
// N), checking they agree and every label is < class_names.size().
ImageDataset load_idx_image_dataset(const std::string& images_path, const std::string& labels_path,
                                    const std::vector<std::string>& class_names);

// How a greyscale image becomes a MicroNet input: bilinear resize of the whole image to
// out_h x out_w (half-pixel centres, as PyTorch's interpolate with align_corners=False;
// no antialiasing), scale to [0, 1], normalize (v - mean) / std, and replicate the grey
// plane to the 3 input channels. mean/std: Fashion-MNIST's training-set pixel statistics.
struct GreyPreprocess {
  int out_h = 64, out_w = 64;
  float mean = 0.2860f, std = 0.3530f;
};

// Writes 3 x out_h x out_w floats to `out`; `flip` mirrors the image left-right.
void preprocess_grey(const uint8_t* grey, int height, int width, const GreyPreprocess& p,
                     bool flip, float* out);
// A float variant for images already decoded to [0, 255] floats (e.g. by OpenCV).
void preprocess_grey_f32(const float* grey, int height, int width, const GreyPreprocess& p,
                         bool flip, float* out);

}  // namespace micronet
