#include "tools/full_binary.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

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

void exec_full_binary(const CliArgs& a, char** argv) {
  std::string self(4096, '\0');
  const ssize_t n = readlink("/proc/self/exe", self.data(), self.size() - 1);
  if (n <= 0) throw std::runtime_error(std::string("cannot locate this executable (/proc/self/exe): ") + std::strerror(errno));
  self.resize(size_t(n));
  const std::string full = self.substr(0, self.rfind('/') + 1) + "micronet-full";
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
