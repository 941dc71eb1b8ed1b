#include "autotune/candidate_library.h"

#include <dlfcn.h>

#include <stdexcept>

namespace micronet::tune {

CandidateLibrary::CandidateLibrary(const std::string& path, const std::string& function)
    : name_(function) {
  handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle_) throw std::runtime_error("cannot load " + path + ": " + dlerror());
  void* argv = dlsym(handle_, (function + "_argv").c_str());
  void* meta = dlsym(handle_, (function + "_metadata").c_str());
  if (!argv || !meta) {
    dlclose(handle_);
    throw std::runtime_error(path + " has no " + function + "_argv/_metadata entry point");
  }
  entry_.name = name_.c_str();
  entry_.argv = reinterpret_cast<int (*)(void**)>(argv);
  entry_.metadata = reinterpret_cast<const halide_filter_metadata_t* (*)()>(meta);
}

CandidateLibrary::~CandidateLibrary() {
  if (handle_) dlclose(handle_);
}

}  // namespace micronet::tune
