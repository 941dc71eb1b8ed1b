// The compiled kernels, by name (KernelSpec::name()). Generated at build time from
// generators/kernels.cmake; each entry is a Halide AOT pipeline called through its
// uniform `argv` entry point.
#pragma once

#include <string>
#include <vector>

struct halide_filter_metadata_t;

namespace micronet {

struct KernelEntry {
  const char* name;
  int (*argv)(void** args);
  const halide_filter_metadata_t* (*metadata)();
};

// nullptr when the kernel is not compiled into this build.
const KernelEntry* find_kernel(const std::string& name);
const std::vector<KernelEntry>& all_kernels();

}  // namespace micronet
