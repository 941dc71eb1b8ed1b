// The lean `micronet` links no LibTorch and no OpenCV (that costs ~270 ms and ~160 MB at every
// start). The commands that need them run in `micronet-full`, the same command line with
// everything linked, installed beside it: the lean binary execs it with the same argv.
#pragma once

#include "tools/cli_options.h"

namespace micronet::cli {

// Whether `args` needs micronet-full: classify, eval, train, cases, and run/bench with
// --backend libtorch or all (and convert where the lean build has no checkpoint reader).
bool needs_full_binary(const CliArgs& args);

// Replaces this process with micronet-full (the directory of /proc/self/exe) and the same
// argv. Returns only by throwing: a runtime_error naming the path when it is missing (e.g.
// the aarch64 build, which has neither LibTorch nor OpenCV) or cannot be executed.
[[noreturn]] void exec_full_binary(const CliArgs& args, char** argv);

// `micronet tune ...` and `micronet help tune`: the autotuner links the Halide compiler, so it
// is its own executable (micronet-tune, beside this one), run with the arguments after
// "tune". Returns only by throwing (missing, e.g. in the aarch64 build, or not executable).
[[noreturn]] void exec_tuner(int argc, char** argv);
// `micronet compile ...` and `micronet help compile`, the same way: micronet-compile.
[[noreturn]] void exec_compiler(int argc, char** argv);
// `micronet search ...`: execs micronet-search (search/search_main.cpp) with the same arguments.
[[noreturn]] void exec_searcher(int argc, char** argv);

}  // namespace micronet::cli
