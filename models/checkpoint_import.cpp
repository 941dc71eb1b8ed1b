#include "models/checkpoint_import.h"

#include <fstream>

#include "formats/restricted_unpickler.h"
#include "formats/zip_reader.h"
#include "models/config.h"
#include "models/state_dict_layout.h"

namespace micronet {

namespace {

// data.pkl of a state_dict is ~100 bytes per tensor; a larger one is no state_dict.
constexpr uint64_t kMaxPickleBytes = uint64_t(64) << 20;

// Tells zip archives from legacy pickle streams before parsing either.
void check_magic(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FormatError(path + ": cannot open");
  unsigned char head[2] = {0, 0};
  in.read(reinterpret_cast<char*>(head), 2);
  if (in.gcount() == 2 && head[0] == 'P' && head[1] == 'K') return;
  if (in.gcount() == 2 && head[0] == 0x80 && head[1] >= 2 && head[1] <= 5)
    throw FormatError(path + ": legacy (non-zip) PyTorch checkpoint; re-save it with "
                             "torch.save(..., _use_new_zipfile_serialization=True)");
  throw FormatError(path + ": not a PyTorch checkpoint (neither a zip archive nor a pickle)");
}

// torch.save names every entry "<prefix>/...", the prefix being the file's stem at save
// time (or "archive"); the pickle is the one data.pkl directly under it.
std::string find_prefix(const ZipReader& zip, const std::string& path) {
  std::string found;
  for (const std::string& name : zip.names()) {
    const size_t slash = name.find('/');
    if (slash == std::string::npos || name.compare(slash, std::string::npos, "/data.pkl") != 0)
      continue;
    if (!found.empty())
      throw FormatError(path + ": archive holds more than one data.pkl");
    found = name.substr(0, slash);
  }
  if (found.empty()) throw FormatError(path + ": zip archive has no <name>/data.pkl; not a PyTorch checkpoint");
  return found;
}

}  // namespace

uint64_t checkpoint_byte_budget(const ModelPlan& plan) {
  uint64_t bytes = 0;
  for (const ParamSpec& p : state_dict_layout(plan)) {
    uint64_t n = dtype_size(p.dtype);
    for (int64_t d : p.shape) n *= uint64_t(d);
    bytes += n;
  }
  return 4 * bytes + (uint64_t(64) << 20);
}

uint64_t default_checkpoint_byte_budget() {
  static const uint64_t budget = checkpoint_byte_budget(plan_model(model_config("m3")));
  return budget;
}

TensorMap load_torch_checkpoint(const std::string& path) {
  return load_torch_checkpoint(path, default_checkpoint_byte_budget());
}

TensorMap load_torch_checkpoint(const std::string& path, uint64_t max_bytes) {
  check_magic(path);
  const ZipReader zip(path);
  const std::string prefix = find_prefix(zip, path);
  const std::string pickle = prefix + "/data.pkl";
  if (zip.size(pickle) > kMaxPickleBytes)
    throw FormatError(path + ": " + pickle + " declares " + std::to_string(zip.size(pickle)) +
                      " bytes; a state_dict pickle is far smaller (limit " +
                      std::to_string(kMaxPickleBytes) + ")");
  // The unpickler has checked `nbytes` against the budget; the entry must declare exactly
  // that size, checked before inflating.
  const PickleRef root = unpickle_restricted(
      zip.read(pickle),
      [&](const std::string& key, uint64_t nbytes) {
        const std::string entry = prefix + "/data/" + key;
        if (zip.has(entry) && zip.size(entry) != nbytes)
          throw FormatError(path + ": zip entry '" + entry + "' declares " +
                            std::to_string(zip.size(entry)) + " bytes, but the pickle says storage '" +
                            key + "' holds " + std::to_string(nbytes));
        return zip.read(entry, nbytes);
      },
      path, max_bytes);

  const PickleValue* dict = root.get();
  if (dict->kind != PickleValue::Kind::Dict)
    throw FormatError(path + ": checkpoint holds a " + std::string(dict->kind_name()) +
                      ", not a state_dict");
  // Training checkpoints wrap the weights: {"state_dict": ..., "epoch": ..., ...}.
  const PickleValue* inner = dict->get("state_dict");
  if (inner && inner->kind == PickleValue::Kind::Dict) dict = inner;

  TensorMap out;
  for (const auto& [key, value] : dict->entries) {
    if (key->kind != PickleValue::Kind::String)
      throw FormatError(path + ": state_dict has a " + std::string(key->kind_name()) + " key");
    if (value->kind != PickleValue::Kind::Tensor)
      throw FormatError(path + ": state_dict entry '" + key->string + "' is a " +
                        value->kind_name() + ", not a tensor");
    // Move out of values nothing else refers to (a tied weight appears under two keys).
    out[key->string] = value.use_count() == 1 ? std::move(value->tensor) : value->tensor;
  }

  // Checkpoints saved from nn.DataParallel prefix every key with "module.".
  const std::string module = "module.";
  bool all_prefixed = !out.empty();
  for (const auto& kv : out) all_prefixed = all_prefixed && kv.first.rfind(module, 0) == 0;
  if (all_prefixed) {
    TensorMap stripped;
    for (auto& kv : out) stripped[kv.first.substr(module.size())] = std::move(kv.second);
    out = std::move(stripped);
  }
  return out;
}

}  // namespace micronet
