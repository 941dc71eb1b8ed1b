// Model configurations as JSON files (models/configs/m0.json .. m3.json, and users' own):
// the per-model settings and the official configuration table's rows, each row an object
// keyed by the official column names. docs/compile.md shows the schema:
//
//   {"name": "m0", "config_name": "msnx_dy6_exp4_4M_221",
//    "stem_ch": 4, "stem_groups": [2, 2], "out_ch": 640,
//    "init_a": [1.0, 1.0], "init_b": [0.0, 0.0], "init_a_block3": [1.0, 0.0],
//    "act_max": 2.0, "reduction": 8, "dropout": 0.05, "classes": 1000, "input_size": [224, 224],
//    "rows": [{"s": 2, "n": 1, "c": 8, "ks": 3, "c1": 2, "c2": 2, "g1": 0, "g2": 4, "c3": 8,
//              "g3": 2, "g4": 2, "y1": 2, "y2": 0, "y3": 1, "r": 1}, ...]}
//
// Optional: config_name (default = name), init_a_block3 ([1, 0]), act_max (2.0, the only
// value the kernels implement), reduction (8), dropout (0), classes (1000), input_size
// ([224, 224]). Beyond the official table, a row may set "J" (default 2): the group shifts
// of its Dynamic Shift-Max layers (the paper's ablations; J = 1 is Dynamic ReLU).
#pragma once

#include <stdexcept>
#include <string>

#include "models/config.h"

namespace micronet {

struct ConfigError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// Parses and validates a config document. Every error is a ConfigError starting with
// `source` and naming the field (and the row: "rows[3].g2"), e.g.
// "my.json: rows[3].g2: 5 does not divide the 24 channels of features.4.layers.1".
// The network is planned once at its input size, so a config that parses also plans.
ModelConfig config_from_json(const std::string& text, const std::string& source);
ModelConfig load_config_file(const std::string& path);

// The config as one JSON document (every field written, rows one per line); reads back
// equal with config_from_json.
std::string config_to_json(const ModelConfig& cfg);

// "m0".."m3" -> the built-in model; anything else is read as a config file.
ModelConfig config_for(const std::string& arch_or_file);

}  // namespace micronet
