#include "tools/backend.h"

#include <cstdio>

#include "runtime/device_targets.h"
#include "runtime/halide_model.h"
#include "loader/on_demand.h"
#include "tools/usage_error.h"

namespace micronet::cli {

namespace {
class HalideBackend : public Backend {
 public:
  HalideBackend(const ModelPlan& plan, const TensorMap& w, const std::string& source,
                const std::string& target, std::shared_ptr<const KernelSource> kernels)
      : model_(plan, w, source, target, std::move(kernels)) {}
  std::vector<float> run(const float* input, int batch) override { return model_.run(input, batch); }
  std::string device_input(int batch) const override { return model_.device_input_path(batch); }
  std::string name() const override {
    return model_.target() == "host" ? "halide" : "halide-" + model_.target();
  }
  std::string profile(const float* input, int batch, int iters) override {
    std::vector<double> ms(model_.steps().size(), 0.0);
    for (int i = 0; i < iters; ++i) model_.run_profiled(input, batch, &ms);
    double total = 0;
    for (double v : ms) total += v;
    std::string out;
    char line[256];
    for (size_t i = 0; i < ms.size(); ++i) {
      const KernelStep& s = model_.steps()[i];
      // Microseconds: at 64x64 most kernels take a few.
      std::snprintf(line, sizeof line, "  %2zu %-36s %4dx%-4d %9.2f us %5.1f%%\n", i, s.spec.name().c_str(),
                    s.out_w, s.out_h, 1000.0 * ms[i] / iters, 100.0 * ms[i] / total);
      out += line;
    }
    std::snprintf(line, sizeof line, "  total %.2f us per run\n", 1000.0 * total / iters);
    return out + line;
  }

 private:
  HalideModel model_;
};
}  // namespace

int threads_for_target(const std::string& target, int threads, bool given) {
  return given ? threads : default_worker_threads(target);
}

std::vector<std::string> available_backends() {
#ifdef MICRONET_WITH_TORCH
  return {"halide", "libtorch"};
#else
  return {"halide"};
#endif
}

std::unique_ptr<Backend> make_backend(const std::string& backend, const ModelPlan& plan,
                                      const TensorMap& weights, const std::string& source,
                                      int threads, const ModelFiles& files, const std::string& target) {
  if (threads < 1) throw UsageError("--threads must be >= 1");
  if (backend == "halide") {
    HalideModel::set_num_threads(threads);
    std::shared_ptr<const KernelSource> kernels;
    try {
      kernels = kernel_source_for(files, plan, target, default_on_demand_compiler(), kCliArgs);
    } catch (const LoadArgumentError& e) {
      throw UsageError(e.what());
    }
    const auto pkg = std::dynamic_pointer_cast<const ModelPackage>(kernels);
    return std::make_unique<HalideBackend>(plan, weights, source, pkg ? pkg->device_api() : target, std::move(kernels));
  }
  if (target != "host") throw UsageError("--target " + target + " applies to the halide backend only");
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
