// Reads the official state_dict listings (tests/data/official_state_dicts/micronet_m*_state_dict.tsv:
// "key<TAB>shape" per line, shape "16x1x3x1" or "scalar") for the layout tests.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace micronet::testing {

using KeyShapes = std::vector<std::pair<std::string, std::vector<int64_t>>>;

// The folder of the tsv files, copied into the tree from the official repository's listings
// (the tests never read outside the repository).
inline std::string state_dict_dir() { return MICRONET_STATE_DICT_DIR; }

inline KeyShapes read_state_dict_tsv(const std::string& arch) {
  const std::string path = state_dict_dir() + "/micronet_" + arch + "_state_dict.tsv";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  KeyShapes out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t tab = line.find('\t');
    if (tab == std::string::npos) throw std::runtime_error(path + ": bad line '" + line + "'");
    std::vector<int64_t> shape;
    const std::string dims = line.substr(tab + 1);
    if (dims != "scalar") {
      std::istringstream ds(dims);
      std::string d;
      while (std::getline(ds, d, 'x')) shape.push_back(std::stoll(d));
    }
    out.emplace_back(line.substr(0, tab), shape);
  }
  return out;
}

}  // namespace micronet::testing
