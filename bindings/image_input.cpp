#include "bindings/image_input.h"


#include "bindings/array_io.h"
#include "preprocess/grey_image.h"
#include "preprocess/preprocess.h"
#include "formats/tensor.h"

namespace micronet::bindings {

ModelMetadata imagenet_metadata(const std::string& arch, int num_classes) {
  ModelMetadata m;
  m.arch = arch;
  m.num_classes = num_classes;
  m.input_h = m.input_w = 224;
  return m;
}

std::vector<float> preprocess_image(py::handle image, const ModelMetadata& meta) {
  const bool grey = meta.grey();
  GreyPreprocess gp;
  PreprocessOptions rgb;
  if (grey) {
    gp.out_h = meta.input_h, gp.out_w = meta.input_w, gp.mean = meta.mean, gp.std = meta.std;
  } else {
    // As tools/cmd_classify.cpp: the 256 -> 224 recipe scaled to the model's (square) size.
    if (meta.input_h != meta.input_w)
      throw FormatError("ImageNet preprocessing needs a square input size, the model's is " +
                        std::to_string(meta.input_h) + "x" + std::to_string(meta.input_w));
    rgb = imagenet_options_for(meta.input_h);
  }
  if (is_path_like(image)) {
    const std::string path = existing_file(image, "image file");
    py::gil_scoped_release nogil;
    return grey ? preprocess_grey_file(path, gp) : preprocess_image_file(path, rgb);
  }
  const ImageArray a = uint8_image(image, grey);
  py::gil_scoped_release nogil;
  return grey ? preprocess_grey_pixels(a.data(), a.height, a.width, a.channels, gp)
              : preprocess_rgb(a.data(), a.height, a.width, rgb);
}

}  // namespace micronet::bindings
