#include "preprocess/grey_image.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "preprocess/image_read.h"
#include "formats/tensor.h"

namespace micronet {

namespace {
// OpenCV decodes to 8-bit; preprocess_grey_f32 takes [0, 255] floats (as the CLI always did).
std::vector<float> from_grey(const cv::Mat& grey, const GreyPreprocess& p) {
  cv::Mat f;
  grey.convertTo(f, CV_32F);
  std::vector<float> out(size_t(3) * p.out_h * p.out_w);
  preprocess_grey_f32(f.ptr<float>(), f.rows, f.cols, p, false, out.data());
  return out;
}
}  // namespace

std::vector<float> preprocess_grey_file(const std::string& path, const GreyPreprocess& p,
                                        int64_t max_pixels) {
  const cv::Mat grey = read_image_bounded(path, cv::IMREAD_GRAYSCALE, max_pixels);
  return from_grey(grey, p);
}

std::vector<float> preprocess_grey_pixels(const uint8_t* pixels, int height, int width, int channels,
                                          const GreyPreprocess& p) {
  if (height < 1 || width < 1)
    throw FormatError("image must be non-empty, got " + std::to_string(height) + "x" + std::to_string(width));
  if (channels != 1 && channels != 3)
    throw FormatError("a greyscale model takes 1 (grey) or 3 (RGB) channels, got " + std::to_string(channels));
  const cv::Mat in(height, width, channels == 1 ? CV_8UC1 : CV_8UC3, const_cast<uint8_t*>(pixels));
  if (channels == 1) return from_grey(in, p);
  cv::Mat grey;
  cv::cvtColor(in, grey, cv::COLOR_RGB2GRAY);
  return from_grey(grey, p);
}

}  // namespace micronet
