// ImageNet preprocessing shared by `micronet classify` and the Python module: decode
// (OpenCV), resize the shorter side to 256 (bilinear), centre-crop 224, BGR -> RGB,
// scale to [0, 1], normalize with the ImageNet mean/std, lay out as CHW float32.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace micronet {

struct PreprocessOptions {
  int resize_shorter = 256;
  int crop = 224;
  float mean[3] = {0.485f, 0.456f, 0.406f};
  float std[3] = {0.229f, 0.224f, 0.225f};
};

// The ImageNet recipe (shorter side 256, crop 224) scaled to a square model input of `size`.
PreprocessOptions imagenet_options_for(int size);

// Throws FormatError naming `path` when it is missing, not a decodable image or more than
// `max_pixels` pixels by its header (preprocess/image_read.h).
std::vector<float> preprocess_image_file(const std::string& path, const PreprocessOptions& o = {},
                                         int64_t max_pixels = int64_t(64) << 20);
// `rgb` is H x W x 3 uint8, row-major, RGB order.
std::vector<float> preprocess_rgb(const uint8_t* rgb, int height, int width,
                                  const PreprocessOptions& o = {});

}  // namespace micronet
