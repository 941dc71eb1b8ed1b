#include <iostream>

#include "models/checkpoint/checkpoint_import.h"
#include "models/state_dict_layout.h"
#include "runtime/safetensors.h"
#include "tools/cli_args.h"
#include "tools/commands.h"

namespace micronet::cli {

// micronet convert --arch ARCH --checkpoint FILE.pth --out FILE.safetensors
// Writes every tensor of the official state_dict unchanged (fp32 weights, BatchNorm
// running statistics and num_batches_tracked included; nothing folded: folding happens
// when a runtime loads the file, so the file stays a faithful copy of the checkpoint).
int cmd_convert(int argc, char** argv) {
  Args a(argc, argv, 2, {"arch", "checkpoint", "out", "classes"}, {});
  const std::string arch = a.require("arch"), in = a.require("checkpoint"), out = a.require("out");
  const ModelPlan plan = plan_model(model_config(arch), 224, 224, a.get_int("classes", -1));
  TensorMap w = load_torch_checkpoint(in);
  validate_state_dict(w, state_dict_layout(plan), in + " (as MicroNet-" + arch + ")");
  write_safetensors(out, w, {{"arch", arch}, {"format", "micronet-official-state-dict"},
                             {"num_classes", std::to_string(plan.num_classes)},
                             {"source", in}});
  std::cerr << "wrote " << out << ": " << w.size() << " tensors of MicroNet-" << arch << "\n";
  return 0;
}

}  // namespace micronet::cli
