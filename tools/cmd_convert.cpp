#include <iostream>

#include "models/checkpoint/checkpoint_import.h"
#include "models/state_dict_layout.h"
#include "runtime/file_io.h"
#include "runtime/safetensors.h"
#include "tools/activity.h"
#include "tools/commands.h"

namespace micronet::cli {

// micronet convert --arch ARCH --checkpoint FILE.pth --out FILE.safetensors [--classes N]
// Writes every tensor of the official state_dict unchanged (fp32 weights, BatchNorm
// running statistics and num_batches_tracked included; nothing folded: folding happens
// when a runtime loads the file, so the file stays a faithful copy of the checkpoint).
int cmd_convert(const ConvertArgs& a) {
  check_output_location(a.out, "--out");
  require_not_same_file(a.out, a.checkpoint, "--out", "--checkpoint");
  const ModelPlan plan = plan_model(model_config(a.arch), 224, 224, a.classes);
  Activity doing("reading " + a.checkpoint);
  // The budget follows the model asked for (a 21843-class head is past the default).
  TensorMap w = load_torch_checkpoint(a.checkpoint, checkpoint_byte_budget(plan));
  validate_state_dict(w, state_dict_layout(plan), a.checkpoint + " (as MicroNet-" + a.arch + ")");
  write_safetensors(a.out, w, {{"arch", a.arch}, {"format", "micronet-official-state-dict"},
                               {"num_classes", std::to_string(plan.num_classes)},
                               {"source", a.checkpoint}});
  std::cerr << "wrote " << a.out << ": " << w.size() << " tensors of MicroNet-" << a.arch << "\n";
  return 0;
}

}  // namespace micronet::cli
