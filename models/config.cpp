#include "models/config.h"

#include <stdexcept>

namespace micronet {
namespace {

// Rows transcribed from the official microconfig.py (facts, not code).
//                 s  n    c ks c1 c2  g1  g2   c3  g3  g4 y1 y2 y3 r
ModelConfig make_m0() {
  ModelConfig m{"m0", "msnx_dy6_exp4_4M_221", 4, {2, 2}, 640, {1.0f, 1.0f}, {0.0f, 0.0f}};
  m.dropout = 0.05f;
  m.rows = {
      {2, 1, 8, 3, 2, 2, 0, 4, 8, 2, 2, 2, 0, 1, 1},
      {2, 1, 12, 3, 2, 2, 0, 8, 12, 4, 4, 2, 2, 1, 1},
      {2, 1, 16, 5, 2, 2, 0, 12, 16, 4, 4, 2, 2, 1, 1},
      {1, 1, 32, 5, 1, 4, 4, 4, 32, 4, 4, 2, 2, 1, 1},
      {2, 1, 64, 5, 1, 4, 8, 8, 64, 8, 8, 2, 2, 1, 1},
      {1, 1, 96, 3, 1, 4, 8, 8, 96, 8, 8, 2, 2, 1, 2},
      {1, 1, 384, 3, 1, 4, 12, 12, 0, 0, 0, 2, 2, 1, 2},
  };
  return m;
}

ModelConfig make_m1() {
  ModelConfig m{"m1", "msnx_dy6_exp6_6M_221", 6, {3, 2}, 960, {1.0f, 1.0f}, {0.0f, 0.0f}};
  m.dropout = 0.05f;
  m.rows = {
      {2, 1, 8, 3, 2, 2, 0, 6, 8, 2, 2, 2, 0, 1, 1},
      {2, 1, 16, 3, 2, 2, 0, 8, 16, 4, 4, 2, 2, 1, 1},
      {2, 1, 16, 5, 2, 2, 0, 16, 16, 4, 4, 2, 2, 1, 1},
      {1, 1, 32, 5, 1, 6, 4, 4, 32, 4, 4, 2, 2, 1, 1},
      {2, 1, 64, 5, 1, 6, 8, 8, 64, 8, 8, 2, 2, 1, 1},
      {1, 1, 96, 3, 1, 6, 8, 8, 96, 8, 8, 2, 2, 1, 2},
      {1, 1, 576, 3, 1, 6, 12, 12, 0, 0, 0, 2, 2, 1, 2},
  };
  return m;
}

ModelConfig make_m2() {
  ModelConfig m{"m2", "msnx_dy9_exp6_12M_221", 8, {4, 2}, 1024, {1.0f, 1.0f}, {0.0f, 0.0f}};
  m.dropout = 0.1f;
  m.rows = {
      {2, 1, 12, 3, 2, 2, 0, 8, 12, 4, 4, 2, 0, 1, 1},
      {2, 1, 16, 3, 2, 2, 0, 12, 16, 4, 4, 2, 2, 1, 1},
      {1, 1, 24, 3, 2, 2, 0, 16, 24, 4, 4, 2, 2, 1, 1},
      {2, 1, 32, 5, 1, 6, 6, 6, 32, 4, 4, 2, 2, 1, 1},
      {1, 1, 32, 5, 1, 6, 8, 8, 32, 4, 4, 2, 2, 1, 2},
      {1, 1, 64, 5, 1, 6, 8, 8, 64, 8, 8, 2, 2, 1, 2},
      {2, 1, 96, 5, 1, 6, 8, 8, 96, 8, 8, 2, 2, 1, 2},
      {1, 1, 128, 3, 1, 6, 12, 12, 128, 8, 8, 2, 2, 1, 2},
      {1, 1, 768, 3, 1, 6, 16, 16, 0, 0, 0, 2, 2, 1, 2},
  };
  return m;
}

ModelConfig make_m3() {
  ModelConfig m{"m3", "msnx_dy12_exp6_20M_020", 12, {4, 3}, 1024, {1.0f, 0.5f}, {0.0f, 0.5f}};
  m.dropout = 0.1f;
  m.rows = {
      {2, 1, 16, 3, 2, 2, 0, 12, 16, 4, 4, 0, 2, 0, 1},
      {2, 1, 24, 3, 2, 2, 0, 16, 24, 4, 4, 0, 2, 0, 1},
      {1, 1, 24, 3, 2, 2, 0, 24, 24, 4, 4, 0, 2, 0, 1},
      {2, 1, 32, 5, 1, 6, 6, 6, 32, 4, 4, 0, 2, 0, 1},
      {1, 1, 32, 5, 1, 6, 8, 8, 32, 4, 4, 0, 2, 0, 2},
      {1, 1, 64, 5, 1, 6, 8, 8, 48, 8, 8, 0, 2, 0, 2},
      {1, 1, 80, 5, 1, 6, 8, 8, 80, 8, 8, 0, 2, 0, 2},
      {1, 1, 80, 5, 1, 6, 10, 10, 80, 8, 8, 0, 2, 0, 2},
      {2, 1, 120, 5, 1, 6, 10, 10, 120, 10, 10, 0, 2, 0, 2},
      {1, 1, 120, 5, 1, 6, 12, 12, 120, 10, 10, 0, 2, 0, 2},
      {1, 1, 144, 3, 1, 6, 12, 12, 144, 12, 12, 0, 2, 0, 2},
      {1, 1, 864, 3, 1, 6, 12, 12, 0, 0, 0, 0, 2, 0, 2},
  };
  return m;
}

}  // namespace

const std::vector<std::string>& known_archs() {
  static const std::vector<std::string> archs = {"m0", "m1", "m2", "m3"};
  return archs;
}

bool is_known_arch(const std::string& arch) {
  for (const std::string& a : known_archs())
    if (a == arch) return true;
  return false;
}

bool operator==(const BlockRow& a, const BlockRow& b) {
  return a.stride == b.stride && a.repeat == b.repeat && a.out_channels == b.out_channels &&
         a.kernel == b.kernel && a.exp1 == b.exp1 && a.exp2 == b.exp2 && a.g1 == b.g1 && a.g2 == b.g2 &&
         a.c3 == b.c3 && a.g3 == b.g3 && a.g4 == b.g4 && a.y1 == b.y1 && a.y2 == b.y2 && a.y3 == b.y3 &&
         a.r == b.r && a.J == b.J;
}

bool operator==(const ModelConfig& a, const ModelConfig& b) {
  return a.arch == b.arch && a.config_name == b.config_name && a.stem_channels == b.stem_channels &&
         a.stem_groups == b.stem_groups && a.out_channels == b.out_channels && a.init_a == b.init_a &&
         a.init_b == b.init_b && a.init_a_block3 == b.init_a_block3 && a.act_max == b.act_max &&
         a.reduction == b.reduction && a.dropout == b.dropout && a.num_classes == b.num_classes &&
         a.rows == b.rows && a.input_h == b.input_h && a.input_w == b.input_w;
}

const ModelConfig& model_config(const std::string& arch) {
  static const ModelConfig m0 = make_m0(), m1 = make_m1(), m2 = make_m2(), m3 = make_m3();
  if (arch == "m0") return m0;
  if (arch == "m1") return m1;
  if (arch == "m2") return m2;
  if (arch == "m3") return m3;
  throw std::invalid_argument("unknown arch '" + arch + "' (expected one of: m0 m1 m2 m3)");
}

}  // namespace micronet
