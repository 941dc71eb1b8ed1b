// Model packages (`micronet compile`): a folder with
//   manifest.json   config, kernels, Halide target, tuning records used, project version
//   kernels.so      every kernel of the network (compiled without a Halide runtime) and an
//                   entry table (micronet_package_entries) + identity strings
//   weights.safetensors   optional
// opened with dlopen. One Halide runtime per process: the loading program links the build's
// runtime whole and exports it; packages carry none.
//
// open() refuses, naming what differs: another package format or project version, a Halide
// target for another architecture or for CPU features this machine lacks, a library whose
// size or SHA-256 is not the manifest's (truncated, edited), and a manifest whose target,
// version, config or kernel list is not what the library was compiled with (edited).
#pragma once

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/config.h"
#include "runtime/kernel_source.h"

namespace micronet {

constexpr const char* kPackageFormat = "micronet-package-1";
constexpr const char* kPackageLibrary = "kernels.so";
constexpr const char* kPackageManifest = "manifest.json";
constexpr const char* kPackageWeights = "weights.safetensors";

struct PackageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The version packages are compatible with (the project version of this runtime).
const char* package_runtime_version();

class ModelPackage : public KernelSource {
 public:
  // Throws PackageError (see above). Thread-safe; packages may be opened concurrently and
  // several stay open at once (each library is dlopen'ed RTLD_LOCAL).
  static std::shared_ptr<const ModelPackage> open(const std::string& dir);
  ~ModelPackage() override;

  const KernelEntry* find(const std::string& name) const override;
  std::string describe() const override;

  const std::string& dir() const { return dir_; }
  const ModelConfig& config() const { return config_; }
  int input_h() const { return input_h_; }
  int input_w() const { return input_w_; }
  int num_classes() const { return classes_; }
  const std::string& halide_target() const { return halide_target_; }
  const std::string& device_api() const { return device_api_; }  // "host" | "opencl" | "cuda"
  // DIR/weights.safetensors when the package has weights, else "".
  const std::string& weights_path() const { return weights_; }
  const std::vector<std::string>& kernel_names() const { return kernel_names_; }

 private:
  ModelPackage() = default;
  std::string dir_, halide_target_, device_api_, weights_;
  ModelConfig config_;
  int input_h_ = 224, input_w_ = 224, classes_ = 1000;
  std::vector<std::string> kernel_names_;
  std::map<std::string, KernelEntry> entries_;
  void* handle_ = nullptr;
};

}  // namespace micronet
