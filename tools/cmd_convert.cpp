#include <iostream>

#include "models/checkpoint_import.h"
#include "models/config_json.h"
#include "models/state_dict_layout.h"
#include "formats/file_io.h"
#include "formats/safetensors.h"
#include "tools/activity.h"
#include "tools/commands.h"
#include "tools/usage_error.h"

namespace micronet::cli {

// micronet convert (--arch ARCH | --config FILE.json) --checkpoint FILE.pth --out FILE.safetensors [--classes N]
// Writes every tensor of the official state_dict unchanged (fp32 weights, BatchNorm
// running statistics and num_batches_tracked included; nothing folded: folding happens
// when a runtime loads the file, so the file stays a faithful copy of the checkpoint).
// A custom network (--config) is checked against its config's official key names and
// shapes, and the config goes into the metadata, so run/eval/compile find the network.
int cmd_convert(const ConvertArgs& a) {
  if (a.arch.empty() == a.config.empty()) throw UsageError("give the checkpoint's network: --arch m0..m3 or --config FILE");
  check_output_location(a.out, "--out");
  require_not_same_file(a.out, a.checkpoint, "--out", "--checkpoint");
  const ModelConfig cfg = a.config.empty() ? model_config(a.arch) : load_config_file(a.config);
  const std::string arch = cfg.arch;
  const ModelPlan plan = a.config.empty() ? plan_model(cfg, 224, 224, a.classes)
                                          : plan_model(cfg, cfg.input_h, cfg.input_w, a.classes);
  Activity doing("reading " + a.checkpoint);
  // The budget follows the model asked for (a 21843-class head is past the default).
  TensorMap w = load_torch_checkpoint(a.checkpoint, checkpoint_byte_budget(plan));
  validate_state_dict(w, state_dict_layout(plan), a.checkpoint + " (as MicroNet-" + arch + ")");
  std::map<std::string, std::string> meta = {{"arch", arch}, {"format", "micronet-official-state-dict"},
                                             {"num_classes", std::to_string(plan.num_classes)},
                                             {"source", a.checkpoint}};
  if (!a.config.empty()) {
    ModelConfig stored = cfg;
    stored.num_classes = plan.num_classes;
    meta[kConfigMetadataKey] = config_to_json(stored);
    meta["input_height"] = std::to_string(cfg.input_h);
    meta["input_width"] = std::to_string(cfg.input_w);
  }
  write_safetensors(a.out, w, meta);
  std::cerr << "wrote " << a.out << ": " << w.size() << " tensors of MicroNet-" << arch << "\n";
  return 0;
}

}  // namespace micronet::cli
