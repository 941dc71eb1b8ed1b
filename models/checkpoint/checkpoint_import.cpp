#include "models/checkpoint/checkpoint_import.h"

#include <fstream>

#include "models/checkpoint/restricted_unpickler.h"
#include "models/checkpoint/zip_reader.h"

namespace micronet {

namespace {

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

TensorMap load_torch_checkpoint(const std::string& path) {
  check_magic(path);
  const ZipReader zip(path);
  const std::string prefix = find_prefix(zip, path);
  const PickleRef root = unpickle_restricted(
      zip.read(prefix + "/data.pkl"),
      [&](const std::string& key) { return zip.read(prefix + "/data/" + key); }, path);

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
    out[key->string] = value->tensor;
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
