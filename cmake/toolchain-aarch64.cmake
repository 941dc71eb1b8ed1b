# Cross build for AArch64 Linux with Debian's g++-aarch64-linux-gnu; binaries run under
# qemu-aarch64-static (ctest uses it as the emulator). Halide kernels for arm-64-linux are
# compiled by the HOST build's generators (pass -Dmicronet_halide-halide_generators_DIR=
# <host build>/cmake; scripts/build_aarch64.sh does it all).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
# Packages: host-side CMake packages (Halide's helpers, the host generators) must be found.
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64-static -L /usr/aarch64-linux-gnu)
# Halide's CMake package (helpers + runtime headers) is the host's: Debian installs it
# under the x86_64 multiarch dir, which an aarch64 search would not look at.
if(NOT DEFINED Halide_DIR)
  set(Halide_DIR /usr/lib/x86_64-linux-gnu/cmake/Halide14 CACHE PATH "")
endif()
if(NOT DEFINED HalideHelpers_DIR)
  set(HalideHelpers_DIR /usr/lib/x86_64-linux-gnu/cmake/HalideHelpers14 CACHE PATH "")
endif()
