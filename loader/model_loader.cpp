#include "loader/model_loader.h"

#include <fstream>
#include <map>

#include "formats/safetensors.h"
#include "models/config_json.h"
#include "models/random_weights.h"
#ifdef MICRONET_WITH_CHECKPOINT_IMPORT
#include "models/checkpoint_import.h"
#endif

namespace micronet {

const ArgNames kCliArgs = {"--arch", "--weights", "--package", "--target"};
const ArgNames kPythonArgs = {"arch", "weights", "package", "target"};

namespace {
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

bool is_torch_checkpoint(const std::string& path) {
  if (ends_with(path, ".pth") || ends_with(path, ".pt") || ends_with(path, ".tar")) return true;
  char magic[4] = {0, 0, 0, 0};
  std::ifstream f(path, std::ios::binary);
  f.read(magic, 4);
  return f.gcount() == 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4;
}

ModelFiles open_model_files(const std::string& package_dir, const std::string& weights,
                            const std::string& expect_package_sha256) {
  ModelFiles f;
  if (!package_dir.empty()) f.package = ModelPackage::open(package_dir, expect_package_sha256);
  f.weights_path = !weights.empty() ? weights : f.package ? f.package->weights_path() : "";
  if (f.weights_path.empty()) return f;
  if (weights.empty()) {
    // The package's own weights: hashed and parsed from the same bytes.
    std::map<std::string, std::string> meta;
    f.tensors = f.package->read_weights(&meta);
    f.meta = ModelMetadata::from_map(meta, f.weights_path);
    return f;
  }
  if (is_torch_checkpoint(f.weights_path)) {
    f.torch_checkpoint = true;
    return f;
  }
  std::map<std::string, std::string> meta;
  f.tensors = read_safetensors(f.weights_path, &meta);
  f.meta = ModelMetadata::from_map(meta, f.weights_path);
  return f;
}

ModelPlan plan_model_files(ModelFiles& files, const std::string& arch, int height, int width, int classes,
                           const ArgNames& names) {
  const ModelMetadata& meta = files.meta;
  const std::string& path = files.weights_path;
  const int wanted = classes > 0 ? classes : meta.num_classes;
  if (const auto& pkg = files.package) {
    const ModelConfig& cfg = pkg->config();
    if (!arch.empty() && arch != cfg.arch)
      throw LoadArgumentError(std::string(names.package) + " " + pkg->dir() + " holds MicroNet-" + cfg.arch + ", but " +
                              names.arch + " '" + arch + "' was given (leave " + names.arch + " out with " +
                              names.package + ")");
    if (!meta.arch.empty() && meta.arch != cfg.arch)
      throw LoadArgumentError(path + ": its metadata says arch '" + meta.arch + "', but " + names.package + " " +
                              pkg->dir() + " holds MicroNet-" + cfg.arch);
    return plan_model(cfg, height, width, wanted > 0 ? wanted : pkg->num_classes());
  }
  if (arch.empty() && meta.arch.empty())
    throw LoadArgumentError((path.empty() ? std::string("no weights file") : path + ": the file") +
                            " names no arch in its metadata" + (files.torch_checkpoint ? " (a .pth checkpoint has none)" : "") +
                            ": give one with " + names.arch + " (m0..m3)");
  if (!arch.empty() && !meta.arch.empty() && arch != meta.arch)
    throw LoadArgumentError(path + ": its metadata says arch '" + meta.arch + "', but " + names.arch + " '" + arch +
                            "' was given (leave " + names.arch + " out to use the file's)");
  const std::string chosen = arch.empty() ? meta.arch : arch;
  if (!is_known_arch(chosen) && chosen == meta.arch) {
    // A custom network (convert/train --config): its config travels in the metadata.
    const auto it = meta.extra.find(kConfigMetadataKey);
    if (it == meta.extra.end())
      throw FormatError(path + ": its metadata names MicroNet-" + chosen + ", which is not built in (m0..m3), and "
                        "holds no config; compile its config into a package (micronet compile --config FILE "
                        "--weights " + path + " --out DIR) and load that package");
    ModelConfig cfg;
    try {
      cfg = config_from_json(it->second, path + ": metadata '" + kConfigMetadataKey + "'");
    } catch (const ConfigError& e) {
      throw FormatError(e.what());
    }
    if (cfg.arch != chosen)
      throw FormatError(path + ": its metadata names arch " + chosen + " and a config named " + cfg.arch);
    files.custom_config = cfg;
    return plan_model(cfg, height, width, wanted > 0 ? wanted : cfg.num_classes);
  }
  return plan_model(model_config(chosen), height, width, wanted);
}

TensorMap take_weights(ModelFiles& files, const ModelPlan& plan, uint64_t seed, std::string* source) {
  if (files.weights_path.empty()) {
    *source = "random weights (seed " + std::to_string(seed) + ")";
    return random_weights(plan, seed);
  }
  *source = files.weights_path;
  if (files.torch_checkpoint) {
#ifdef MICRONET_WITH_CHECKPOINT_IMPORT
    return load_torch_checkpoint(files.weights_path, checkpoint_byte_budget(plan));
#else
    throw FormatError(files.weights_path + ": this build cannot import .pth checkpoints (no zlib); convert it "
                      "to .safetensors with `micronet convert` on the host");
#endif
  }
  return std::move(files.tensors);
}

}  // namespace micronet
