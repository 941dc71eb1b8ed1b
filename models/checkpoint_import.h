// Import of PyTorch .pth checkpoints (the zip format of torch.save) into a TensorMap,
// through the restricted unpickler: no code from the file ever runs.
#pragma once

#include <cstdint>
#include <string>

#include "models/plan.h"
#include "formats/tensor.h"

namespace micronet {

// The most bytes (storages plus the tensors copied out of them, both held at once) that
// importing a checkpoint for `plan` may allocate: 4x its state_dict (storage + copy, and
// as much again for optimizer state in training checkpoints) plus 64 MiB of slack.
uint64_t checkpoint_byte_budget(const ModelPlan& plan);
// checkpoint_byte_budget of the largest official model (MicroNet-M3, 1000 classes): the
// default when the caller does not name its plan.
uint64_t default_checkpoint_byte_budget();

// Accepts a state_dict (dict of tensors) or a dict whose "state_dict" entry is one; a
// "module." prefix shared by every key (DataParallel) is removed. Tensors keep the dtype
// they were saved with. Throws FormatError naming `path` for legacy (non-zip) files,
// files that are no checkpoint, forbidden pickle content, non-tensor entries, and
// checkpoints that would materialize more than `max_bytes` (refused before allocating).
TensorMap load_torch_checkpoint(const std::string& path, uint64_t max_bytes);
TensorMap load_torch_checkpoint(const std::string& path);  // default_checkpoint_byte_budget()

}  // namespace micronet
