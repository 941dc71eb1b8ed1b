#include "reference/reference_model.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "models/state_dict_layout.h"

namespace micronet {

// ---- conversions -------------------------------------------------------------------

torch::Tensor to_torch(const Tensor& t) {
  const std::vector<int64_t>& shape = t.shape;
  auto copy_as = [&](torch::ScalarType type) {
    return torch::from_blob(const_cast<uint8_t*>(t.bytes.data()), shape, torch::dtype(type))
        .clone();
  };
  switch (t.dtype) {
    case DType::F32: return copy_as(torch::kFloat);
    case DType::I64: return copy_as(torch::kLong);
    case DType::I32: return copy_as(torch::kInt);
    default: {
      std::vector<float> v = t.to_f32();
      return torch::from_blob(v.data(), shape, torch::kFloat).clone();
    }
  }
}

Tensor from_torch(const torch::Tensor& src) {
  const torch::Tensor t = src.detach().cpu().contiguous();
  Tensor out;
  if (t.scalar_type() == torch::kFloat) out.dtype = DType::F32;
  else if (t.scalar_type() == torch::kLong) out.dtype = DType::I64;
  else throw std::invalid_argument(std::string("from_torch: unsupported dtype ") +
                                   c10::toString(t.scalar_type()));
  out.shape = t.sizes().vec();
  out.bytes.resize(t.nbytes());
  std::memcpy(out.bytes.data(), t.data_ptr(), t.nbytes());
  return out;
}

// ---- per-op reference functions ------------------------------------------------------

namespace {

torch::Tensor clamp6(const torch::Tensor& x) { return torch::clamp(x, 0.0, 6.0); }

// Groups follow from the shapes, as in nn.Conv2d: weight is (out, in/groups, kh, kw).
torch::Tensor conv(const torch::Tensor& x, const torch::Tensor& w, std::array<int64_t, 2> stride,
                   std::array<int64_t, 2> pad) {
  const int64_t groups = x.size(1) / w.size(1);
  return torch::conv2d(x, w, {}, stride, pad, {1, 1}, groups);
}

void require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument(what);
}

}  // namespace

torch::Tensor ref_batch_norm(const torch::Tensor& x, const BatchNormParams& bn, bool training) {
  // In training mode at::batch_norm updates running_mean / running_var in place.
  if (training && bn.num_batches_tracked.defined()) {
    torch::NoGradGuard no_grad;
    bn.num_batches_tracked.add_(1);
  }
  return torch::batch_norm(x, bn.weight, bn.bias, bn.running_mean, bn.running_var, training,
                           /*momentum=*/0.1, bn.eps, /*cudnn_enabled=*/false);
}

// micronet.py's h_sigmoid divides by 6 (the head's h_swish uses it).
torch::Tensor ref_h_sigmoid(const torch::Tensor& x) { return clamp6(x + 3.0) / 6.0; }
torch::Tensor ref_h_swish(const torch::Tensor& x) { return x * ref_h_sigmoid(x); }

torch::Tensor ref_channel_shuffle(const torch::Tensor& x, int groups) {
  require(x.dim() == 4, "channel shuffle: expected NCHW input");
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  require(groups > 0 && c % groups == 0,
          "channel shuffle: " + std::to_string(c) + " channels, groups " + std::to_string(groups));
  return x.view({n, groups, c / groups, h, w}).transpose(1, 2).contiguous().view({n, c, h, w});
}

torch::Tensor ref_spatial_sep_conv(const torch::Tensor& x, const torch::Tensor& w_kx1,
                                   const BatchNormParams& bn1, const torch::Tensor& w_1xk,
                                   const BatchNormParams& bn2, int stride, bool training) {
  const int64_t k1 = w_kx1.size(2), k2 = w_1xk.size(3);
  torch::Tensor y = ref_batch_norm(conv(x, w_kx1, {stride, 1}, {k1 / 2, 0}), bn1, training);
  return ref_batch_norm(conv(y, w_1xk, {1, stride}, {0, k2 / 2}), bn2, training);
}

torch::Tensor ref_shift_max_coefficients(const torch::Tensor& x, const torch::Tensor& fc1_w,
                                         const torch::Tensor& fc1_b, const torch::Tensor& fc2_w,
                                         const torch::Tensor& fc2_b) {
  require(x.dim() == 4, "shift-max: expected NCHW input");
  torch::Tensor y = x.mean({2, 3});
  y = torch::relu(torch::linear(y, fc1_w, fc1_b));
  y = torch::linear(y, fc2_w, fc2_b);
  // activation.py's h_sigmoid multiplies by h_max / 6 rather than dividing by 6.
  y = clamp6(y + 3.0) * (1.0 / 6.0);
  return (y - 0.5) * 4.0;  // act_max 2.0, doubled by DYShiftMax
}

torch::Tensor ref_shift_max_apply(const torch::Tensor& x, const torch::Tensor& coef, int K,
                                  int J, int perm_groups, std::array<float, 2> init_a,
                                  std::array<float, 2> init_b) {
  require(x.dim() == 4, "shift-max: expected NCHW input");
  require(K == 1 || K == 2, "shift-max: K must be 1 or 2, got " + std::to_string(K));
  require(J >= 1, "shift-max: J must be at least 1");
  const int64_t n = x.size(0), c = x.size(1);
  require(coef.dim() == 2 && coef.size(0) == n && coef.size(1) == c * J * K,
          "shift-max: coefficients must be (N, C*J*K)");
  const std::vector<int> perm = shift_max_permutation(int(c), perm_groups);
  const torch::Tensor index = torch::tensor(std::vector<int64_t>(perm.begin(), perm.end()));

  std::vector<torch::Tensor> shifted{x};  // shifted[j] = x[:, perm^j]
  for (int j = 1; j < J; ++j) shifted.push_back(shifted.back().index_select(1, index));

  const torch::Tensor a = coef.view({n, K, J, c, 1, 1});
  torch::Tensor out;
  for (int k = 0; k < K; ++k) {
    torch::Tensor z;
    for (int j = 0; j < J; ++j) {
      const float offset = j == 0 ? init_a[k] : j == 1 ? init_b[k] : 0.f;
      const torch::Tensor term = shifted[j] * (a.select(1, k).select(1, j) + offset);
      z = j == 0 ? term : z + term;
    }
    out = k == 0 ? z : torch::max(out, z);
  }
  return out;
}

torch::Tensor ref_shift_max(const torch::Tensor& x, const torch::Tensor& fc1_w,
                            const torch::Tensor& fc1_b, const torch::Tensor& fc2_w,
                            const torch::Tensor& fc2_b, int K, int J, int perm_groups,
                            std::array<float, 2> init_a, std::array<float, 2> init_b) {
  return ref_shift_max_apply(x, ref_shift_max_coefficients(x, fc1_w, fc1_b, fc2_w, fc2_b), K,
                             J, perm_groups, init_a, init_b);
}

// ---- plan-driven execution -----------------------------------------------------------

namespace {

// Training mode also reads num_batches_tracked, which eval never needs.
BatchNormParams bn_at(const ParamLookup& p, const std::string& key, const RunMode& mode) {
  BatchNormParams bn{p(key + ".weight"), p(key + ".bias"), p(key + ".running_mean"),
                     p(key + ".running_var")};
  if (mode.training) bn.num_batches_tracked = p(key + ".num_batches_tracked");
  return bn;
}

torch::Tensor swish_linear(const ParamLookup& p, const std::string& key, const torch::Tensor& x,
                           const RunMode& mode) {
  const torch::Tensor y = torch::linear(x, p(key + ".0.weight"), p(key + ".0.bias"));
  return ref_h_swish(ref_batch_norm(y, bn_at(p, key + ".1", mode), mode.training));
}

ParamLookup lookup_in(const TensorMap& weights) {
  return [&weights](const std::string& key) {
    auto it = weights.find(key);
    if (it == weights.end()) throw std::invalid_argument("missing weight '" + key + "'");
    return to_torch(it->second);
  };
}

}  // namespace

torch::Tensor run_op(const Op& op, const ParamLookup& p, const torch::Tensor& x,
                     const RunMode& mode) {
  const std::string& k = op.key;
  const bool train = mode.training;
  switch (op.kind) {
    case OpKind::Stem: {
      torch::Tensor y = ref_spatial_sep_conv(
          x, p(k + ".conv.0.weight"), bn_at(p, k + ".conv.1", mode), p(k + ".conv.2.weight"),
          bn_at(p, k + ".conv.3", mode), op.stride, train);
      return clamp6(ref_channel_shuffle(y, op.groups));
    }
    case OpKind::DepthwiseSep:
      return ref_spatial_sep_conv(x, p(k + ".conv.0.weight"), bn_at(p, k + ".conv.1", mode),
                                  p(k + ".conv.2.weight"), bn_at(p, k + ".conv.3", mode),
                                  op.stride, train);
    case OpKind::GroupConv:
      return ref_batch_norm(conv(x, p(k + ".conv.0.weight"), {1, 1}, {0, 0}),
                            bn_at(p, k + ".conv.1", mode), train);
    case OpKind::ShiftMax:
      return ref_shift_max(x, p(k + ".fc.0.weight"), p(k + ".fc.0.bias"), p(k + ".fc.2.weight"),
                           p(k + ".fc.2.bias"), op.K, op.J, op.perm_groups, op.init_a, op.init_b);
    case OpKind::ReLU6: return clamp6(x);
    case OpKind::Shuffle: return ref_channel_shuffle(x, op.groups);
    case OpKind::Head: {
      // avgpool = ReLU6, global average, h_swish; classifier.1 is the dropout (the identity
      // in eval mode).
      torch::Tensor y = ref_h_swish(clamp6(x).mean({2, 3}));
      y = swish_linear(p, k + ".0.linear", y, mode);
      if (train && mode.dropout > 0) y = torch::dropout(y, mode.dropout, /*train=*/true);
      return swish_linear(p, k + ".2.linear", y, mode);
    }
  }
  throw std::logic_error("run_op: unknown op kind");
}

torch::Tensor run_op(const Op& op, const TensorMap& weights, const torch::Tensor& x) {
  return run_op(op, lookup_in(weights), x);
}

torch::Tensor run_block(const Block& block, const ParamLookup& p, const torch::Tensor& x,
                        const RunMode& mode) {
  torch::Tensor y = x;
  for (const Op& op : block.ops) y = run_op(op, p, y, mode);
  return block.residual ? y + x : y;
}

torch::Tensor run_block(const Block& block, const TensorMap& weights, const torch::Tensor& x) {
  return run_block(block, lookup_in(weights), x);
}

// ---- the module tree -----------------------------------------------------------------
//
// The tree exists for the official names: forward() does not call it, it runs the plan
// through run_op() reading the tree's tensors. Parameter-free modules are plain named
// Modules that hold their index slot in the official nn.Sequential lists.

namespace {

using ModulePtr = std::shared_ptr<torch::nn::Module>;

ModulePtr leaf(const std::string& type) { return std::make_shared<torch::nn::Module>(type); }

ModulePtr sequential(const std::vector<ModulePtr>& children) {
  ModulePtr m = leaf("Sequential");
  for (size_t i = 0; i < children.size(); ++i) m->register_module(std::to_string(i), children[i]);
  return m;
}

ModulePtr with(const std::string& type, const std::string& child_name, ModulePtr child) {
  ModulePtr m = leaf(type);
  m->register_module(child_name, std::move(child));
  return m;
}

ModulePtr conv2d(int64_t in, int64_t out, std::array<int64_t, 2> kernel,
                 std::array<int64_t, 2> stride, int64_t groups) {
  namespace nn = torch::nn;
  return nn::Conv2d(nn::Conv2dOptions(in, out, kernel)
                        .stride(stride)
                        .padding({kernel[0] / 2, kernel[1] / 2})
                        .groups(groups)
                        .bias(false))
      .ptr();
}

ModulePtr bn2d(int64_t c) { return torch::nn::BatchNorm2d(c).ptr(); }

ModulePtr spatial_sep(const Op& op, int64_t mid, int64_t groups1) {
  const int64_t k = op.kernel, s = op.stride;
  return sequential({conv2d(op.in_channels, mid, {k, 1}, {s, 1}, groups1), bn2d(mid),
                     conv2d(mid, op.out_channels, {1, k}, {1, s}, mid), bn2d(op.out_channels)});
}

ModulePtr swish_linear_module(int64_t in, int64_t out) {
  return with("SwishLinear", "linear",
              sequential({torch::nn::Linear(in, out).ptr(), torch::nn::BatchNorm1d(out).ptr(),
                          leaf("h_swish")}));
}

ModulePtr op_module(const Op& op) {
  switch (op.kind) {
    case OpKind::Stem: {
      ModulePtr sep = spatial_sep(op, op.groups, 1);
      sep->register_module("4", leaf("ChannelShuffle"));
      return with("StemLayer", "stem",
                  sequential({with("SpatialSepConvSF", "conv", sep), leaf("ReLU6")}));
    }
    case OpKind::DepthwiseSep:
      return with("DepthSpatialSepConv", "conv",
                  spatial_sep(op, int64_t(op.in_channels) * op.exp1, op.in_channels));
    case OpKind::GroupConv:
      return with("GroupConv", "conv",
                  sequential({conv2d(op.in_channels, op.out_channels, {1, 1}, {1, 1}, op.groups),
                              bn2d(op.out_channels)}));
    case OpKind::ShiftMax: {
      ModulePtr m = leaf("DYShiftMax");
      m->register_module("avg_pool", sequential({leaf("Sequential"), leaf("AdaptiveAvgPool2d")}));
      const int64_t c = op.in_channels, s = op.squeeze;
      m->register_module("fc", sequential({torch::nn::Linear(c, s).ptr(), leaf("ReLU"),
                                           torch::nn::Linear(s, c * op.J * op.K).ptr(),
                                           leaf("h_sigmoid")}));
      return m;
    }
    case OpKind::ReLU6: return leaf("ReLU6");
    case OpKind::Shuffle: return leaf("ChannelShuffle");
    case OpKind::Head: break;
  }
  throw std::logic_error("op_module: no module for this op kind");
}

// The official DYMicroBlock `layers` lists, slot by slot: which op kinds may sit in each
// slot, and whether the slot may be an empty nn.Sequential() instead.
struct Slot {
  std::vector<OpKind> kinds;
  bool optional;
};

std::vector<Slot> official_slots(BlockKind kind) {
  using K = OpKind;
  const Slot act{{K::ShiftMax, K::ReLU6}, false}, dyn{{K::ShiftMax}, true},
      shuffle{{K::Shuffle}, false}, shuffle_opt{{K::Shuffle}, true}, empty{{}, true};
  switch (kind) {
    case BlockKind::MicroA:
      return {{{K::DepthwiseSep}, false}, act, shuffle, shuffle_opt,
              {{K::GroupConv}, false}, dyn, shuffle, shuffle_opt};
    case BlockKind::MicroBC:
      return {{{K::GroupConv}, false}, act, shuffle, {{K::DepthwiseSep}, false}, empty, act,
              shuffle_opt, {{K::GroupConv}, false}, dyn, shuffle, shuffle_opt};
    case BlockKind::Final: return {{{K::GroupConv}, false}, dyn};
    default: throw std::logic_error("official_slots: not a micro block");
  }
}

// Lays the block's ops into the official slots; the plan's keys must agree with the slots.
ModulePtr micro_block_module(const Block& b) {
  std::vector<ModulePtr> slots;
  size_t next = 0;
  const std::string prefix = "features." + std::to_string(b.feature_index) + ".layers.";
  for (const Slot& slot : official_slots(b.kind)) {
    const bool fits = next < b.ops.size() &&
                      std::find(slot.kinds.begin(), slot.kinds.end(), b.ops[next].kind) !=
                          slot.kinds.end();
    if (!fits) {
      if (!slot.optional)
        throw std::logic_error("plan of features." + std::to_string(b.feature_index) +
                               " does not fit the official block layout");
      slots.push_back(leaf("Sequential"));
      continue;
    }
    const Op& op = b.ops[next++];
    if (!op.key.empty() && op.key != prefix + std::to_string(slots.size()))
      throw std::logic_error("op key " + op.key + " disagrees with its official slot " +
                             prefix + std::to_string(slots.size()));
    slots.push_back(op_module(op));
  }
  if (next != b.ops.size())
    throw std::logic_error("features." + std::to_string(b.feature_index) +
                           " has ops beyond the official block layout");
  return with("DYMicroBlock", "layers", sequential(slots));
}

ModulePtr build_root(const ModelPlan& plan) {
  std::vector<ModulePtr> features;
  ModulePtr classifier;
  for (const Block& b : plan.blocks) {
    if (b.kind == BlockKind::Stem) {
      features.push_back(op_module(b.ops.at(0)));
    } else if (b.kind == BlockKind::Head) {
      const Op& head = b.ops.at(0);
      classifier = sequential({swish_linear_module(head.in_channels, head.hidden),
                               leaf("Dropout"),
                               swish_linear_module(head.hidden, head.num_classes)});
    } else {
      features.push_back(micro_block_module(b));
    }
  }
  if (!classifier) throw std::logic_error("plan has no head");
  ModulePtr root = leaf("MicroNet");
  root->register_module("features", sequential(features));
  root->register_module("avgpool", sequential({leaf("ReLU6"), leaf("AdaptiveAvgPool2d"),
                                               leaf("h_swish")}));
  root->register_module("classifier", classifier);
  return root;
}

}  // namespace

// ---- ReferenceModel ------------------------------------------------------------------

ReferenceModel::ReferenceModel(const ModelPlan& plan) : plan_(plan), root_(build_root(plan)) {
  root_->eval();
  for (const auto& m : root_->named_modules("", /*include_self=*/true)) {
    const std::string prefix = m.key().empty() ? "" : m.key() + ".";
    for (const auto& p : m.value()->named_parameters(/*recurse=*/false))
      entries_.emplace_back(prefix + p.key(), p.value());
    for (const auto& t : m.value()->named_buffers(/*recurse=*/false))
      entries_.emplace_back(prefix + t.key(), t.value());
  }
  for (size_t i = 0; i < entries_.size(); ++i) index_[entries_[i].first] = i;

  // The module tree and the plan's layout are built separately; load_state() relies on
  // them naming the same tensors, so a disagreement is a bug caught here.
  const std::vector<ParamSpec> layout = state_dict_layout(plan_);
  bool same = layout.size() == entries_.size();
  for (size_t i = 0; same && i < layout.size(); ++i)
    same = layout[i].key == entries_[i].first && layout[i].shape == entries_[i].second.sizes().vec();
  if (!same) throw std::logic_error("reference module tree disagrees with state_dict_layout");
}

torch::Tensor ReferenceModel::param(const std::string& key) const {
  auto it = index_.find(key);
  if (it == index_.end()) throw std::invalid_argument("reference model has no tensor '" + key + "'");
  return entries_[it->second].second;
}

void ReferenceModel::load_state(const TensorMap& weights, const std::string& source) {
  validate_state_dict(weights, state_dict_layout(plan_), source);
  torch::NoGradGuard no_grad;
  for (auto& e : entries_) e.second.copy_(to_torch(weights.at(e.first)));
}

TensorMap ReferenceModel::state() const {
  TensorMap out;
  for (const auto& e : entries_) out[e.first] = from_torch(e.second);
  return out;
}

void ReferenceModel::randomize(uint64_t seed) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  torch::NoGradGuard no_grad;
  for (const auto& m : root_->modules(/*include_self=*/false)) {
    if (auto* c = m->as<torch::nn::Conv2d>()) {
      // He-style scale keeps activations O(1) through ReLU6 and the BatchNorms.
      const double fan_in = double(c->weight.numel()) / c->weight.size(0);
      c->weight.normal_(0.0, std::sqrt(2.0 / fan_in), gen);
    } else if (auto* l = m->as<torch::nn::Linear>()) {
      l->weight.normal_(0.0, std::sqrt(1.0 / l->weight.size(1)), gen);
      l->bias.normal_(0.0, 0.1, gen);
    } else {
      torch::Tensor w, b, mean, var;
      if (auto* bn = m->as<torch::nn::BatchNorm2d>()) {
        w = bn->weight, b = bn->bias, mean = bn->running_mean, var = bn->running_var;
      } else if (auto* bn1 = m->as<torch::nn::BatchNorm1d>()) {
        w = bn1->weight, b = bn1->bias, mean = bn1->running_mean, var = bn1->running_var;
      } else {
        continue;
      }
      // Not 1/0 and 0/1: folding BatchNorm into the convs must be exercised for real.
      w.uniform_(0.5, 1.5, gen);
      b.normal_(0.0, 0.1, gen);
      mean.normal_(0.0, 0.1, gen);
      var.uniform_(0.5, 2.0, gen);
    }
  }
  calibrate_batch_norm(gen);
}

// Random BatchNorm statistics alone do not normalize anything: Dynamic Shift-Max gains of
// up to ~3 per layer then compound to activations of 1e10 by the head, where fp32 logits
// become ill-conditioned and no implementation can agree with another. A trained network
// has statistics that match its activations, so: run a random batch through the model
// and set each BatchNorm's statistics near the statistics of its actual input (mean
// shifted by 0.1 sigma, variance scaled by 0.7..1.4), keeping them random but realistic.
void ReferenceModel::calibrate_batch_norm(at::Generator& gen) {
  torch::NoGradGuard no_grad;
  const ModelPlan& p = plan_;
  // Enough images that the last stage's BatchNorms see >= 128 samples (2 at 224x224, 32 at
  // 64x64, where the last feature map is 2x2).
  const int last_hw = ((p.input_h + 31) / 32) * ((p.input_w + 31) / 32);
  const int batch = std::clamp((128 + last_hw - 1) / last_hw, 2, 32);
  torch::Tensor x = torch::randn({batch, 3, p.input_h, p.input_w}, gen);
  auto set_stats = [&](const std::string& bn, const torch::Tensor& pre) {
    const std::vector<int64_t> dims = pre.dim() == 4 ? std::vector<int64_t>{0, 2, 3} : std::vector<int64_t>{0};
    const torch::Tensor mean = pre.mean(dims);
    // A channel that barely varies on the calibration batch (few samples: the head's
    // BatchNorm1d sees one per image, the last stage 2x2 pixels at 64x64) would get a
    // near-zero variance and amplify any other input ~100x: the whole model then becomes
    // ill-conditioned in fp32 (its logits 1e-4..6e-4 off fp64 at 64x64 before this floor).
    torch::Tensor var = pre.var(dims, /*unbiased=*/false);
    var = torch::clamp_min(var, 0.1 * var.mean().item<double>()) + 1e-3;
    param(bn + ".running_mean").copy_(mean + 0.1 * var.sqrt() * torch::randn(mean.sizes(), gen));
    param(bn + ".running_var").copy_(var * torch::empty(var.sizes()).uniform_(0.7, 1.4, gen));
  };
  auto bn_of = [&](const std::string& bn, const torch::Tensor& pre) {
    BatchNormParams b{param(bn + ".weight"), param(bn + ".bias"), param(bn + ".running_mean"),
                      param(bn + ".running_var")};
    return ref_batch_norm(pre, b);
  };
  auto conv = [](const torch::Tensor& in, const torch::Tensor& w, std::vector<int64_t> stride,
                 std::vector<int64_t> pad, int64_t groups) {
    const std::vector<int64_t> dilation{1, 1};
    return torch::conv2d(in, w, c10::optional<torch::Tensor>(), at::IntArrayRef(stride),
                         at::IntArrayRef(pad), at::IntArrayRef(dilation), groups);
  };
  const ParamLookup lookup = [this](const std::string& key) { return param(key); };
  for (const Block& b : p.blocks) {
    const torch::Tensor block_in = x;
    for (const Op& op : b.ops) {
      const std::string& k = op.key;
      const int pad = op.kernel / 2;
      if (op.kind == OpKind::Stem || op.kind == OpKind::DepthwiseSep) {
        const int64_t g1 = op.kind == OpKind::Stem ? 1 : op.in_channels;
        torch::Tensor mid = conv(x, param(k + ".conv.0.weight"), {op.stride, 1}, {pad, 0}, g1);
        set_stats(k + ".conv.1", mid);
        mid = bn_of(k + ".conv.1", mid);
        // The 1xk conv is depthwise over its input (groups = its input channels).
        const torch::Tensor out = conv(mid, param(k + ".conv.2.weight"), {1, op.stride}, {0, pad}, mid.size(1));
        set_stats(k + ".conv.3", out);
      } else if (op.kind == OpKind::GroupConv) {
        set_stats(k + ".conv.1", conv(x, param(k + ".conv.0.weight"), {1, 1}, {0, 0}, op.groups));
      } else if (op.kind == OpKind::Head) {
        torch::Tensor f = ref_h_swish(torch::clamp(x, 0, 6).mean({2, 3}));
        torch::Tensor h = torch::linear(f, param(k + ".0.linear.0.weight"), param(k + ".0.linear.0.bias"));
        set_stats(k + ".0.linear.1", h);
        h = ref_h_swish(bn_of(k + ".0.linear.1", h));
        set_stats(k + ".2.linear.1", torch::linear(h, param(k + ".2.linear.0.weight"), param(k + ".2.linear.0.bias")));
      }
      x = run_op(op, lookup, x);
    }
    if (b.residual) x = x + block_in;
  }
}

torch::Tensor ReferenceModel::checked_input(const torch::Tensor& nchw) const {
  if (nchw.dim() != 4 || nchw.size(1) != 3 || nchw.size(2) != plan_.input_h ||
      nchw.size(3) != plan_.input_w)
    throw std::invalid_argument("reference " + plan_.arch + ": expected input (N, 3, " +
                                std::to_string(plan_.input_h) + ", " +
                                std::to_string(plan_.input_w) + "), got " +
                                c10::str(nchw.sizes()));
  return nchw.to(torch::kFloat).contiguous();
}

torch::Tensor ReferenceModel::forward(const torch::Tensor& nchw) const {
  torch::Tensor x = checked_input(nchw);
  torch::NoGradGuard no_grad;
  const ParamLookup lookup = [this](const std::string& key) { return param(key); };
  for (const Block& b : plan_.blocks) x = run_block(b, lookup, x);
  return x;
}

torch::Tensor ReferenceModel::forward_train(const torch::Tensor& nchw) {
  torch::Tensor x = checked_input(nchw);
  torch::AutoGradMode grad(true);
  const RunMode mode{true, plan_.dropout};
  const ParamLookup lookup = [this](const std::string& key) { return param(key); };
  for (const Block& b : plan_.blocks) x = run_block(b, lookup, x, mode);
  return x;
}

std::vector<torch::Tensor> ReferenceModel::parameters() const {
  std::vector<torch::Tensor> out;
  for (const auto& e : entries_)
    if (e.second.requires_grad()) out.push_back(e.second);
  return out;
}

std::vector<std::pair<std::string, std::vector<int64_t>>> ReferenceModel::state_dict_names()
    const {
  std::vector<std::pair<std::string, std::vector<int64_t>>> out;
  for (const auto& e : entries_) out.emplace_back(e.first, e.second.sizes().vec());
  return out;
}

}  // namespace micronet
