// The LibTorch reference of MicroNet: the official architecture (liyunsheng13/micronet)
// rebuilt from a ModelPlan, with the official state_dict keys, shapes and order. Every
// Halide kernel and every compiled model is cross-checked against it.
//
// Semantics live in one place: run_op() executes one planned Op (eval mode by default:
// BatchNorm uses running statistics, dropout is the identity; RunMode::training switches
// to training semantics). ReferenceModel::forward runs the plan's ops with its own
// parameters through the same run_op(), so the per-op checks and the whole-model checks
// exercise the same code, and training (reference/trainer.h) trains that code.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "models/plan.h"
#include "formats/tensor.h"

namespace micronet {

// ---- conversions between weight-file tensors and torch --------------------------------

// Copies; F32 -> kFloat, I64 -> kLong, I32 -> kInt (others converted to kFloat).
torch::Tensor to_torch(const Tensor& t);
// Copies a CPU kFloat (-> F32) or kLong (-> I64) tensor; other dtypes throw.
Tensor from_torch(const torch::Tensor& t);

// ---- per-op reference functions (NCHW, float32) --------------------------------------

struct BatchNormParams {
  torch::Tensor weight, bias, running_mean, running_var;
  double eps = 1e-5;  // PyTorch's default, used by every BatchNorm of the official model
  torch::Tensor num_batches_tracked;  // optional: incremented by each training-mode call
};

// BatchNorm over dim 1 of an (N, C, ...) tensor. Eval (the default): running statistics.
// Training: batch statistics (biased variance), and the running statistics are updated in
// place as nn.BatchNorm does: momentum 0.1, unbiased batch variance, num_batches_tracked += 1.
torch::Tensor ref_batch_norm(const torch::Tensor& x, const BatchNormParams& bn,
                             bool training = false);
torch::Tensor ref_h_sigmoid(const torch::Tensor& x);  // relu6(x + 3) / 6
torch::Tensor ref_h_swish(const torch::Tensor& x);    // x * h_sigmoid(x)

// out[:, c] = x[:, perm[c]] for the (g, C/g) -> (C/g, g) transpose.
torch::Tensor ref_channel_shuffle(const torch::Tensor& x, int groups);

// The factorized (spatially separable) conv of the stem and of Micro-Factorized depthwise:
// conv kx1, stride (s,1), pad (k/2,0) + BN, then conv 1xk, stride (1,s), pad (0,k/2) + BN.
// Groups follow from the weight shapes (groups = in_channels / weight.size(1)), so the
// stem (groups 1, then g1) and the depthwise op (groups C, then C*e1) share this function.
torch::Tensor ref_spatial_sep_conv(const torch::Tensor& x, const torch::Tensor& w_kx1,
                                   const BatchNormParams& bn1, const torch::Tensor& w_1xk,
                                   const BatchNormParams& bn2, int stride,
                                   bool training = false);

// Dynamic Shift-Max hyper-function: avg pool -> Linear -> ReLU -> Linear -> h_sigmoid ->
// (h - 0.5) * 4. Returns (N, C*J*K) coefficients in [-2, 2], before the init offsets.
torch::Tensor ref_shift_max_coefficients(const torch::Tensor& x, const torch::Tensor& fc1_w,
                                         const torch::Tensor& fc1_b, const torch::Tensor& fc2_w,
                                         const torch::Tensor& fc2_b);

// Dynamic Shift-Max application (paper Eq. 4 with the official shift):
//   out[c] = max_k sum_j (coef[k][j][c] + offset(k, j)) * x[perm^j(c)]
// coef (N, C*J*K) is split k-major then j: for J=2, K=2 the official order a1, b1, a2, b2.
// perm = shift_max_permutation(C, perm_groups), applied j times (x_0 = x, x_1 = x[perm]).
// offset(k, 0) = init_a[k], offset(k, 1) = init_b[k], offset(k, j >= 2) = 0.
// The official models use J = 2; J = 1 is Dynamic ReLU. K must be 1 or 2.
torch::Tensor ref_shift_max_apply(const torch::Tensor& x, const torch::Tensor& coef, int K,
                                  int J, int perm_groups, std::array<float, 2> init_a,
                                  std::array<float, 2> init_b);

// Both halves together: the DYShiftMax module of the official code.
torch::Tensor ref_shift_max(const torch::Tensor& x, const torch::Tensor& fc1_w,
                            const torch::Tensor& fc1_b, const torch::Tensor& fc2_w,
                            const torch::Tensor& fc2_b, int K, int J, int perm_groups,
                            std::array<float, 2> init_a, std::array<float, 2> init_b);

// ---- plan-driven execution ---------------------------------------------------------

// Returns the tensor stored under a full state_dict key; throws if it has none.
using ParamLookup = std::function<torch::Tensor(const std::string& key)>;

// How run_op / run_block execute. The default is eval mode. Training mode: every BatchNorm
// normalizes with batch statistics and updates its running statistics (and, when the
// lookup has it, num_batches_tracked), and the head's dropout zeroes activations with
// probability `dropout` (scaling the rest by 1 / (1 - dropout)). Autograd is the caller's
// choice (forward() disables it; forward_train() records it).
struct RunMode {
  bool training = false;
  double dropout = 0.0;
};

// Runs one planned op on x (NCHW; the Head op returns (N, num_classes)). Parameters are
// read under op.key with the official suffixes (".conv.0.weight", ".fc.2.bias", ...).
torch::Tensor run_op(const Op& op, const ParamLookup& params, const torch::Tensor& x,
                     const RunMode& mode = {});
torch::Tensor run_op(const Op& op, const TensorMap& weights, const torch::Tensor& x);
// Runs a block's ops in order, then the residual add when the block has one.
torch::Tensor run_block(const Block& block, const ParamLookup& params, const torch::Tensor& x,
                        const RunMode& mode = {});
torch::Tensor run_block(const Block& block, const TensorMap& weights, const torch::Tensor& x);

// ---- the whole model ---------------------------------------------------------------

class ReferenceModel {
 public:
  explicit ReferenceModel(const ModelPlan& plan);

  // Strictly validated against state_dict_layout(plan) first (FormatError naming `source`),
  // then copied in. `weights` keys are the official ones, without any "module." prefix.
  void load_state(const TensorMap& weights, const std::string& source);
  // The official state_dict: F32 tensors and I64 num_batches_tracked.
  TensorMap state() const;
  // Random weights AND random BatchNorm statistics (positive variance, affine not 1/0),
  // scaled so activations stay O(1) through the network. Deterministic in `seed`.
  void randomize(uint64_t seed);

  // Eval mode, no autograd. Input (N, 3, input_h, input_w); output (N, num_classes).
  torch::Tensor forward(const torch::Tensor& nchw) const;
  // Training mode (see RunMode) with autograd recorded, dropout at the config's rate;
  // updates the BatchNorm running statistics. Same input and output shapes as forward().
  torch::Tensor forward_train(const torch::Tensor& nchw);
  // The learnable tensors (leaf tensors with requires_grad; BatchNorm statistics are not
  // among them), in state_dict order. An optimizer updates the model through them.
  std::vector<torch::Tensor> parameters() const;

  // Keys and shapes in the official state_dict order (per module: parameters, then
  // buffers, modules in registration order), as Python's state_dict() lists them.
  std::vector<std::pair<std::string, std::vector<int64_t>>> state_dict_names() const;

  torch::nn::Module& module() { return *root_; }
  const ModelPlan& plan() const { return plan_; }

 private:
  torch::Tensor param(const std::string& key) const;
  torch::Tensor checked_input(const torch::Tensor& nchw) const;
  void calibrate_batch_norm(at::Generator& gen);

  ModelPlan plan_;
  std::shared_ptr<torch::nn::Module> root_;
  // The module's parameters and buffers in state_dict order; they share storage with the
  // module, so load_state() and randomize() write through them.
  std::vector<std::pair<std::string, torch::Tensor>> entries_;
  std::map<std::string, size_t> index_;  // key -> position in entries_
};

}  // namespace micronet
