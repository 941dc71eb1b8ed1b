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
//
// Trust (docs/compile.md, "Trust model of packages"): a package is code, and loading one runs
// it (dlopen runs the library's initializers). The SHA-256 in the manifest catches accidents
// (a truncated copy, a stale library), not attackers: whoever can write the folder can write
// a matching manifest. A caller that knows which package it trusts passes the SHA-256 of its
// manifest.json (`--expect-sha256`, `load(expect_sha256=)`), which pins the library's and
// the weights' digests in turn. What open() guarantees besides: it verifies and loads the
// same bytes (the library is read once, hashed, validated as ELF, then loaded from a sealed
// private copy, so swapping the file afterwards changes nothing); every file it reads is a
// regular file within its size bound (no FIFO, device or symbolic link); the weights are the
// package's own file, hashed when read; a refused package leaves nothing loaded.
#pragma once

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "formats/tensor.h"
#include "models/config.h"
#include "runtime/kernel_source.h"
#include "runtime/package_manifest.h"  // kPackage*, PackageError

namespace micronet {


// The version packages are compatible with (the project version of this runtime).
const char* package_runtime_version();

class ModelPackage : public KernelSource {
 public:
  // Throws PackageError (see above). Thread-safe; packages may be opened concurrently and
  // several stay open at once (each library is dlopen'ed RTLD_LOCAL).
  // `expect_manifest_sha256` ("" = any): the SHA-256 (hex) of the manifest.json the caller
  // trusts; another manifest is refused before anything else of the package is read.
  static std::shared_ptr<const ModelPackage> open(const std::string& dir,
                                                  const std::string& expect_manifest_sha256 = "");
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
  // The package's weights, read once and checked against the manifest's size and SHA-256
  // before they are parsed (PackageError naming the file otherwise); metadata as
  // read_safetensors gives it. An error when the package has no weights.
  TensorMap read_weights(std::map<std::string, std::string>* metadata = nullptr) const;
  const std::vector<std::string>& kernel_names() const { return kernel_names_; }

 private:
  ModelPackage() = default;
  std::string dir_, halide_target_, device_api_, weights_, weights_sha256_;
  int64_t weights_bytes_ = 0;
  ModelConfig config_;
  int input_h_ = 224, input_w_ = 224, classes_ = 1000;
  std::vector<std::string> kernel_names_;
  std::map<std::string, KernelEntry> entries_;
  void* handle_ = nullptr;
};

}  // namespace micronet
