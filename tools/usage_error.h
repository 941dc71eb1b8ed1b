// A command line that names something wrong (a flag value, a flag combination): main() prints
// it with a pointer to the command's help and exits 2. Any other std::exception exits 1.
#pragma once

#include <stdexcept>

namespace micronet::cli {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace micronet::cli
