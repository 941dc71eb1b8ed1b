#include "models/cost.h"

#include <cstdio>
#include <sstream>

namespace micronet {

namespace {
int64_t bn_params(int64_t c) { return 2 * c; }
}  // namespace

OpCost op_cost(const Op& op) {
  OpCost c;
  c.op = op.workload_key();
  c.key = op.key;
  const int64_t out_hw = int64_t(op.out_h) * op.out_w;
  switch (op.kind) {
    case OpKind::Stem: {
      const int64_t g1 = op.groups, g2 = op.groups2;
      const int64_t mid_h = op.out_h, mid_w = op.in_w;  // after the kx1 conv, stride (2,1)
      c.params = g1 * op.in_channels * op.kernel + bn_params(g1) + g1 * g2 * op.kernel +
                 bn_params(g1 * g2);
      c.conv_madds = mid_h * mid_w * g1 * op.in_channels * op.kernel + out_hw * g1 * g2 * op.kernel;
      break;
    }
    case OpKind::DepthwiseSep: {
      const int64_t mid_c = int64_t(op.in_channels) * op.exp1;
      const int64_t mid_hw = int64_t(op.out_h) * op.in_w;
      c.params = mid_c * op.kernel + bn_params(mid_c) + int64_t(op.out_channels) * op.kernel +
                 bn_params(op.out_channels);
      c.conv_madds = mid_hw * mid_c * op.kernel + out_hw * op.out_channels * op.kernel;
      break;
    }
    case OpKind::GroupConv: {
      const int64_t w = int64_t(op.out_channels) * (op.in_channels / op.groups);
      c.params = w + bn_params(op.out_channels);
      c.conv_madds = out_hw * w;
      break;
    }
    case OpKind::ShiftMax: {
      const int64_t C = op.in_channels, S = op.squeeze, out = C * 2 * op.K;
      c.params = C * S + S + S * out + out;
      c.linear_madds = C * S + S * out;
      c.shiftmax_madds = out_hw * C * op.J * op.K;
      break;
    }
    case OpKind::Head: {
      const int64_t C = op.in_channels, H = op.hidden, N = op.num_classes;
      c.params = C * H + H + bn_params(H) + H * N + N + bn_params(N);
      c.linear_madds = C * H + H * N;
      break;
    }
    case OpKind::ReLU6:
    case OpKind::Shuffle: break;
  }
  return c;
}

CostReport cost_report(const ModelPlan& plan) {
  CostReport r;
  for (const Block& b : plan.blocks) {
    const std::string name =
        (b.feature_index >= 0 ? "features." + std::to_string(b.feature_index) : std::string("classifier")) +
        " (" + block_kind_name(b.kind) + ")";
    for (const Op& op : b.ops) {
      OpCost c = op_cost(op);
      c.block = name;
      r.params += c.params;
      r.madds += c.madds();
      r.ops.push_back(c);
    }
  }
  return r;
}

std::string cost_report_json(const ModelPlan& plan, const CostReport& r) {
  std::ostringstream s;
  s << "{\"arch\": \"" << plan.arch << "\", \"input\": [" << plan.input_h << ", " << plan.input_w
    << "], \"num_classes\": " << plan.num_classes << ", \"params\": " << r.params
    << ", \"madds\": " << r.madds << ", \"layers\": [";
  for (size_t i = 0; i < r.ops.size(); ++i) {
    const OpCost& c = r.ops[i];
    s << (i ? ", " : "") << "{\"block\": \"" << c.block << "\", \"op\": \"" << c.op
      << "\", \"key\": \"" << c.key << "\", \"params\": " << c.params
      << ", \"madds\": " << c.madds() << ", \"conv_madds\": " << c.conv_madds
      << ", \"linear_madds\": " << c.linear_madds << ", \"shiftmax_madds\": " << c.shiftmax_madds
      << "}";
  }
  s << "]}";
  return s.str();
}

std::string cost_report_table(const ModelPlan& plan, const CostReport& r) {
  std::ostringstream s;
  char line[512];
  std::snprintf(line, sizeof line, "MicroNet-%s, input %dx%d, %d classes\n", plan.arch.c_str(),
                plan.input_h, plan.input_w, plan.num_classes);
  s << line;
  std::snprintf(line, sizeof line, "%-24s %-44s %10s %12s\n", "block", "op", "params", "MAdds");
  s << line;
  for (const OpCost& c : r.ops) {
    std::snprintf(line, sizeof line, "%-24s %-44s %10lld %12lld\n", c.block.c_str(), c.op.c_str(),
                  (long long)c.params, (long long)c.madds());
    s << line;
  }
  std::snprintf(line, sizeof line, "total: %.2fM params, %.2fM MAdds\n", r.params / 1e6,
                r.madds / 1e6);
  s << line;
  return s.str();
}

}  // namespace micronet
