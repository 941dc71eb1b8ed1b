// `micronet`: the command line of the MicroNet compiler/runtime.
#include <cstring>
#include <iostream>

#include "tools/cli_args.h"
#include "tools/commands.h"

namespace {

const char* kUsage =
    "usage: micronet <command> [options]\n"
    "  info ARCH [--json]                      per-layer params and MAdds (ARCH: m0 m1 m2 m3)\n"
    "  convert --arch A --checkpoint F.pth --out F.safetensors\n"
    "                                          import an official PyTorch checkpoint (no pickle code runs)\n"
    "  run --arch A --weights W --input IN.npy --output OUT.npy [--backend halide|libtorch] [--threads N]\n"
    "  classify --arch A [--weights W] IMAGE... [--topk 5] [--labels FILE]\n"
    "  bench --arch A [--weights W] [--backend halide|libtorch|all] [--threads N] [--batch N] [--iters N] [--json]\n"
    "  kernels                                 list the compiled Halide kernels per model\n"
    "  targets                                 compiled kernel targets (host, opencl, cuda) and which can run here\n"
    "  (run/bench/classify: --target host|opencl|cuda picks the Halide kernels' target)\n"
    "  train --arch m0 --dataset fashion-mnist --size 64 --epochs N --out F.safetensors\n"
    "        [--batch 128] [--lr 0.2] [--seed 0] [--threads 1] [--max-steps N]\n"
    "                                          train the LibTorch reference on Fashion-MNIST\n"
    "  eval --weights W --dataset fashion-mnist [--backend halide|libtorch|all] [--json]\n"
    "       [--plot F.png] [--limit N] [--show N]  test-set accuracy and confusion matrix\n"
    "  cases --arch A --out CASES.safetensors [--size 64] [--batch 2] [--seed 1] [--weights W]\n"
    "                                          reference cases of every kernel (LibTorch builds)\n"
    "  check [--target host|opencl|cuda] [--family stem,dwsep,gconv,head|all|none] [--tol T] [--no-model]\n"
    "        CASES.safetensors...              replay them through this build's kernels on a target\n"
    "  (--arch is optional where the weights file's metadata names it)\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace micronet::cli;
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  const std::string cmd = argv[1];
  try {
    if (cmd == "info") return cmd_info(argc, argv);
    if (cmd == "convert") return cmd_convert(argc, argv);
    if (cmd == "run") return cmd_run(argc, argv);
    if (cmd == "bench") return cmd_bench(argc, argv);
    if (cmd == "classify") return cmd_classify(argc, argv);
    if (cmd == "kernels") return cmd_kernels(argc, argv);
    if (cmd == "targets") return cmd_targets(argc, argv);
    if (cmd == "eval") return cmd_eval(argc, argv);
    if (cmd == "check") return cmd_check(argc, argv);
    if (cmd == "cases") {
#ifdef MICRONET_WITH_TORCH
      return cmd_cases(argc, argv);
#else
      throw UsageError("this build has no LibTorch (e.g. the aarch64 cross build): write the cases on "
                       "the host build (`micronet cases`) and check them here with `micronet check`");
#endif
    }
    if (cmd == "train") {
#ifdef MICRONET_WITH_TORCH
      return cmd_train(argc, argv);
#else
      throw UsageError("this build has no LibTorch (configured with MICRONET_WITH_TORCH=OFF): cannot train");
#endif
    }
    throw UsageError("unknown command '" + cmd + "'");
  } catch (const UsageError& e) {
    std::cerr << "micronet " << cmd << ": " << e.what() << "\n" << kUsage;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "micronet " << cmd << ": error: " << e.what() << "\n";
    return 1;
  }
}
