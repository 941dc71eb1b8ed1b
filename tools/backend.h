// The engines `micronet run/bench/classify` can use, behind one interface: the Halide
// runtime (default) and the LibTorch reference (when the build has LibTorch).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "loader/model_loader.h"
#include "models/plan.h"
#include "formats/tensor.h"

namespace micronet::cli {

class Backend {
 public:
  virtual ~Backend() = default;
  // input N x 3 x H x W (the plan's size), returns N x classes.
  virtual std::vector<float> run(const float* input, int batch) = 0;
  virtual std::string name() const = 0;
  // Per-kernel timing table over `iters` runs, or "" when the backend has none.
  virtual std::string profile(const float* /*input*/, int /*batch*/, int /*iters*/) { return ""; }
  // GPU targets: how the input of a `batch` goes up ("pinned", "pageable (why)"); else "".
  virtual std::string device_input(int /*batch*/) const { return ""; }
};

// `backend` is "halide" or "libtorch"; throws UsageError for others or when the build
// lacks it. `threads` sets Halide's pool or LibTorch's intra-op threads. `target`: the
// Halide kernels' target, "host", "opencl" or "cuda" (`micronet targets`).
// `files`: what the model was loaded from (a package's kernels, a custom network compiled
// on demand: loader/on_demand.h).
std::unique_ptr<Backend> make_backend(const std::string& backend, const ModelPlan& plan,
                                      const TensorMap& weights, const std::string& source,
                                      int threads, const ModelFiles& files, const std::string& target = "host");
std::vector<std::string> available_backends();

// The worker threads a command runs with: --threads when given, else
// default_worker_threads(target) (runtime/device_targets.h: 1 on the host, more on a GPU).
int threads_for_target(const std::string& target, int threads, bool given);

#ifdef MICRONET_WITH_TORCH
std::unique_ptr<Backend> make_torch_backend(const ModelPlan& plan, const TensorMap& weights,
                                            const std::string& source, int threads);
#endif

}  // namespace micronet::cli
