// Where things are on this machine: the running executable's folder (its sibling tools and
// generators live there) and the user's cache folder. Written once; every tool uses these.
#pragma once

#include <string>

namespace micronet {

// The folder holding the running executable (/proc/self/exe). Throws std::runtime_error
// when the kernel does not say (no /proc).
std::string executable_dir();

// `name` in the running executable's folder.
std::string beside_executable(const std::string& name);

// The cache of compiled kernels and packages: $MICRONET_CACHE_DIR, else
// $XDG_CACHE_HOME/micronet, else $HOME/.cache/micronet, else /tmp/micronet-cache.
std::string cache_dir();

}  // namespace micronet
