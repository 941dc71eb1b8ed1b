// The `micronet` subcommands. Each returns the process exit code; errors are thrown
// (UsageError -> exit 2, any other std::exception -> exit 1) and printed by main. Flags are
// parsed and range-checked by tools/cli_app.cpp before a command starts.
#pragma once

#include <string>

#include "loader/model_loader.h"
#include "models/model_metadata.h"
#include "models/plan.h"
#include "formats/tensor.h"
#include "tools/cli_options.h"

namespace micronet::cli {

// Runs args.command: tools/dispatch_full.cpp (everything linked) or tools/dispatch_lean.cpp.
int run_command(const CliArgs& args, int argc, char** argv);

int cmd_info(const InfoArgs& a);
int cmd_convert(const ConvertArgs& a);
int cmd_run(const RunArgs& a);
int cmd_bench(const BenchArgs& a);
int cmd_classify(const ClassifyArgs& a);
int cmd_kernels(const KernelsArgs& a);
int cmd_targets();
int cmd_train(const TrainArgs& a, int argc, char** argv);  // argv: recorded in the metadata
int cmd_eval(const EvalArgs& a);
int cmd_cases(const CasesArgs& a);
int cmd_check(const CheckArgs& a);

// The model a command runs, loaded as Python loads it (loader/model_loader.h): --package and
// --weights opened once (a refused package: RunError naming --package), the plan (an
// argument conflict: UsageError), then the weights (random, with a warning, when none).
ModelFiles open_files(const std::string& package, const std::string& weights);
ModelPlan plan_files(ModelFiles& files, const std::string& arch, int h, int w, int classes = -1);
TensorMap take_cli_weights(ModelFiles& files, const ModelPlan& plan, std::string* source);

}  // namespace micronet::cli
