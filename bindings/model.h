// The C++ side of micronet_halide.Model (no Python here): one set of weights, what its file's
// metadata says about the model (models/model_metadata.h: arch, classes, input size, class
// names, preprocessing), and the HalideModel compiled for each input size it has been called
// with (the AOT kernels take any spatial size, but the plan, arena and step shapes are per
// size), kept in a small cache. Thread-safe: any number of threads may call run() at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "models/config.h"
#include "models/model_metadata.h"
#include "runtime/halide_model.h"
#include "runtime/package.h"
#include "formats/tensor.h"

namespace micronet::bindings {

// Halide's thread pool is process-wide. Each Model applies its own thread count before it
// runs (a no-op when the pool already has that size).
void apply_num_threads(int threads);
int current_num_threads();

struct BenchResult {
  double median_ms = 0, min_ms = 0, max_ms = 0;
  int batch = 0, iters = 0, threads = 0, height = 0, width = 0;
};

class Model {
 public:
  static constexpr int kDefaultSize = 224;  // the input size when the metadata names none
  // Sizes other than input_size() kept at once (least recently used dropped first).
  static constexpr size_t kMaxExtraSizes = 4;

  // meta: arch required; num_classes -1 = the config's; input size 0 = 224 x 224. Builds
  // (and so validates) the model at its input size at once: bad weights fail here, as do
  // class names whose count differs from the classes (FormatError naming `source`).
  // target: "host" or a GPU API the build compiled (runtime/device_targets.h).
  // package: a model package (runtime/package.h) whose network and kernels run instead of
  // the built-in ones (meta.arch must be its config's; target must be its device API).
  Model(TensorMap weights, std::string source, ModelMetadata meta, int threads,
        std::string target = "host", std::shared_ptr<const ModelPackage> package = nullptr);

  // input: batch x 3 x h x w float32, C order. Returns batch x num_classes logits.
  std::vector<float> run(const float* input, int batch, int h, int w);
  BenchResult benchmark(int batch, int iters, int warmup, int h, int w);

  // The HalideModel for an input size (built and cached on first use).
  std::shared_ptr<const HalideModel> model_for(int h, int w);
  std::vector<std::pair<int, int>> cached_sizes() const;

  const std::string& arch() const { return meta_.arch; }
  const std::string& source() const { return source_; }
  int num_classes() const { return meta_.num_classes; }
  int input_h() const { return meta_.input_h; }
  int input_w() const { return meta_.input_w; }
  // The file's metadata with arch, num_classes and input size filled in.
  const ModelMetadata& metadata() const { return meta_; }
  int threads() const { return threads_; }
  const std::string& target() const { return target_; }
  // The package the kernels come from (null: the build's own).
  const std::shared_ptr<const ModelPackage>& package() const { return package_; }

  // Diagnostics of the last __call__ (set by the binding, read by tests).
  std::atomic<bool> last_input_was_copied{false};
  std::atomic<uintptr_t> last_input_address{0};

 private:
  TensorMap weights_;
  std::string source_;
  ModelMetadata meta_;
  int threads_;
  std::string target_;
  std::shared_ptr<const ModelPackage> package_;
  ModelConfig config_;  // the package's, else the built-in model_config(arch)
  std::shared_ptr<const HalideModel> default_;
  mutable std::mutex mu_;
  // Most recently used first.
  std::list<std::pair<std::pair<int, int>, std::shared_ptr<const HalideModel>>> extra_;
};

}  // namespace micronet::bindings
