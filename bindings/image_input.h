// The input a model's classify()/preprocess() feed it: the preprocessing its weights file's
// metadata names (models/model_metadata.h), exactly as `micronet classify` applies it:
//   "grey3":  decode as greyscale, bilinear resize of the whole image to the input size,
//             (v / 255 - mean) / std from the metadata, grey replicated to 3 channels
//             (preprocess/grey_image.h);
//   absent:   ImageNet RGB: shorter side to round(H * 256 / 224), centre crop H x H,
//             ImageNet mean/std (preprocess/preprocess.h); 256 -> 224 at the usual size.
#pragma once

#include <pybind11/pybind11.h>

#include <vector>

#include "models/model_metadata.h"

namespace micronet::bindings {

namespace py = pybind11;

// The metadata of a model that has none (a .pth checkpoint, random weights): ImageNet RGB at
// 224 x 224.
ModelMetadata imagenet_metadata(const std::string& arch, int num_classes);

// image: a path (str / bytes / os.PathLike) or a uint8 array (H x W x 3 RGB; a grey model
// also takes H x W grey). `meta` must have its input size set. Returns 3 x H x W float32, CHW,
// H x W = meta's input size. Runs the decoding and resizing without the GIL.
std::vector<float> preprocess_image(py::handle image, const ModelMetadata& meta);

}  // namespace micronet::bindings
