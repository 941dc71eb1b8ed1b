// The `micronet` subcommands. Each returns the process exit code; errors are thrown
// (UsageError -> exit 2, any other std::exception -> exit 1) and printed by main. Flags are
// parsed and range-checked by tools/cli_app.cpp before a command starts.
#pragma once

#include <string>

#include "models/model_metadata.h"
#include "models/plan.h"
#include "runtime/tensor.h"
#include "tools/cli_options.h"

namespace micronet::cli {

// Runs args.command: tools/dispatch_full.cpp (everything linked) or tools/dispatch_lean.cpp.
int run_command(const CliArgs& args, int argc, char** argv);

int cmd_info(const InfoArgs& a);
int cmd_convert(const ConvertArgs& a);
int cmd_run(const RunArgs& a);
int cmd_bench(const BenchArgs& a);
int cmd_classify(const ClassifyArgs& a);
int cmd_kernels();
int cmd_targets();
int cmd_train(const TrainArgs& a, int argc, char** argv);  // argv: recorded in the metadata
int cmd_eval(const EvalArgs& a);
int cmd_cases(const CasesArgs& a);
int cmd_check(const CheckArgs& a);

// Weights for `plan`: a .safetensors file (or an official .pth, imported on the fly), or
// random weights with a warning when `path` is empty. `source` names them in messages.
TensorMap load_weights_or_random(const std::string& path, const ModelPlan& plan,
                                 std::string* source);

// The model description in a .safetensors file's __metadata__ (models/model_metadata.h);
// empty for "" (random weights) and for .pth checkpoints.
ModelMetadata read_weights_metadata(const std::string& path);
// The plan a command runs for weights `path` with metadata `meta`: the arch is `arch_flag`
// or the metadata's (required from one of them; when both are given they must agree, else
// a FormatError naming the file); the classes are `classes_flag` when > 0, else the
// metadata's num_classes, else the config's 1000. `h` x `w` is the input size. A custom
// network (convert/train --config) is planned from the config in the file's metadata.
ModelPlan plan_for_weights(const std::string& arch_flag, const ModelMetadata& meta,
                           const std::string& path, int h, int w, int classes_flag = -1);

// The metadata key holding a custom network's config JSON (models/model_metadata.h).
constexpr const char* kConfigMetadataKey = "config";

}  // namespace micronet::cli
