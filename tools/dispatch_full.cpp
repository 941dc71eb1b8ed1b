// micronet-full: every command runs here (LibTorch and OpenCV are linked).
#include "tools/commands.h"
#include "tools/usage_error.h"

namespace micronet::cli {

int run_command(const CliArgs& a, int argc, char** argv) {
  const std::string& c = a.command;
  if (c == "info") return cmd_info(a.info);
  if (c == "convert") return cmd_convert(a.convert);
  if (c == "run") return cmd_run(a.run);
  if (c == "bench") return cmd_bench(a.bench);
  if (c == "classify") return cmd_classify(a.classify);
  if (c == "eval") return cmd_eval(a.eval);
  if (c == "check") return cmd_check(a.check);
  if (c == "kernels") return cmd_kernels(a.kernels);
  if (c == "targets") return cmd_targets();
#ifdef MICRONET_WITH_TORCH
  if (c == "cases") return cmd_cases(a.cases);
  if (c == "train") return cmd_train(a.train, argc, argv);
#else
  (void)argc, (void)argv;
  if (c == "cases" || c == "train")
    throw UsageError("this build has no LibTorch (configured with MICRONET_WITH_TORCH=OFF): `" + c +
                     "` needs the LibTorch reference");
#endif
  throw UsageError("unknown command '" + c + "'");
}

}  // namespace micronet::cli
