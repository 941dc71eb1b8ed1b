// Loading a model, written once for the CLI (tools/) and Python (bindings/): what the user
// named (a weights file, a package, an arch) is read once into an explicit value that the
// caller passes on; nothing is remembered between calls.
//
//   ModelFiles files = open_model_files(package_dir, weights);     // read once
//   ModelPlan plan = plan_model_files(files, arch, h, w, classes, kCliArgs);
//   TensorMap w = take_weights(files, plan, seed, &source);         // file's or random
//   auto kernels = kernel_source_for(files, plan, target, compiler, kCliArgs);  // loader/on_demand.h
//
// Errors: FormatError (a file's contents), PackageError (a package folder), and
// LoadArgumentError (std::invalid_argument: the arguments disagree with each other or with
// the files), whose text names the arguments the way the caller's user wrote them (ArgNames).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "formats/tensor.h"
#include "models/config.h"
#include "models/model_metadata.h"
#include "models/plan.h"
#include "runtime/package.h"

namespace micronet {

struct LoadArgumentError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// How the caller's user names the arguments, for messages: "--arch" or "arch".
struct ArgNames {
  const char* arch;
  const char* weights;
  const char* package;
  const char* target;
};
extern const ArgNames kCliArgs;     // --arch, --weights, --package, --target
extern const ArgNames kPythonArgs;  // arch, weights, package, target (micronet_halide.load)

// The one rule for what is a PyTorch checkpoint: the suffix .pth, .pt or .tar, or a zip
// file's magic ("PK\3\4") at the start whatever the name. Anything else is read as
// safetensors.
bool is_torch_checkpoint(const std::string& path);

// The metadata key holding a custom network's config JSON (convert/train --config).
constexpr const char* kConfigMetadataKey = "config";

// What the user named, opened and read once.
struct ModelFiles {
  std::string weights_path;                     // "" = none: random weights
  bool torch_checkpoint = false;                // its tensors are read by take_weights
  TensorMap tensors;                            // a safetensors file's, until take_weights
  ModelMetadata meta;                           // a safetensors file's (a .pth has none)
  std::shared_ptr<const ModelPackage> package;  // null = the build's kernels (or on demand)
  std::optional<ModelConfig> custom_config;     // a custom network's, from the metadata
};

// Opens `package_dir` ("" = none; PackageError) and reads `weights` ("" = the package's
// weights file, else none): a safetensors file whole (FormatError naming it), a .pth only
// noted (its import needs the plan's byte budget). The package's own weights are checked
// against its manifest's SHA-256 as they are read. `expect_package_sha256` ("" = any): the
// SHA-256 of the package's manifest.json the caller trusts (ModelPackage::open).
ModelFiles open_model_files(const std::string& package_dir, const std::string& weights,
                            const std::string& expect_package_sha256 = "");

// The plan to run: the arch is the package's, else `arch` or the metadata's (one of them is
// needed; given both, they must agree); a custom network (an arch that is not built in,
// with its config in the metadata) is planned from that config, kept in files.custom_config.
// Classes: `classes` when > 0, else the metadata's, else the package's, else the config's.
ModelPlan plan_model_files(ModelFiles& files, const std::string& arch, int height, int width, int classes,
                           const ArgNames& names);

// The weights for `plan`: the safetensors file's tensors (moved out of `files`), a .pth
// imported within the plan's byte budget, or random weights (seed) when there is no file;
// `source` names them in messages ("m0.safetensors", "random weights (seed 2021)").
TensorMap take_weights(ModelFiles& files, const ModelPlan& plan, uint64_t seed, std::string* source);

}  // namespace micronet
