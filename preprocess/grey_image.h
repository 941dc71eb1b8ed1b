// Metadata preprocess "grey3" (models/model_metadata.h) of an image file or an in-memory
// image: decode as greyscale, then preprocess_grey_f32() (preprocess/fashion_mnist.h:
// bilinear resize of the whole image to out_h x out_w, scale to [0, 1], (v - mean) / std,
// grey replicated to 3 channels). One definition for `micronet classify` and the Python
// module, so both feed a greyscale model the same numbers.
// Part of micronet_preprocess; needs micronet_datasets (preprocess_grey_f32) at link time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "preprocess/fashion_mnist.h"

namespace micronet {

// 3 x p.out_h x p.out_w floats, CHW. The file is decoded by OpenCV as greyscale (its own
// RGB -> grey conversion for colour files) through read_image_bounded (preprocess/image_read.h):
// FormatError naming `path` for a missing, undecodable or too large (over `max_pixels`) image.
std::vector<float> preprocess_grey_file(const std::string& path, const GreyPreprocess& p,
                                        int64_t max_pixels = 64LL << 20);

// The same for an image in memory: `channels` 1 (grey) or 3 (RGB, converted with OpenCV's
// RGB -> grey weights 0.299 R + 0.587 G + 0.114 B), height x width x channels uint8,
// row-major. FormatError for an empty image or another channel count.
std::vector<float> preprocess_grey_pixels(const uint8_t* pixels, int height, int width, int channels,
                                          const GreyPreprocess& p);

}  // namespace micronet
