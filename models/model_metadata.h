// What a weights file says about its model in the safetensors `__metadata__` (all values
// are strings), so `micronet run/classify/bench/eval` need nothing but the file:
//
//   arch                 "m0".."m3"
//   num_classes          "10"
//   input_height/width   "64" / "64"          the size the model was trained at
//   class_names          "T-shirt/top,Trouser,..."  comma-separated, num_classes names
//   preprocess           "grey3"              decode as greyscale, replicate to 3 channels;
//                                             absent: ImageNet RGB (shorter side 256, crop 224)
//   resize               "bilinear"           whole image to input size, half-pixel centres
//   mean / std           "0.2860" / "0.3530"  normalization after scaling to [0, 1]
//   config               {"name": "tiny", ...}  a custom network (not M0..M3): its config JSON
//                                             (models/config_json.h); arch is its name.
//                                             Written by convert/train --config.
//
// plus free-form provenance (dataset, seed, epochs, command, test_accuracy, ...).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace micronet {

struct ModelMetadata {
  std::string arch;                      // "" when absent
  int num_classes = -1;                  // -1 when absent
  int input_h = 0, input_w = 0;          // 0 when absent
  std::vector<std::string> class_names;  // empty when absent
  std::string preprocess;                // "" (ImageNet RGB) or "grey3"
  std::string resize;                    // "" or "bilinear"
  float mean = 0.f, std = 0.f;           // grey3 only
  std::map<std::string, std::string> extra;  // every other key, kept as is

  bool grey() const { return preprocess == "grey3"; }

  // Throws FormatError naming `source` for a malformed number, a class_names count that
  // differs from num_classes, or an unknown preprocess/resize value.
  static ModelMetadata from_map(const std::map<std::string, std::string>& m, const std::string& source);
  std::map<std::string, std::string> to_map() const;
};

std::string join_names(const std::vector<std::string>& names);  // comma-separated
std::vector<std::string> split_names(const std::string& s);

}  // namespace micronet
