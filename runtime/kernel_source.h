// Where a HalideModel finds its compiled kernels: the ones linked into this build (the
// registry of generators/kernels.cmake, runtime/device_targets.h) or a model package
// opened at run time (runtime/package.h).
#pragma once

#include <string>

#include "runtime/kernel_registry.h"

namespace micronet {

class KernelSource {
 public:
  virtual ~KernelSource() = default;
  // nullptr when the source has no kernel of that name (KernelSpec::name()).
  virtual const KernelEntry* find(const std::string& name) const = 0;
  // For messages: "package /path/to/pkg (x86-64-linux-avx2-...)".
  virtual std::string describe() const = 0;
};

}  // namespace micronet
