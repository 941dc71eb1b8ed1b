// The LibTorch reference as a CLI backend. The only CLI translation unit that includes
// torch (each such unit costs ~40 s to compile).
#include <torch/torch.h>

#include "reference/reference_model.h"
#include "tools/backend.h"

namespace micronet::cli {

namespace {
class TorchBackend : public Backend {
 public:
  TorchBackend(const ModelPlan& plan, const TensorMap& w, const std::string& source)
      : model_(plan) {
    model_.load_state(w, source);
  }
  std::vector<float> run(const float* input, int batch) override {
    const ModelPlan& p = model_.plan();
    torch::Tensor x = torch::from_blob(const_cast<float*>(input),
                                       {batch, 3, p.input_h, p.input_w}, torch::kFloat);
    torch::Tensor y = model_.forward(x).contiguous();
    return std::vector<float>(y.data_ptr<float>(), y.data_ptr<float>() + y.numel());
  }
  std::string name() const override { return "libtorch"; }

 private:
  ReferenceModel model_;
};
}  // namespace

std::unique_ptr<Backend> make_torch_backend(const ModelPlan& plan, const TensorMap& weights,
                                            const std::string& source, int threads) {
  torch::set_num_threads(threads);
  return std::make_unique<TorchBackend>(plan, weights, source);
}

}  // namespace micronet::cli
