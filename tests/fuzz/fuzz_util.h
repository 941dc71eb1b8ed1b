// Shared by the libFuzzer targets: most parsers take a path, so each input is written to
// a per-process scratch file (on tmpfs where there is one) before the parser reads it.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace micronet::fuzz {

inline const std::string& scratch_path() {
  static const std::string path = [] {
    const char* dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    std::string p = std::string(dir) + "/micronet_fuzz_" + std::to_string(getpid());
    static std::string removed = p;
    std::atexit([] { std::remove(removed.c_str()); });
    return p;
  }();
  return path;
}

// Writes `data` to the scratch file and returns its path.
inline const std::string& write_input(const uint8_t* data, size_t size) {
  const std::string& path = scratch_path();
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  return path;
}

}  // namespace micronet::fuzz
