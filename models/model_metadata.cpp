#include "models/model_metadata.h"

#include <cstdio>
#include <cstdlib>

#include "formats/tensor.h"

namespace micronet {

std::string join_names(const std::vector<std::string>& names) {
  std::string s;
  for (size_t i = 0; i < names.size(); ++i) s += (i ? "," : "") + names[i];
  return s;
}

std::vector<std::string> split_names(const std::string& s) {
  std::vector<std::string> out;
  if (s.empty()) return out;
  size_t start = 0;
  for (;;) {
    const size_t comma = s.find(',', start);
    out.push_back(s.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

namespace {

int to_int(const std::string& key, const std::string& v, const std::string& source) {
  char* end = nullptr;
  const long x = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || x < 1 || x > 1000000)
    throw FormatError(source + ": metadata " + key + " must be a positive integer, got '" + v + "'");
  return int(x);
}

float to_float(const std::string& key, const std::string& v, const std::string& source) {
  char* end = nullptr;
  const float x = std::strtof(v.c_str(), &end);
  if (v.empty() || *end != '\0')
    throw FormatError(source + ": metadata " + key + " must be a number, got '" + v + "'");
  return x;
}

std::string fmt(float v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.4f", v);
  return b;
}

}  // namespace

ModelMetadata ModelMetadata::from_map(const std::map<std::string, std::string>& m,
                                      const std::string& source) {
  ModelMetadata md;
  for (const auto& [k, v] : m) {
    if (k == "arch") md.arch = v;
    else if (k == "num_classes") md.num_classes = to_int(k, v, source);
    else if (k == "input_height") md.input_h = to_int(k, v, source);
    else if (k == "input_width") md.input_w = to_int(k, v, source);
    else if (k == "class_names") md.class_names = split_names(v);
    else if (k == "preprocess") md.preprocess = v;
    else if (k == "resize") md.resize = v;
    else if (k == "mean") md.mean = to_float(k, v, source);
    else if (k == "std") md.std = to_float(k, v, source);
    else md.extra[k] = v;
  }
  if ((md.input_h == 0) != (md.input_w == 0))
    throw FormatError(source + ": metadata has only one of input_height / input_width");
  if (!md.class_names.empty() && md.num_classes > 0 && int(md.class_names.size()) != md.num_classes)
    throw FormatError(source + ": metadata class_names has " + std::to_string(md.class_names.size()) +
                      " names for num_classes " + std::to_string(md.num_classes));
  if (!md.preprocess.empty() && md.preprocess != "grey3")
    throw FormatError(source + ": metadata preprocess '" + md.preprocess + "' is unknown (expected grey3)");
  if (!md.resize.empty() && md.resize != "bilinear")
    throw FormatError(source + ": metadata resize '" + md.resize + "' is unknown (expected bilinear)");
  if (md.grey() && !(md.std > 0))
    throw FormatError(source + ": metadata preprocess grey3 needs a positive std");
  return md;
}

std::map<std::string, std::string> ModelMetadata::to_map() const {
  std::map<std::string, std::string> m = extra;
  if (!arch.empty()) m["arch"] = arch;
  if (num_classes > 0) m["num_classes"] = std::to_string(num_classes);
  if (input_h > 0) m["input_height"] = std::to_string(input_h);
  if (input_w > 0) m["input_width"] = std::to_string(input_w);
  if (!class_names.empty()) m["class_names"] = join_names(class_names);
  if (!preprocess.empty()) m["preprocess"] = preprocess;
  if (!resize.empty()) m["resize"] = resize;
  if (grey()) {
    m["mean"] = fmt(mean);
    m["std"] = fmt(std);
  }
  return m;
}

}  // namespace micronet
