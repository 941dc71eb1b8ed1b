// The lean `micronet`: the Halide runtime only. Commands that need LibTorch or OpenCV are
// handed to micronet-full (tools/full_binary.h), after this binary has parsed and
// validated the command line, so usage errors and help never pay for loading them.
#include "tools/commands.h"
#include "tools/full_binary.h"
#include "tools/usage_error.h"

namespace micronet::cli {

int run_command(const CliArgs& a, int /*argc*/, char** argv) {
  if (needs_full_binary(a)) exec_full_binary(a, argv);
  const std::string& c = a.command;
  if (c == "info") return cmd_info(a.info);
#ifdef MICRONET_WITH_CHECKPOINT_IMPORT
  if (c == "convert") return cmd_convert(a.convert);
#endif
  if (c == "run") return cmd_run(a.run);
  if (c == "bench") return cmd_bench(a.bench);
  if (c == "check") return cmd_check(a.check);
  if (c == "kernels") return cmd_kernels(a.kernels);
  if (c == "targets") return cmd_targets();
  throw UsageError("unknown command '" + c + "'");
}

}  // namespace micronet::cli
