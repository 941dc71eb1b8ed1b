#include "runtime/prepared_weights.h"

#include <cmath>

namespace micronet {

namespace {

const Tensor& get(const TensorMap& w, const std::string& key, int64_t numel) {
  auto it = w.find(key);
  if (it == w.end()) throw FormatError("weights: missing key '" + key + "'");
  if (it->second.dtype != DType::F32)
    throw FormatError("weights: key '" + key + "' has dtype " + dtype_name(it->second.dtype) +
                      ", expected F32");
  if (it->second.numel() != numel)
    throw FormatError("weights: key '" + key + "' has shape " + it->second.shape_str() +
                      " (" + std::to_string(it->second.numel()) + " values), expected " +
                      std::to_string(numel) + " values");
  return it->second;
}

std::vector<float> values(const TensorMap& w, const std::string& key, int64_t numel) {
  const Tensor& t = get(w, key, numel);
  return std::vector<float>(t.f32_data(), t.f32_data() + numel);
}

// Folds BatchNorm `bn` into weights whose rows (outer index) are its channels.
void fold_batch_norm(const TensorMap& w, const std::string& bn, int64_t channels,
                     std::vector<float>& weight, std::vector<float>& bias,
                     const std::vector<float>* pre_bias = nullptr) {
  const std::vector<float> gamma = values(w, bn + ".weight", channels);
  const std::vector<float> beta = values(w, bn + ".bias", channels);
  const std::vector<float> mean = values(w, bn + ".running_mean", channels);
  const std::vector<float> var = values(w, bn + ".running_var", channels);
  const size_t per_row = weight.size() / size_t(channels);
  bias.assign(size_t(channels), 0.f);
  for (int64_t c = 0; c < channels; ++c) {
    // Computed in double: the folded value is then the correctly rounded fp32 product.
    const double s = double(gamma[c]) / std::sqrt(double(var[c]) + double(kBatchNormEps));
    for (size_t i = 0; i < per_row; ++i) weight[c * per_row + i] = float(weight[c * per_row + i] * s);
    const double b0 = pre_bias ? (*pre_bias)[c] : 0.0;
    bias[c] = float((b0 - mean[c]) * s + beta[c]);
  }
}

std::vector<int32_t> to_i32(const std::vector<int>& v) { return {v.begin(), v.end()}; }

}  // namespace

std::vector<PreparedStep> prepare_weights(const ModelPlan& plan,
                                          const std::vector<KernelStep>& steps,
                                          const TensorMap& w) {
  std::vector<PreparedStep> out;
  for (const KernelStep& st : steps) {
    const Op& op = plan.blocks[st.block].ops[st.conv_op];
    const KernelSpec& k = st.spec;
    const std::string& p = op.key;
    PreparedStep ps;
    ps.in_map = to_i32(st.in_map);
    ps.res_map = to_i32(st.res_map);
    ps.out_select = to_i32(st.out_select);
    ps.shift_perm = to_i32(st.shift_perm);
    switch (k.family) {
      case KernelFamily::Stem: {
        // torch (g1, 3, k, 1) is already (ky, ci, m) with ky fastest; (g1*g2, 1, 1, k) is (kx, o).
        const int64_t g1 = k.groups, c2 = int64_t(k.groups) * k.groups2;
        ps.w1 = values(w, p + ".conv.0.weight", g1 * 3 * k.kernel);
        fold_batch_norm(w, p + ".conv.1", g1, ps.w1, ps.b1);
        ps.w2 = values(w, p + ".conv.2.weight", c2 * k.kernel);
        fold_batch_norm(w, p + ".conv.3", c2, ps.w2, ps.b2);
        break;
      }
      case KernelFamily::DepthwiseSep: {
        const int64_t mid = int64_t(k.in_channels) * k.exp1, outc = mid * k.exp2;
        ps.w1 = values(w, p + ".conv.0.weight", mid * k.kernel);
        fold_batch_norm(w, p + ".conv.1", mid, ps.w1, ps.b1);
        ps.w2 = values(w, p + ".conv.2.weight", outc * k.kernel);
        fold_batch_norm(w, p + ".conv.3", outc, ps.w2, ps.b2);
        break;
      }
      case KernelFamily::GroupConv: {
        const int64_t outc = k.out_channels, per = k.in_channels / k.groups;
        ps.w1 = values(w, p + ".conv.0.weight", outc * per);
        fold_batch_norm(w, p + ".conv.1", outc, ps.w1, ps.b1);
        break;
      }
      case KernelFamily::Head: {
        const int64_t C = k.in_channels, H = k.hidden, N = k.classes;
        auto linear_bn = [&](const std::string& lin, const std::string& bn, int64_t in,
                             int64_t outc, std::vector<float>& wt, std::vector<float>& b) {
          std::vector<float> rows = values(w, lin + ".weight", outc * in);
          const std::vector<float> lb = values(w, lin + ".bias", outc);
          fold_batch_norm(w, bn, outc, rows, b, &lb);
          wt.assign(size_t(in * outc), 0.f);  // transpose (out, in) -> (in, out)
          for (int64_t o = 0; o < outc; ++o)
            for (int64_t i = 0; i < in; ++i) wt[i * outc + o] = rows[o * in + i];
        };
        linear_bn(p + ".0.linear.0", p + ".0.linear.1", C, H, ps.w1, ps.b1);
        linear_bn(p + ".2.linear.0", p + ".2.linear.1", H, N, ps.w2, ps.b2);
        break;
      }
    }
    if (k.act == kActShiftMax) {
      const Op& sm = plan.blocks[st.block].ops[st.act_op];
      const int64_t C = sm.in_channels, S = sm.squeeze, JK = C * sm.J * sm.K;
      ps.squeeze = sm.squeeze;
      ps.fc1_w = values(w, sm.key + ".fc.0.weight", S * C);
      ps.fc1_b = values(w, sm.key + ".fc.0.bias", S);
      // Transposed to (s, j) rows, j contiguous: FC2 runs as axpy over j with dense vector
      // loads instead of stride-S gathers (x86, dwsep_c256_e1x1_k3s1_sm2x2q16 in a Halide
      // profile build, 1 thread, dev machine: FC2 12-15 -> 1 us of a 57-100 us kernel);
      // on a GPU neighbouring threads j read neighbouring weights.
      const std::vector<float> fc2 = values(w, sm.key + ".fc.2.weight", JK * S);
      ps.fc2_w.resize(fc2.size());
      for (int64_t j = 0; j < JK; ++j)
        for (int64_t s = 0; s < S; ++s) ps.fc2_w[size_t(s * JK + j)] = fc2[size_t(j * S + s)];
      ps.fc2_b = values(w, sm.key + ".fc.2.bias", JK);
      ps.coef_offset.assign(size_t(JK), 0.f);
      for (int kk = 0; kk < sm.K; ++kk)
        for (int j = 0; j < sm.J; ++j) {
          const float off = j == 0 ? sm.init_a[kk] : (j == 1 ? sm.init_b[kk] : 0.f);
          for (int64_t c = 0; c < C; ++c) ps.coef_offset[size_t((kk * sm.J + j) * C + c)] = off;
        }
    }
    out.push_back(std::move(ps));
  }
  return out;
}

}  // namespace micronet
