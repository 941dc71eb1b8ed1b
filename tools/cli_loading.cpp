// The CLI's side of the model loader (loader/model_loader.h): the same loading as Python,
// with the CLI's flag names in messages and its exit codes (an argument conflict is a usage
// error, exit 2; a refused package is a run error naming --package).
#include <iostream>

#include "loader/model_loader.h"
#include "runtime/halide_model.h"
#include "tools/commands.h"
#include "tools/usage_error.h"

namespace micronet::cli {

std::string& expected_package_sha256() {
  static std::string sha;
  return sha;
}

ModelFiles open_files(const std::string& package, const std::string& weights) {
  if (package.empty() && !expected_package_sha256().empty())
    throw UsageError("--expect-sha256 checks a --package; none was given");
  try {
    return open_model_files(package, weights, expected_package_sha256());
  } catch (const PackageError& e) {
    throw RunError(std::string("--package: ") + e.what());
  }
}

ModelPlan plan_files(ModelFiles& files, const std::string& arch, int h, int w, int classes) {
  try {
    return plan_model_files(files, arch, h, w, classes, kCliArgs);
  } catch (const LoadArgumentError& e) {
    throw UsageError(e.what());
  }
}

TensorMap take_cli_weights(ModelFiles& files, const ModelPlan& plan, std::string* source) {
  constexpr uint64_t kSeed = 2021;
  if (files.weights_path.empty())
    std::cerr << "warning: no --weights given: using RANDOM weights (seed " << kSeed << "); outputs are meaningless\n";
  return take_weights(files, plan, kSeed, source);
}

}  // namespace micronet::cli
