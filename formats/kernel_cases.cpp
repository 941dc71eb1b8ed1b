#include "formats/kernel_cases.h"

#include <cstdio>
#include <map>

#include "formats/safetensors.h"

namespace micronet {

namespace {

constexpr const char* kFormat = "micronet-kernel-cases-1";
constexpr const char* kWeightsPrefix = "weights/";

std::string step_key(size_t i, const char* what) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "step%03zu/", i);
  return buf + std::string(what);
}

// Sane maxima, far above any MicroNet plan (M3 lowers to ~60 steps); the tensors the
// counts describe must be in the file in any case, which is checked before anything is
// allocated for them.
constexpr int kMaxSteps = 4096;
constexpr int kMaxSize = 1 << 16;      // input height / width
constexpr int kMaxBatch = 1 << 16;
constexpr int kMaxClasses = 1 << 20;

int int_field(const std::map<std::string, std::string>& m, const std::string& key,
              const std::string& path) {
  auto it = m.find(key);
  if (it == m.end()) throw FormatError(path + ": kernel cases metadata lacks '" + key + "'");
  try {
    size_t used = 0;
    const long long v = std::stoll(it->second, &used);
    if (used != it->second.size() || v < 0 || v > (1LL << 31) - 1) throw std::invalid_argument("");
    return int(v);
  } catch (const std::exception&) {
    throw FormatError(path + ": kernel cases metadata '" + key + "' is not a count: '" + it->second + "'");
  }
}

Tensor take(TensorMap& t, const std::string& key, const std::string& path) {
  auto it = t.find(key);
  if (it == t.end()) throw FormatError(path + ": kernel cases lack tensor '" + key + "'");
  if (it->second.dtype != DType::F32)
    throw FormatError(path + ": kernel cases tensor '" + key + "' is " + dtype_name(it->second.dtype) +
                      ", expected F32");
  Tensor out = std::move(it->second);
  t.erase(it);
  return out;
}

}  // namespace

void write_kernel_cases(const std::string& path, const KernelCases& c) {
  TensorMap t;
  for (const auto& [key, w] : c.weights) t[kWeightsPrefix + key] = w;
  t["model/input"] = c.model_input;
  t["model/logits"] = c.model_logits;
  for (size_t i = 0; i < c.steps.size(); ++i) {
    t[step_key(i, "input")] = c.steps[i].input;
    if (!c.steps[i].block_input.shape.empty()) t[step_key(i, "block_input")] = c.steps[i].block_input;
    t[step_key(i, "expected")] = c.steps[i].expected;
  }
  const std::map<std::string, std::string> meta = {
      {"format", kFormat},
      {"arch", c.arch},
      {"input_height", std::to_string(c.input_h)},
      {"input_width", std::to_string(c.input_w)},
      {"batch", std::to_string(c.batch)},
      {"num_classes", std::to_string(c.num_classes)},
      {"steps", std::to_string(c.steps.size())},
      {"seed", std::to_string(c.seed)}};
  write_safetensors(path, t, meta);
}

KernelCases read_kernel_cases(const std::string& path) {
  std::map<std::string, std::string> meta;
  TensorMap t = read_safetensors(path, &meta);
  auto fmt = meta.find("format");
  if (fmt == meta.end() || fmt->second != kFormat)
    throw FormatError(path + ": not a kernel cases file (metadata format is '" +
                      (fmt == meta.end() ? std::string() : fmt->second) + "', expected '" + kFormat +
                      "'; write one with `micronet cases`)");
  KernelCases c;
  auto arch = meta.find("arch");
  if (arch == meta.end()) throw FormatError(path + ": kernel cases metadata lacks 'arch'");
  c.arch = arch->second;
  auto bounded = [&](const char* key, int lo, int hi) {
    const int v = int_field(meta, key, path);
    if (v < lo || v > hi)
      throw FormatError(path + ": kernel cases metadata '" + key + "' is " + std::to_string(v) +
                        ", outside " + std::to_string(lo) + ".." + std::to_string(hi));
    return v;
  };
  c.input_h = bounded("input_height", 1, kMaxSize);
  c.input_w = bounded("input_width", 1, kMaxSize);
  c.batch = bounded("batch", 1, kMaxBatch);
  c.num_classes = bounded("num_classes", 1, kMaxClasses);
  c.seed = uint64_t(int_field(meta, "seed", path));
  const int steps = bounded("steps", 0, kMaxSteps);
  // Every step stores at least an input and an expected tensor.
  if (uint64_t(steps) * 2 + 2 > t.size())
    throw FormatError(path + ": kernel cases metadata says " + std::to_string(steps) +
                      " steps, but the file holds only " + std::to_string(t.size()) + " tensors");
  c.model_input = take(t, "model/input", path);
  c.model_logits = take(t, "model/logits", path);
  const std::vector<int64_t> in_shape = {c.batch, 3, c.input_h, c.input_w};
  const std::vector<int64_t> out_shape = {c.batch, c.num_classes};
  if (c.model_input.shape != in_shape || c.model_logits.shape != out_shape)
    throw FormatError(path + ": model/input " + c.model_input.shape_str() + " or model/logits " +
                      c.model_logits.shape_str() + " does not fit the metadata (batch " +
                      std::to_string(c.batch) + ", " + std::to_string(c.input_h) + "x" +
                      std::to_string(c.input_w) + ", " + std::to_string(c.num_classes) + " classes)");
  c.steps.resize(size_t(steps));
  for (size_t i = 0; i < c.steps.size(); ++i) {
    c.steps[i].input = take(t, step_key(i, "input"), path);
    if (t.count(step_key(i, "block_input"))) c.steps[i].block_input = take(t, step_key(i, "block_input"), path);
    c.steps[i].expected = take(t, step_key(i, "expected"), path);
  }
  const std::string prefix = kWeightsPrefix;
  for (auto& [key, w] : t) {
    if (key.compare(0, prefix.size(), prefix) != 0)
      throw FormatError(path + ": unexpected tensor '" + key + "' in kernel cases");
    c.weights[key.substr(prefix.size())] = std::move(w);
  }
  return c;
}

}  // namespace micronet
