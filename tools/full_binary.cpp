#include "tools/full_binary.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/paths.h"

namespace micronet::cli {

bool needs_full_binary(const CliArgs& a) {
  const std::string& c = a.command;
  if (c == "classify" || c == "eval" || c == "train" || c == "cases") return true;
  if (c == "run") return a.run.backend != "halide";
  if (c == "bench") return a.bench.backend != "halide";
#ifndef MICRONET_WITH_CHECKPOINT_IMPORT
  if (c == "convert") return true;
#endif
  return false;
}

namespace {
// `micronet CMD ARGS...` or `micronet help CMD` -> `helper ARGS...` or `helper --help`.
[[noreturn]] void exec_helper(const std::string& helper, int argc, char** argv) {
  std::string path = helper;
  // argv: micronet tune ARGS...  or  micronet help tune
  std::vector<char*> args = {path.data()};
  const bool help = std::string(argv[1]) == "help";
  std::string help_flag = "--help";
  for (int i = 2 + (help ? 1 : 0); i < argc; ++i) args.push_back(argv[i]);
  if (help) args.push_back(help_flag.data());
  args.push_back(nullptr);
  execv(path.c_str(), args.data());
  throw std::runtime_error("cannot execute " + path + ": " + std::strerror(errno));
}
}  // namespace

namespace {
// Commands that link the Halide compiler, each its own executable beside this one.
struct HelperCommand {
  const char* command;
  const char* executable;
  const char* when_missing;  // why it may be missing, and what to do instead
};
const HelperCommand kHelperCommands[] = {
    {"tune", "micronet-tune",
     "the autotuner links the Halide compiler and is built by host builds only; for a board, tune from a host "
     "build with --target arm-64-linux --runner"},
    {"compile", "micronet-compile",
     "it links the Halide compiler and is built by host builds only; compile packages for a board on the host "
     "with --target arm-64-linux"},
    {"search", "micronet-search",
     "the latency search compiles networks with the Halide compiler and is built by host builds only"},
};
}  // namespace

std::string helper_command(int argc, char** argv) {
  if (argc < 2) return "";
  const std::string first = argv[1];
  const std::string name = first == "help" && argc > 2 ? std::string(argv[2]) : first;
  for (const HelperCommand& h : kHelperCommands)
    if (name == h.command) return name;
  return "";
}

void exec_helper_command(const std::string& command, int argc, char** argv) {
  for (const HelperCommand& h : kHelperCommands) {
    if (command != h.command) continue;
    const std::string exe = beside_executable(h.executable);
    if (access(exe.c_str(), X_OK) != 0)
      throw std::runtime_error("`micronet " + command + "` runs " + exe + ", which is missing (" +
                               std::strerror(errno) + "): " + h.when_missing);
    exec_helper(exe, argc, argv);
  }
  throw std::logic_error("not a helper command: " + command);
}

void exec_full_binary(const CliArgs& a, char** argv) {
  const std::string full = beside_executable("micronet-full");
  const std::string what = a.command == "run" || a.command == "bench" ? a.command + " --backend " +
                               (a.command == "run" ? a.run.backend : a.bench.backend)
                                                                      : a.command;
  if (access(full.c_str(), X_OK) != 0)
    throw std::runtime_error("`micronet " + what + "` needs LibTorch or OpenCV, which run in " + full +
                             ", and that is missing (" + std::strerror(errno) +
                             "): this build has no micronet-full (e.g. the aarch64 cross build); run it on "
                             "a host build");
  execv(full.c_str(), argv);
  throw std::runtime_error("cannot execute " + full + ": " + std::strerror(errno));
}

}  // namespace micronet::cli
