// The `micronet` subcommands. Each returns the process exit code; errors are thrown
// (UsageError -> exit 2, any other std::exception -> exit 1) and printed by main.
#pragma once

#include <string>

#include "models/plan.h"
#include "runtime/tensor.h"

namespace micronet::cli {

int cmd_info(int argc, char** argv);
int cmd_convert(int argc, char** argv);
int cmd_run(int argc, char** argv);
int cmd_bench(int argc, char** argv);
int cmd_classify(int argc, char** argv);
int cmd_kernels(int argc, char** argv);

// Weights for `plan`: a .safetensors file (or an official .pth, imported on the fly), or
// random weights with a warning when `path` is empty. `source` names them in messages.
TensorMap load_weights_or_random(const std::string& path, const ModelPlan& plan,
                                 std::string* source);

}  // namespace micronet::cli
