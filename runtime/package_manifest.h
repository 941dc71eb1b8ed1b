// A package's manifest.json, read and checked without touching any other file (no Halide,
// no dlopen: tests/fuzz/fuzz_manifest.cpp runs it on hostile bytes). ModelPackage::open
// (runtime/package.h) reads the manifest once, then checks the library and weights against
// what this returns.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/config.h"

namespace micronet {

constexpr const char* kPackageFormat = "micronet-package-1";
constexpr const char* kPackageLibrary = "kernels.so";
constexpr const char* kPackageManifest = "manifest.json";
constexpr const char* kPackageWeights = "weights.safetensors";

struct PackageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Bounds on what a manifest may declare (docs/limits.md).
constexpr uint64_t kMaxManifestBytes = uint64_t(1) << 20;
constexpr uint64_t kMaxLibraryBytes = uint64_t(1) << 30;
constexpr size_t kMaxPackageKernels = 4096;

struct PackageManifest {
  std::string format, project_version, halide_target, device_api;
  ModelConfig config;
  int input_h = 0, input_w = 0, classes = 0;
  std::vector<std::string> kernels;
  std::string library_sha256;
  int64_t library_bytes = 0;
  bool has_weights = false;    // "weights": "weights.safetensors" (the only name allowed)
  std::string weights_sha256;  // with weights: required
  int64_t weights_bytes = 0;
};

// Parses and checks `text` (the bytes of `manifest_path`, which names it in messages):
// format, then project version against `runtime_version`, then the Halide target against
// this machine, then every field's type and bounds. Throws PackageError naming the file
// and the field. A value out of bounds is refused, never clamped or wrapped.
PackageManifest parse_package_manifest(const std::string& text, const std::string& manifest_path,
                                       const std::string& runtime_version);

}  // namespace micronet
