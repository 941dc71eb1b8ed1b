// The layer planner: expands a ModelConfig into the ordered list of operations the
// network executes, each carrying every parameter that fixes its code. The LibTorch
// reference, the cost report, the Halide build and the runtime all read this one plan.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "models/config.h"

namespace micronet {

enum class OpKind {
  Stem,           // conv kx1 (3 -> g1, stride (2,1)) + BN, conv 1xk (groups g1, -> g1*g2,
                  // stride (1,2)) + BN, shuffle(g1), ReLU6
  DepthwiseSep,   // conv kx1 (groups in, in -> in*e1, stride (s,1)) + BN, then
                  // conv 1xk (groups in*e1, -> in*e1*e2, stride (1,s)) + BN
  GroupConv,      // 1x1 conv with `groups` (no bias) + BN
  ShiftMax,       // Dynamic Shift-Max (J group shifts, K fusions)
  ReLU6,
  Shuffle,        // channel shuffle with `groups`
  Head,           // ReLU6, global pool, h_swish, Linear+BN1d+h_swish, Linear+BN1d+h_swish
};

const char* op_kind_name(OpKind k);

struct Op {
  OpKind kind;
  std::string key;  // state_dict prefix of this op's parameters ("" for parameter-free ops)
  int in_channels = 0, out_channels = 0;
  int in_h = 0, in_w = 0, out_h = 0, out_w = 0;
  int kernel = 1, stride = 1;
  int groups = 1;           // GroupConv / Shuffle groups; Stem: g1
  int groups2 = 1;          // Stem: g2
  int exp1 = 1, exp2 = 1;   // DepthwiseSep channel expansion
  // ShiftMax
  int J = 2, K = 1;
  int reduction = 0, squeeze = 0;
  int perm_groups = 1;      // g of the channel permutation x2[c] = x[perm[c]]
  std::array<float, 2> init_a{{0.f, 0.f}}, init_b{{0.f, 0.f}};
  // Head
  int hidden = 0;           // width of the first Linear
  int num_classes = 0;

  // The string that names this op's code exactly: kind, shapes, groups, k, stride, J, K.
  // Equal keys may share one compiled kernel.
  std::string workload_key() const;
};

enum class BlockKind { Stem, MicroA, MicroBC, Final, Head };
const char* block_kind_name(BlockKind k);

struct Block {
  BlockKind kind;
  int feature_index = -1;   // features.<i> (-1 for the head)
  bool residual = false;    // out += block input
  int in_channels = 0, out_channels = 0;
  int in_h = 0, in_w = 0, out_h = 0, out_w = 0;
  std::vector<Op> ops;
};

struct ModelPlan {
  std::string arch;
  int input_h = 224, input_w = 224, num_classes = 1000;
  float dropout = 0.f;        // the config's, for training
  std::vector<Block> blocks;  // stem, one per feature block, head
};

// The largest input side plan_model accepts, and the most values one image's activation
// tensor may hold (Halide buffers index with int32; the runtime checks batch x this).
constexpr int kMaxInputSide = 16384;
constexpr int64_t kMaxTensorElements = 2147483647 - 1024;

// Throws std::invalid_argument for sizes the network cannot take (< 1 pixel anywhere,
// a side over kMaxInputSide, a tensor over kMaxTensorElements values per image).
ModelPlan plan_model(const ModelConfig& cfg, int input_h = 224, int input_w = 224,
                     int num_classes = -1);

// The official shift-max squeeze width: make_divisible(C // reduction, 4), at least 4.
int shift_max_squeeze(int channels, int reduction);
// x2[c] = x[perm[c]] with channels viewed as (g, C/g): both indices rotate by one.
std::vector<int> shift_max_permutation(int channels, int groups);
// Channel shuffle: out[c] = in[perm[c]].
std::vector<int> shuffle_permutation(int channels, int groups);

}  // namespace micronet
