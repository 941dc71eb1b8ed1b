#include "models/kernel_plan.h"

#include <map>
#include <numeric>
#include <sstream>
#include <stdexcept>

namespace micronet {

const char* kernel_family_name(KernelFamily f) {
  switch (f) {
    case KernelFamily::Stem: return "stem";
    case KernelFamily::DepthwiseSep: return "dwsep";
    case KernelFamily::GroupConv: return "gconv";
    case KernelFamily::Head: return "head";
  }
  return "?";
}

const char* KernelSpec::generator() const {
  switch (family) {
    case KernelFamily::Stem: return "micronet_stem";
    case KernelFamily::DepthwiseSep: return "micronet_dwsep";
    case KernelFamily::GroupConv: return "micronet_gconv";
    case KernelFamily::Head: return "micronet_head";
  }
  return "?";
}

std::string KernelSpec::name() const {
  std::ostringstream s;
  s << kernel_family_name(family);
  switch (family) {
    case KernelFamily::Stem:
      s << "_g" << groups << "x" << groups2 << "_k" << kernel << "s" << stride;
      return s.str();
    case KernelFamily::Head:
      s << "_c" << in_channels << "_h" << hidden << "_n" << classes;
      return s.str();
    case KernelFamily::DepthwiseSep:
      s << "_c" << in_channels << "_e" << exp1 << "x" << exp2 << "_k" << kernel << "s" << stride;
      break;
    case KernelFamily::GroupConv:
      s << "_c" << in_channels << "x" << out_channels << "_g" << groups;
      break;
  }
  if (act == kActReLU6) s << "_relu6";
  if (act == kActShiftMax) s << "_sm" << J << "x" << K << "q" << squeeze;
  if (select_output) s << "_sel";
  if (residual) s << "_res";
  return s.str();
}

std::string KernelSpec::generator_params() const {
  std::ostringstream s;
  switch (family) {
    case KernelFamily::Stem:
      s << "g1=" << groups << " g2=" << groups2 << " kernel=" << kernel << " stride=" << stride;
      break;
    case KernelFamily::Head:
      s << "in_channels=" << in_channels << " hidden=" << hidden << " classes=" << classes;
      break;
    case KernelFamily::DepthwiseSep:
      s << "in_channels=" << in_channels << " kernel=" << kernel << " stride=" << stride
        << " exp1=" << exp1 << " exp2=" << exp2;
      break;
    case KernelFamily::GroupConv:
      s << "in_channels=" << in_channels << " out_channels=" << out_channels
        << " groups=" << groups;
      break;
  }
  if (family == KernelFamily::DepthwiseSep || family == KernelFamily::GroupConv) {
    s << " act=" << act << " shift_j=" << J << " shift_k=" << K << " squeeze=" << squeeze
      << " select_output=" << (select_output ? "true" : "false")
      << " residual=" << (residual ? "true" : "false");
  }
  s << " est_h=" << est_h << " est_w=" << est_w << " workload=" << name();
  return s.str();
}

namespace {

std::vector<int> identity(int n) {
  std::vector<int> v(n);
  std::iota(v.begin(), v.end(), 0);
  return v;
}

// Logical channel c of the shuffled tensor is logical channel perm[c] before the shuffle,
// which is stored at map[perm[c]].
std::vector<int> compose(const std::vector<int>& map, const std::vector<int>& perm) {
  std::vector<int> out(perm.size());
  for (size_t c = 0; c < perm.size(); ++c) out[c] = map[perm[c]];
  return out;
}

std::vector<int> shift_table(const Op& sm) {
  const int C = sm.in_channels;
  const std::vector<int> perm = shift_max_permutation(C, sm.perm_groups);
  std::vector<int> table(size_t(C) * sm.J);
  for (int c = 0; c < C; ++c) {
    int src = c;
    for (int j = 0; j < sm.J; ++j) {
      table[size_t(j) * C + c] = src;
      src = perm[src];
    }
  }
  return table;
}

}  // namespace

std::vector<KernelStep> lower_plan(const ModelPlan& plan) {
  std::vector<KernelStep> steps;
  std::vector<int> map;     // stored plane of each logical channel of the current tensor
  int current = 0;          // tensor id of the current activation

  for (size_t bi = 0; bi < plan.blocks.size(); ++bi) {
    const Block& b = plan.blocks[bi];
    if (map.empty()) map = identity(b.in_channels);
    const int block_input = current;
    const std::vector<int> block_input_map = map;
    // The last conv of a residual block carries the residual add.
    int last_conv = -1;
    for (size_t oi = 0; oi < b.ops.size(); ++oi)
      if (b.ops[oi].kind == OpKind::GroupConv || b.ops[oi].kind == OpKind::DepthwiseSep)
        last_conv = int(oi);

    for (size_t oi = 0; oi < b.ops.size(); ++oi) {
      const Op& op = b.ops[oi];
      if (op.kind == OpKind::Shuffle) {
        map = compose(map, shuffle_permutation(op.in_channels, op.groups));
        continue;
      }
      if (op.kind == OpKind::ReLU6 || op.kind == OpKind::ShiftMax)
        throw std::logic_error("lower_plan: activation without a preceding conv in " + op.key);

      if (!steps.empty()) steps.back().out_map = map;
      KernelStep st;
      st.block = int(bi);
      st.conv_op = int(oi);
      st.input = current;
      st.in_map = map;
      st.in_h = op.in_h;
      st.in_w = op.in_w;
      st.out_h = op.out_h;
      st.out_w = op.out_w;
      KernelSpec& k = st.spec;
      k.in_channels = op.in_channels;
      k.out_channels = op.out_channels;
      k.kernel = op.kernel;
      k.stride = op.stride;
      k.est_h = op.in_h;
      k.est_w = op.in_w;
      switch (op.kind) {
        case OpKind::Stem:
          k.family = KernelFamily::Stem;
          k.groups = op.groups;
          k.groups2 = op.groups2;
          k.act = kActReLU6;
          break;
        case OpKind::Head:
          k.family = KernelFamily::Head;
          k.hidden = op.hidden;
          k.classes = op.num_classes;
          break;
        case OpKind::DepthwiseSep:
          k.family = KernelFamily::DepthwiseSep;
          k.exp1 = op.exp1;
          k.exp2 = op.exp2;
          break;
        case OpKind::GroupConv:
          k.family = KernelFamily::GroupConv;
          k.groups = op.groups;
          break;
        default: break;
      }
      // Absorb the activation that follows a conv.
      if (oi + 1 < b.ops.size() &&
          (op.kind == OpKind::GroupConv || op.kind == OpKind::DepthwiseSep)) {
        const Op& next = b.ops[oi + 1];
        if (next.kind == OpKind::ReLU6) {
          k.act = kActReLU6;
          st.act_op = int(++oi);
        } else if (next.kind == OpKind::ShiftMax) {
          k.act = kActShiftMax;
          k.J = next.J;
          k.K = next.K;
          k.squeeze = next.squeeze;
          st.act_op = int(++oi);
          st.shift_perm = shift_table(next);
        }
      }
      map = identity(k.out_channels);
      if (op.kind == OpKind::Stem) map = shuffle_permutation(k.out_channels, op.groups);

      if (b.residual && int(st.conv_op) == last_conv) {
        // Shuffles between this conv and the residual add become the output selection.
        std::vector<int> sel = identity(k.out_channels);
        for (size_t t = oi + 1; t < b.ops.size(); ++t) {
          if (b.ops[t].kind != OpKind::Shuffle)
            throw std::logic_error("lower_plan: unexpected op after the last conv of " + op.key);
          sel = compose(sel, shuffle_permutation(k.out_channels, b.ops[t].groups));
        }
        oi = b.ops.size();
        k.residual = true;
        st.residual = block_input;
        st.res_map = block_input_map;
        if (sel != identity(k.out_channels)) {
          k.select_output = true;
          st.out_select = sel;
        }
      }
      current = int(steps.size()) + 1;
      steps.push_back(st);
    }
    if (!steps.empty()) steps.back().out_map = map;
  }
  return steps;
}

std::vector<KernelSpec> kernels_for(const std::vector<ModelPlan>& plans) {
  std::map<std::string, KernelSpec> by_name;
  for (const ModelPlan& p : plans)
    for (const KernelStep& s : lower_plan(p)) by_name.emplace(s.spec.name(), s.spec);
  std::vector<KernelSpec> out;
  for (auto& kv : by_name) out.push_back(kv.second);
  return out;
}

}  // namespace micronet
