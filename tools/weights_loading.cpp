#include <iostream>

#ifdef MICRONET_WITH_CHECKPOINT_IMPORT
#include "models/checkpoint/checkpoint_import.h"
#endif
#include "models/config_json.h"
#include "models/random_weights.h"
#include "runtime/safetensors.h"
#include "tools/usage_error.h"
#include "tools/commands.h"
#include "tools/package_loading.h"

namespace micronet::cli {

namespace {
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
bool is_torch_checkpoint(const std::string& path) {
  return ends_with(path, ".pth") || ends_with(path, ".pt") || ends_with(path, ".tar");
}

// read_safetensors() reads the whole file to reach its metadata; the tensors that read
// produced are kept for the load_weights_or_random() that follows, so a command reads its
// weights file once (a third of `micronet run`'s 15 ms for M0 was the second read).
struct ReadAhead {
  std::string path;
  TensorMap tensors;
};
ReadAhead& read_ahead() {
  static ReadAhead r;
  return r;
}
}  // namespace

TensorMap load_weights_or_random(const std::string& path, const ModelPlan& plan,
                                 std::string* source) {
  if (path.empty()) {
    constexpr uint64_t kSeed = 2021;
    std::cerr << "warning: no --weights given: using RANDOM weights (seed " << kSeed
              << "); outputs are meaningless\n";
    *source = "random weights";
    return random_weights(plan, kSeed);
  }
  *source = path;
  if (is_torch_checkpoint(path)) {
#ifdef MICRONET_WITH_CHECKPOINT_IMPORT
    return load_torch_checkpoint(path, checkpoint_byte_budget(plan));
#else
    throw UsageError(path + ": this build cannot import .pth checkpoints (no zlib); convert it "
                     "to .safetensors with `micronet convert` on the host");
#endif
  }
  ReadAhead& r = read_ahead();
  if (r.path == path) {
    r.path.clear();
    return std::move(r.tensors);
  }
  return read_safetensors(path);
}

ModelMetadata read_weights_metadata(const std::string& path) {
  if (path.empty() || is_torch_checkpoint(path)) return {};
  std::map<std::string, std::string> meta;
  ReadAhead& r = read_ahead();
  r.tensors = read_safetensors(path, &meta);
  r.path = path;
  return ModelMetadata::from_map(meta, path);
}

ModelPlan plan_for_weights(const std::string& arch_flag, const ModelMetadata& meta,
                           const std::string& path, int h, int w, int classes_flag) {
  if (const auto pkg = selected_package()) {
    const ModelConfig& cfg = pkg->config();
    for (const std::string& given : {arch_flag, meta.arch})
      if (!given.empty() && given != cfg.arch)
        throw FormatError("--package " + pkg->dir() + " holds MicroNet-" + cfg.arch + ", but " +
                          (given == arch_flag ? "--arch" : path + "'s metadata") + " says " + given);
    return plan_model(cfg, h, w, classes_flag > 0 ? classes_flag : meta.num_classes > 0 ? meta.num_classes : pkg->num_classes());
  }
  if (arch_flag.empty() && meta.arch.empty())
    throw UsageError("missing required flag --arch (the weights file names no arch in its metadata)");
  if (!arch_flag.empty() && !meta.arch.empty() && arch_flag != meta.arch)
    throw FormatError(path + ": metadata says arch " + meta.arch + ", but --arch " + arch_flag +
                      " was given");
  const std::string arch = arch_flag.empty() ? meta.arch : arch_flag;
  const int classes = classes_flag > 0 ? classes_flag : meta.num_classes;
  if (!is_known_arch(arch) && arch == meta.arch) {
    // A custom network (convert/train --config): its config travels in the metadata.
    const auto it = meta.extra.find(kConfigMetadataKey);
    if (it == meta.extra.end())
      throw FormatError(path + ": its metadata names MicroNet-" + arch + ", which is not built in (m0..m3), and holds "
                        "no config; compile its config into a package (micronet compile --config FILE --weights " +
                        path + " --out DIR) and run it with --package DIR");
    ModelConfig cfg;
    try {
      cfg = config_from_json(it->second, path + ": metadata '" + kConfigMetadataKey + "'");
    } catch (const ConfigError& e) {
      throw FormatError(e.what());
    }
    if (cfg.arch != arch)
      throw FormatError(path + ": its metadata names arch " + arch + " and a config named " + cfg.arch);
    use_weights_config(cfg);
    return plan_model(cfg, h, w, classes > 0 ? classes : cfg.num_classes);
  }
  return plan_model(model_config(arch), h, w, classes);
}

}  // namespace micronet::cli
