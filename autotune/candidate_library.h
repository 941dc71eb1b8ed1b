// A compiled candidate loaded into this process (dlopen). Its object has no Halide
// runtime of its own: the halide_* symbols resolve to the runtime this executable links
// and exports (ENABLE_EXPORTS in autotune/CMakeLists.txt), one runtime per process.
#pragma once

#include <string>

#include "runtime/kernel_registry.h"

namespace micronet::tune {

class CandidateLibrary {
 public:
  // Throws std::runtime_error naming the library and the missing symbol or dlerror().
  CandidateLibrary(const std::string& path, const std::string& function);
  ~CandidateLibrary();
  CandidateLibrary(const CandidateLibrary&) = delete;
  CandidateLibrary& operator=(const CandidateLibrary&) = delete;

  const KernelEntry& entry() const { return entry_; }

 private:
  void* handle_ = nullptr;
  std::string name_;
  KernelEntry entry_{};
};

}  // namespace micronet::tune
