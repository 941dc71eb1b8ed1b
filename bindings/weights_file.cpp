#include "bindings/weights_file.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <stdexcept>

#include "models/checkpoint/checkpoint_import.h"
#include "models/config.h"
#include "runtime/safetensors.h"

namespace micronet::bindings {

bool is_torch_checkpoint(const std::string& path) {
  auto ends_with = [&](const char* s) {
    const std::string suf(s);
    return path.size() >= suf.size() && path.compare(path.size() - suf.size(), suf.size(), suf) == 0;
  };
  if (ends_with(".pth") || ends_with(".pt") || ends_with(".tar")) return true;
  char magic[4] = {0, 0, 0, 0};
  std::ifstream f(path, std::ios::binary);
  f.read(magic, 4);
  return f.gcount() == 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4;
}

WeightsFile read_weights_file(const std::string& path) {
  WeightsFile f;
  if (is_torch_checkpoint(path)) {
    f.tensors = load_torch_checkpoint(path);
    return f;
  }
  std::map<std::string, std::string> meta;
  f.tensors = read_safetensors(path, &meta);
  f.meta = ModelMetadata::from_map(meta, path);
  return f;
}

std::string resolve_arch(const std::string& arch, const ModelMetadata& meta, const std::string& path) {
  if (!meta.arch.empty()) {
    const auto& known = known_archs();
    if (std::find(known.begin(), known.end(), meta.arch) == known.end())
      throw FormatError(path + ": metadata names arch '" + meta.arch + "', which this build does not know" +
                        (meta.extra.count("config") ? std::string(" (a custom network: compile it into a package, "
                                                                  "compile(config=..., weights='") + path +
                                                          "', out=DIR), then load(package=DIR))"
                                                    : std::string()));
  }
  if (arch.empty() && meta.arch.empty())
    throw std::invalid_argument(path + ": the file names no arch in its metadata (a .pth checkpoint "
                                "has none); give one: load('m0', '" + path + "')");
  if (!arch.empty() && !meta.arch.empty() && arch != meta.arch)
    throw std::invalid_argument(path + ": its metadata says arch '" + meta.arch + "', but arch '" +
                                arch + "' was given (leave arch out to use the file's)");
  return arch.empty() ? meta.arch : arch;
}

}  // namespace micronet::bindings
