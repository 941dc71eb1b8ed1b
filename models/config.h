// MicroNet model configurations (official `backbone/microconfig.py` rows and the
// per-model settings of MICRONET_SPEC.md), held as plain data.
#pragma once

#include <array>
#include <string>
#include <vector>

namespace micronet {

// One row of the official configuration table:
// s, n, c, ks, c1, c2, g1, g2, c3, g3, g4, y1, y2, y3, r.
struct BlockRow {
  int stride, repeat, out_channels, kernel;
  int exp1, exp2;    // c1, c2: channel expansion of the block
  int g1, g2;        // group pair of the first conv / permutation groups
  int c3, g3, g4;    // hidden channels of the 1x1 (unused by the official code), groups, shuffle
  int y1, y2, y3;    // activation codes per slot: 0 ReLU6/none, 1 shift-max K=1, 2 shift-max K=2
  int r;             // reduction multiplier of the shift-max hyper-function
  // Not in the official table (which always has J = 2): the group shifts of this row's
  // Dynamic Shift-Max layers, for the paper's ablations (J = 1 is Dynamic ReLU).
  int J = 2;
};

struct ModelConfig {
  std::string arch;          // "m0".."m3", or a custom config's name
  std::string config_name;   // official NET_CONFIG name
  int stem_channels = 0;
  std::array<int, 2> stem_groups;
  int out_channels = 0;      // width of the first head Linear
  std::array<float, 2> init_a;
  std::array<float, 2> init_b;
  std::array<float, 2> init_a_block3 = {1.0f, 0.0f};
  float act_max = 2.0f;
  int reduction = 8;
  float dropout = 0.0f;
  int num_classes = 1000;
  std::vector<BlockRow> rows = {};
  int input_h = 224, input_w = 224;  // the size the model is meant for (plans may use others)
};

bool operator==(const BlockRow& a, const BlockRow& b);
bool operator==(const ModelConfig& a, const ModelConfig& b);
inline bool operator!=(const ModelConfig& a, const ModelConfig& b) { return !(a == b); }
bool is_known_arch(const std::string& arch);

// The four official models. Throws std::invalid_argument naming the valid choices.
const ModelConfig& model_config(const std::string& arch);
const std::vector<std::string>& known_archs();

}  // namespace micronet
