#include "tools/backend.h"

#include "runtime/halide_model.h"
#include "tools/cli_args.h"

namespace micronet::cli {

namespace {
class HalideBackend : public Backend {
 public:
  HalideBackend(const ModelPlan& plan, const TensorMap& w, const std::string& source)
      : model_(plan, w, source) {}
  std::vector<float> run(const float* input, int batch) override { return model_.run(input, batch); }
  std::string name() const override { return "halide"; }

 private:
  HalideModel model_;
};
}  // namespace

std::vector<std::string> available_backends() {
#ifdef MICRONET_WITH_TORCH
  return {"halide", "libtorch"};
#else
  return {"halide"};
#endif
}

std::unique_ptr<Backend> make_backend(const std::string& backend, const ModelPlan& plan,
                                      const TensorMap& weights, const std::string& source,
                                      int threads) {
  if (threads < 1) throw UsageError("--threads must be >= 1");
  if (backend == "halide") {
    HalideModel::set_num_threads(threads);
    return std::make_unique<HalideBackend>(plan, weights, source);
  }
  if (backend == "libtorch") {
#ifdef MICRONET_WITH_TORCH
    return make_torch_backend(plan, weights, source, threads);
#else
    throw UsageError("this build has no LibTorch backend (configured with MICRONET_WITH_TORCH=OFF)");
#endif
  }
  throw UsageError("unknown backend '" + backend + "' (expected halide or libtorch)");
}

}  // namespace micronet::cli
