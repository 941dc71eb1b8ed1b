// Import of PyTorch .pth checkpoints (the zip format of torch.save) into a TensorMap,
// through the restricted unpickler: no code from the file ever runs.
#pragma once

#include <string>

#include "runtime/tensor.h"

namespace micronet {

// Accepts a state_dict (dict of tensors) or a dict whose "state_dict" entry is one; a
// "module." prefix shared by every key (DataParallel) is removed. Tensors keep the dtype
// they were saved with. Throws FormatError naming `path` for legacy (non-zip) files,
// files that are no checkpoint, forbidden pickle content and non-tensor entries.
TensorMap load_torch_checkpoint(const std::string& path);

}  // namespace micronet
