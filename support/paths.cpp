#include "support/paths.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace micronet {

std::string executable_dir() {
  std::string self(4096, '\0');
  const ssize_t n = readlink("/proc/self/exe", self.data(), self.size() - 1);
  if (n <= 0)
    throw std::runtime_error(std::string("cannot locate this executable (/proc/self/exe): ") + std::strerror(errno));
  self.resize(size_t(n));
  return self.substr(0, self.rfind('/'));
}

std::string beside_executable(const std::string& name) { return executable_dir() + "/" + name; }

std::string cache_dir() {
  if (const char* d = std::getenv("MICRONET_CACHE_DIR"); d && *d) return d;
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d && *d) return std::string(d) + "/micronet";
  if (const char* d = std::getenv("HOME"); d && *d) return std::string(d) + "/.cache/micronet";
  return "/tmp/micronet-cache";
}

}  // namespace micronet
