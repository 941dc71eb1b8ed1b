// Cost report: learnable parameters (as PyTorch counts them: conv/linear weights and
// biases, BatchNorm affine weight and bias; running statistics excluded) and MAdds
// (conv MACs + linear MACs + Dynamic Shift-Max application H*W*C*J*K).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/plan.h"

namespace micronet {

struct OpCost {
  std::string block;     // e.g. "features.3 (micro-BC)"
  std::string op;        // workload key
  std::string key;       // state_dict prefix
  int64_t params = 0;
  int64_t conv_madds = 0, linear_madds = 0, shiftmax_madds = 0;
  int64_t madds() const { return conv_madds + linear_madds + shiftmax_madds; }
};

struct CostReport {
  std::vector<OpCost> ops;
  int64_t params = 0;
  int64_t madds = 0;
};

OpCost op_cost(const Op& op);
CostReport cost_report(const ModelPlan& plan);
std::string cost_report_json(const ModelPlan& plan, const CostReport& r);
std::string cost_report_table(const ModelPlan& plan, const CostReport& r);

}  // namespace micronet
