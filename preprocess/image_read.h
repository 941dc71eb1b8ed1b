// Image decoding with a pixel budget checked before any pixel is decoded: a 20000x20000
// PNG is a few hundred KB on disk but 1.2 GB once decoded (a "decompression bomb").
// OpenCV 4.6 has no public header-only reader (cv::ImageDecoder is internal), so the
// dimensions come from a minimal parse of each format's header here.
#pragma once

#include <cstdint>
#include <string>

#include <opencv2/core.hpp>

namespace micronet {

// What an image file's header declares.
struct ImageHeader {
  const char* format;  // "PNG", "JPEG", ...
  int64_t width;
  int64_t height;
};

// Reads the dimensions from the header of the image in `data` (the whole file or a prefix
// of it). Formats: PNG, JPEG, BMP, GIF, WebP, TIFF/BigTIFF, PNM/PAM/PFM, Sun raster,
// Radiance HDR. Anything else, including formats OpenCV decodes but whose size cannot be
// read cheaply (JPEG 2000, OpenEXR, DICOM), throws FormatError naming `path`: without the
// size, decoding it is not bounded.
ImageHeader read_image_header(const uint8_t* data, size_t size, const std::string& path);

// Decodes the image file `path` with cv::imdecode and `imread_flags` (cv::IMREAD_COLOR...).
// Throws FormatError naming `path` when the file is missing ("no such file"), unreadable,
// larger than any image within the budget could be, not a decodable image, or when its
// header's width*height exceeds `max_pixels`; nothing is decoded in those cases. The
// file is read once, so what was checked is what is decoded. OpenCV's own warnings are
// silenced (log level ERROR) unless OPENCV_LOG_LEVEL asks otherwise: the FormatError says it.
cv::Mat read_image_bounded(const std::string& path, int imread_flags,
                           int64_t max_pixels = 64LL << 20);

}  // namespace micronet
