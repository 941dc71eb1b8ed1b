// The C++ side of micronet_halide.Model (no Python here): one set of weights, and the
// HalideModel compiled for each input size it has been called with (the AOT kernels take
// any spatial size, but the plan, arena and step shapes are per size), kept in a small
// cache. Thread-safe: any number of threads may call run() at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "runtime/halide_model.h"
#include "runtime/tensor.h"

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
  static constexpr int kDefaultSize = 224;
  // Sizes other than 224x224 kept at once (least recently used dropped first).
  static constexpr size_t kMaxExtraSizes = 4;

  // Builds (and so validates) the 224x224 model at once: bad weights fail here.
  // target: "host" or a GPU API the build compiled (runtime/device_targets.h).
  Model(std::string arch, TensorMap weights, std::string source, int num_classes, int threads,
        std::string target = "host");

  // input: batch x 3 x h x w float32, C order. Returns batch x num_classes logits.
  std::vector<float> run(const float* input, int batch, int h, int w);
  BenchResult benchmark(int batch, int iters, int warmup, int h, int w);

  // The HalideModel for an input size (built and cached on first use).
  std::shared_ptr<const HalideModel> model_for(int h, int w);
  std::vector<std::pair<int, int>> cached_sizes() const;

  const std::string& arch() const { return arch_; }
  const std::string& source() const { return source_; }
  int num_classes() const { return num_classes_; }
  int threads() const { return threads_; }
  const std::string& target() const { return target_; }

  // Diagnostics of the last __call__ (set by the binding, read by tests).
  std::atomic<bool> last_input_was_copied{false};
  std::atomic<uintptr_t> last_input_address{0};

 private:
  std::string arch_;
  TensorMap weights_;
  std::string source_;
  int num_classes_;
  int threads_;
  std::string target_;
  std::shared_ptr<const HalideModel> default_;
  mutable std::mutex mu_;
  // Most recently used first.
  std::list<std::pair<std::pair<int, int>, std::shared_ptr<const HalideModel>>> extra_;
};

}  // namespace micronet::bindings
