#include "preprocess/preprocess.h"

#include <cmath>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "preprocess/image_read.h"
#include "formats/tensor.h"

namespace micronet {

namespace {
std::vector<float> to_chw(const cv::Mat& rgb, const PreprocessOptions& o) {
  const double scale = double(o.resize_shorter) / std::min(rgb.rows, rgb.cols);
  const int h = std::max(o.crop, int(std::lround(rgb.rows * scale)));
  const int w = std::max(o.crop, int(std::lround(rgb.cols * scale)));
  cv::Mat resized;
  cv::resize(rgb, resized, cv::Size(w, h), 0, 0, cv::INTER_LINEAR);
  const int top = (h - o.crop) / 2, left = (w - o.crop) / 2;
  const cv::Mat crop = resized(cv::Rect(left, top, o.crop, o.crop));
  std::vector<float> out(size_t(3) * o.crop * o.crop);
  for (int y = 0; y < o.crop; ++y) {
    const cv::Vec3b* row = crop.ptr<cv::Vec3b>(y);
    for (int x = 0; x < o.crop; ++x)
      for (int c = 0; c < 3; ++c)
        out[(size_t(c) * o.crop + y) * o.crop + x] = (row[x][c] / 255.f - o.mean[c]) / o.std[c];
  }
  return out;
}
}  // namespace

PreprocessOptions imagenet_options_for(int size) {
  PreprocessOptions o;
  o.crop = size;
  o.resize_shorter = int(std::lround(size * 256.0 / 224.0));
  return o;
}

std::vector<float> preprocess_image_file(const std::string& path, const PreprocessOptions& o,
                                         int64_t max_pixels) {
  const cv::Mat bgr = read_image_bounded(path, cv::IMREAD_COLOR, max_pixels);
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return to_chw(rgb, o);
}

std::vector<float> preprocess_rgb(const uint8_t* rgb, int height, int width,
                                  const PreprocessOptions& o) {
  if (height < 1 || width < 1) throw FormatError("image must be non-empty, got " + std::to_string(height) + "x" + std::to_string(width));
  const cv::Mat m(height, width, CV_8UC3, const_cast<uint8_t*>(rgb));
  return to_chw(m, o);
}

}  // namespace micronet
