#include "models/random_weights.h"

#include <cmath>
#include <random>

#include "models/state_dict_layout.h"

namespace micronet {

namespace {
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

TensorMap random_weights(const ModelPlan& plan, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.f, 1.f);
  std::uniform_real_distribution<float> uniform(0.f, 1.f);
  TensorMap out;
  for (const ParamSpec& p : state_dict_layout(plan)) {
    Tensor t;
    t.shape = p.shape;
    if (p.dtype == DType::I64) {
      t.dtype = DType::I64;
      t.bytes.assign(8, 0);
      out[p.key] = t;
      continue;
    }
    int64_t n = 1, fan_in = 1;
    for (size_t i = 0; i < p.shape.size(); ++i) {
      n *= p.shape[i];
      if (i > 0) fan_in *= p.shape[i];
    }
    std::vector<float> v(static_cast<size_t>(n));
    // BatchNorm vectors are 1-D keys under a ".conv.<odd>" or ".linear.1" module; weights
    // have rank >= 2; 1-D ".bias" of Linear layers are small offsets.
    const bool rank1 = p.shape.size() == 1;
    for (float& x : v) {
      if (!rank1) x = normal(rng) * std::sqrt(2.f / float(fan_in));
      else if (ends_with(p.key, "running_var")) x = 0.5f + uniform(rng);
      else if (ends_with(p.key, "running_mean")) x = 0.2f * normal(rng);
      else if (ends_with(p.key, ".weight")) x = 0.7f + 0.6f * uniform(rng);
      else x = 0.1f * normal(rng);
    }
    out[p.key] = Tensor::f32(p.shape, std::move(v));
  }
  return out;
}

}  // namespace micronet
