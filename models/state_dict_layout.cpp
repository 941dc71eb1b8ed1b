#include "models/state_dict_layout.h"

#include <cmath>
#include <set>

namespace micronet {
namespace {

void conv(std::vector<ParamSpec>& out, const std::string& key, std::vector<int64_t> shape) {
  out.push_back({key + ".weight", std::move(shape)});
}

void batch_norm(std::vector<ParamSpec>& out, const std::string& key, int64_t c) {
  out.push_back({key + ".weight", {c}});
  out.push_back({key + ".bias", {c}});
  out.push_back({key + ".running_mean", {c}, DType::F32, false});
  out.push_back({key + ".running_var", {c}, DType::F32, false});
  out.push_back({key + ".num_batches_tracked", {}, DType::I64, false});
}

void linear(std::vector<ParamSpec>& out, const std::string& key, int64_t in, int64_t outc) {
  out.push_back({key + ".weight", {outc, in}});
  out.push_back({key + ".bias", {outc}});
}

}  // namespace

std::vector<ParamSpec> state_dict_layout(const ModelPlan& plan) {
  std::vector<ParamSpec> out;
  for (const Block& b : plan.blocks) {
    for (const Op& op : b.ops) {
      const std::string& k = op.key;
      switch (op.kind) {
        case OpKind::Stem: {
          const int64_t g1 = op.groups, c2 = int64_t(op.groups) * op.groups2;
          conv(out, k + ".conv.0", {g1, op.in_channels, op.kernel, 1});
          batch_norm(out, k + ".conv.1", g1);
          conv(out, k + ".conv.2", {c2, 1, 1, op.kernel});
          batch_norm(out, k + ".conv.3", c2);
          break;
        }
        case OpKind::DepthwiseSep: {
          const int64_t mid = int64_t(op.in_channels) * op.exp1;
          conv(out, k + ".conv.0", {mid, 1, op.kernel, 1});
          batch_norm(out, k + ".conv.1", mid);
          conv(out, k + ".conv.2", {op.out_channels, 1, 1, op.kernel});
          batch_norm(out, k + ".conv.3", op.out_channels);
          break;
        }
        case OpKind::GroupConv:
          conv(out, k + ".conv.0", {op.out_channels, op.in_channels / op.groups, 1, 1});
          batch_norm(out, k + ".conv.1", op.out_channels);
          break;
        case OpKind::ShiftMax:
          linear(out, k + ".fc.0", op.in_channels, op.squeeze);
          linear(out, k + ".fc.2", op.squeeze, int64_t(op.in_channels) * op.J * op.K);
          break;
        case OpKind::Head:
          linear(out, k + ".0.linear.0", op.in_channels, op.hidden);
          batch_norm(out, k + ".0.linear.1", op.hidden);
          linear(out, k + ".2.linear.0", op.hidden, op.num_classes);
          batch_norm(out, k + ".2.linear.1", op.num_classes);
          break;
        case OpKind::ReLU6:
        case OpKind::Shuffle: break;
      }
    }
  }
  return out;
}

namespace {
std::string shape_string(const std::vector<int64_t>& s) {
  if (s.empty()) return "scalar";
  std::string r;
  for (size_t i = 0; i < s.size(); ++i) r += (i ? "x" : "") + std::to_string(s[i]);
  return r;
}
}  // namespace

void validate_state_dict(const TensorMap& weights, const std::vector<ParamSpec>& layout,
                         const std::string& source) {
  std::set<std::string> expected;
  for (const ParamSpec& p : layout) {
    expected.insert(p.key);
    auto it = weights.find(p.key);
    if (it == weights.end())
      throw FormatError(source + ": missing key '" + p.key + "' (expected shape " +
                        shape_string(p.shape) + ")");
    const Tensor& t = it->second;
    if (t.shape != p.shape)
      throw FormatError(source + ": key '" + p.key + "' has shape " + shape_string(t.shape) +
                        ", expected " + shape_string(p.shape));
    const bool float_ok = p.dtype == DType::F32 && t.dtype == DType::F32;
    const bool int_ok = p.dtype == DType::I64 && (t.dtype == DType::I64 || t.dtype == DType::I32);
    if (!float_ok && !int_ok)
      throw FormatError(source + ": key '" + p.key + "' has dtype " + dtype_name(t.dtype) +
                        ", expected " + dtype_name(p.dtype));
  }
  for (const auto& kv : weights)
    if (!expected.count(kv.first))
      throw FormatError(source + ": unexpected key '" + kv.first + "' (shape " +
                        kv.second.shape_str() + ")");
  for (const ParamSpec& p : layout)
    if (p.dtype == DType::F32) validate_values(weights.at(p.key), p.key, source);
}

namespace {
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

void validate_values(const Tensor& t, const std::string& key, const std::string& source) {
  const float* v = t.f32_data();
  // A negative running variance makes BatchNorm's 1/sqrt(var + eps) NaN for every input.
  const bool variance = ends_with(key, ".running_var");
  for (int64_t i = 0, n = t.numel(); i < n; ++i) {
    if (!std::isfinite(v[i]))
      throw FormatError(source + ": key '" + key + "' holds a non-finite value (" +
                        std::to_string(v[i]) + ") at flat index " + std::to_string(i) +
                        ": the weights are corrupt or the training diverged");
    if (variance && v[i] < 0.f)
      throw FormatError(source + ": key '" + key + "' holds a negative BatchNorm running variance (" +
                        std::to_string(v[i]) + ") at index " + std::to_string(i));
  }
}

}  // namespace micronet
