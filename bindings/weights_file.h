// Reading the weights file of micronet_halide.load(): its tensors and the model its metadata
// describes (models/model_metadata.h), with the arch resolved the way `micronet classify`
// resolves --arch against the file (tools/weights_loading.cpp: plan_for_weights). No Python
// here: std::invalid_argument becomes ValueError, FormatError RuntimeError.
#pragma once

#include <string>

#include "models/model_metadata.h"
#include "runtime/tensor.h"

namespace micronet::bindings {

struct WeightsFile {
  TensorMap tensors;
  ModelMetadata meta;  // empty for a .pth checkpoint (it carries no metadata)
};

// A PyTorch zip checkpoint (by name or by its "PK\3\4" magic), else safetensors.
bool is_torch_checkpoint(const std::string& path);

// Throws FormatError naming `path` for a corrupt file or malformed metadata.
WeightsFile read_weights_file(const std::string& path);

// The arch to build: `arch` ("" = not given) or the metadata's. std::invalid_argument naming
// `path` and both archs when they disagree, or when neither names one; FormatError when the
// metadata names an arch this build does not know.
std::string resolve_arch(const std::string& arch, const ModelMetadata& meta, const std::string& path);

}  // namespace micronet::bindings
