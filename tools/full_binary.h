// The lean `micronet` links no LibTorch and no OpenCV (that costs ~270 ms and ~160 MB at every
// start). The commands that need them run in `micronet-full`, the same command line with
// everything linked, installed beside it: the lean binary execs it with the same argv.
#pragma once

#include <string>

#include "tools/cli_options.h"

namespace micronet::cli {

// Whether `args` needs micronet-full: classify, eval, train, cases, and run/bench with
// --backend libtorch or all (and convert where the lean build has no checkpoint reader).
bool needs_full_binary(const CliArgs& args);

// Replaces this process with micronet-full (the directory of /proc/self/exe) and the same
// argv. Returns only by throwing: a runtime_error naming the path when it is missing (e.g.
// the aarch64 build, which has neither LibTorch nor OpenCV) or cannot be executed.
[[noreturn]] void exec_full_binary(const CliArgs& args, char** argv);

// `micronet tune|compile|search ...` and `micronet help tune|compile|search`: these link the
// Halide compiler, so each is its own executable beside this one (micronet-tune,
// micronet-compile, micronet-search), run with the arguments after the command name.
// helper_command: that command when argv names one, else "".
std::string helper_command(int argc, char** argv);
// Returns only by throwing (missing, e.g. in the aarch64 build, or not executable).
[[noreturn]] void exec_helper_command(const std::string& command, int argc, char** argv);

}  // namespace micronet::cli
