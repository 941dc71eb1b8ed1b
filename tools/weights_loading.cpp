#include <iostream>

#include "models/checkpoint/checkpoint_import.h"
#include "models/random_weights.h"
#include "runtime/safetensors.h"
#include "tools/commands.h"

namespace micronet::cli {

namespace {
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

TensorMap load_weights_or_random(const std::string& path, const ModelPlan& plan,
                                 std::string* source) {
  if (path.empty()) {
    constexpr uint64_t kSeed = 2021;
    std::cerr << "warning: no --weights given: using RANDOM weights (seed " << kSeed
              << "); outputs are meaningless\n";
    *source = "random weights";
    return random_weights(plan, kSeed);
  }
  *source = path;
  if (ends_with(path, ".pth") || ends_with(path, ".pt") || ends_with(path, ".tar"))
    return load_torch_checkpoint(path);
  return read_safetensors(path);
}

}  // namespace micronet::cli
