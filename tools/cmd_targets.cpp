#include <iostream>

#include "runtime/device_targets.h"
#include "runtime/halide_model.h"
#include "tools/commands.h"

namespace micronet::cli {

// micronet targets: the kernel targets compiled into this build and, for each, whether it
// can run on this machine (a tiny device allocation for GPU targets).
int cmd_targets() {
  for (const std::string& t : compiled_targets()) {
    const std::string why = probe_target(t);
    std::cout << t << "\t" << kernels_for_target(t).size() << " kernels\t"
              << (why.empty() ? "available" : "unavailable: " + why) << "\n";
  }
  return 0;
}

}  // namespace micronet::cli
