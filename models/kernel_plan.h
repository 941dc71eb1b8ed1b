// Lowering of a ModelPlan to the kernels the Halide path runs. Each convolution absorbs
// the activation that follows it (ReLU6 or Dynamic Shift-Max); channel shuffles become
// index maps (no data moves); the residual add fuses into the block's last kernel.
//
// A KernelSpec names compiled code exactly: the channel counts, groups, kernel, stride,
// expansion, activation, J, K, squeeze, and whether the epilogue selects channels or adds
// a residual. Spatial size and batch are run-time extents of the compiled code; the plan's
// spatial size is kept as the estimate for autoschedulers and the tuning record.
#pragma once

#include <string>
#include <vector>

#include "models/kernel_abi.h"
#include "models/plan.h"

namespace micronet {

enum class KernelFamily { Stem, DepthwiseSep, GroupConv, Head };
const char* kernel_family_name(KernelFamily f);

struct KernelSpec {
  KernelFamily family = KernelFamily::GroupConv;
  int in_channels = 0, out_channels = 0;
  int groups = 1;              // gconv groups; stem: g1
  int groups2 = 1;             // stem: g2
  int kernel = 1, stride = 1, exp1 = 1, exp2 = 1;
  int hidden = 0, classes = 0; // head
  int act = kActNone;          // models/kernel_abi.h: none, ReLU6 or Dynamic Shift-Max
  int J = 2, K = 1, squeeze = 4;
  bool select_output = false, residual = false;
  int est_h = 0, est_w = 0;    // input spatial size in the 224x224 plan (estimates only)

  // C identifier naming the compiled code, e.g. "gconv_c64x32_g4_sm2x1s8_res".
  std::string name() const;
  // GeneratorParams for the family's generator: "in_channels=64 out_channels=32 ...".
  std::string generator_params() const;
  const char* generator() const;  // "micronet_gconv", ...
};

struct KernelStep {
  KernelSpec spec;
  int block = 0;                 // index into ModelPlan::blocks
  int conv_op = -1, act_op = -1; // indices into the block's ops (act_op -1: none)
  // Activation tensors: 0 is the model input; step i writes tensor i + 1.
  int input = 0, residual = -1;
  int out_h = 0, out_w = 0, in_h = 0, in_w = 0;
  // in_map[c]: stored plane of logical input channel c (shuffles folded in).
  std::vector<int> in_map;
  std::vector<int> res_map;      // same for the residual source
  std::vector<int> out_select;   // output plane c holds logical conv channel out_select[c]
  std::vector<int> shift_perm;   // (c, j) -> c + j*C layout, j < J: channel read by shift j
  // Stored plane of each logical channel of this step's output once the shuffles that
  // follow it (up to the next kernel) are applied: the next step's in_map.
  std::vector<int> out_map;
};

std::vector<KernelStep> lower_plan(const ModelPlan& plan);

// Every distinct kernel the given models need at the given size (deduplicated by name).
std::vector<KernelSpec> kernels_for(const std::vector<ModelPlan>& plans);

}  // namespace micronet
