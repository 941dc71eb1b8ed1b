#include "tools/full_binary.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

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
std::string beside_this_executable(const std::string& name) {
  std::string self(4096, '\0');
  const ssize_t n = readlink("/proc/self/exe", self.data(), self.size() - 1);
  if (n <= 0) throw std::runtime_error(std::string("cannot locate this executable (/proc/self/exe): ") + std::strerror(errno));
  self.resize(size_t(n));
  return self.substr(0, self.rfind('/') + 1) + name;
}
}  // namespace

namespace {
// `micronet CMD ARGS...` or `micronet help CMD` -> `helper ARGS...` or `helper --help`.
[[noreturn]] void exec_helper(const std::string& helper, int argc, char** argv) {
  std::string tuner = helper;
  // argv: micronet tune ARGS...  or  micronet help tune
  std::vector<char*> args = {tuner.data()};
  const bool help = std::string(argv[1]) == "help";
  std::string help_flag = "--help";
  for (int i = 2 + (help ? 1 : 0); i < argc; ++i) args.push_back(argv[i]);
  if (help) args.push_back(help_flag.data());
  args.push_back(nullptr);
  execv(tuner.c_str(), args.data());
  throw std::runtime_error("cannot execute " + tuner + ": " + std::strerror(errno));
}
}  // namespace

void exec_tuner(int argc, char** argv) {
  const std::string tuner = beside_this_executable("micronet-tune");
  if (access(tuner.c_str(), X_OK) != 0)
    throw std::runtime_error("`micronet tune` runs " + tuner + ", which is missing (" + std::strerror(errno) +
                             "): the autotuner links the Halide compiler and is built by host builds only; "
                             "for a board, tune from a host build with --target arm-64-linux --runner");
  exec_helper(tuner, argc, argv);
}

void exec_compiler(int argc, char** argv) {
  const std::string compiler = beside_this_executable("micronet-compile");
  if (access(compiler.c_str(), X_OK) != 0)
    throw std::runtime_error("`micronet compile` runs " + compiler + ", which is missing (" + std::strerror(errno) +
                             "): it links the Halide compiler and is built by host builds only; compile "
                             "packages for a board on the host with --target arm-64-linux");
  exec_helper(compiler, argc, argv);
}

void exec_searcher(int argc, char** argv) {
  const std::string searcher = beside_this_executable("micronet-search");
  if (access(searcher.c_str(), X_OK) != 0)
    throw std::runtime_error("`micronet search` runs " + searcher + ", which is missing (" + std::strerror(errno) +
                             "): the latency search compiles networks with the Halide compiler and is built by "
                             "host builds only");
  exec_helper(searcher, argc, argv);
}

void exec_full_binary(const CliArgs& a, char** argv) {
  const std::string full = beside_this_executable("micronet-full");
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
