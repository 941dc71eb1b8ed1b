// The official state_dict layout (keys, shapes, dtypes, in the official order) of a
// planned model, derived from the plan alone so the runtime can validate weights
// without LibTorch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/plan.h"
#include "formats/tensor.h"

namespace micronet {

struct ParamSpec {
  std::string key;
  std::vector<int64_t> shape;   // empty = scalar
  DType dtype = DType::F32;     // num_batches_tracked is I64
  bool learnable = true;        // false for BatchNorm running statistics
};

std::vector<ParamSpec> state_dict_layout(const ModelPlan& plan);

// Strict check of `weights` against the layout: every key present, none unexpected,
// shapes and dtypes equal, every float value finite and every BatchNorm running variance
// >= 0 (validate_values). Throws FormatError naming `source`, the key and both shapes (or
// the offending value and its index).
void validate_state_dict(const TensorMap& weights, const std::vector<ParamSpec>& layout,
                         const std::string& source);

// The value checks of validate_state_dict for one float32 tensor named `key`.
void validate_values(const Tensor& t, const std::string& key, const std::string& source);

}  // namespace micronet
