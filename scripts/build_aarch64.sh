#!/usr/bin/env bash
# Cross build for AArch64 (NEON kernels, arm-64-linux) into build-aarch64/, using the host
# build's generators (build/ must be configured; its generators are built here if needed).
# Run the tests under qemu with: (cd build-aarch64 && ctest --output-on-failure)
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
HOST_BUILD=${HOST_BUILD:-build}
[ -f "$HOST_BUILD/CMakeCache.txt" ] || cmake -S . -B "$HOST_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release
# The host's generators (and micronet, the reference for the tests).
cmake --build "$HOST_BUILD" -j"$JOBS" --target micronet_halide-halide_generators micronet
cmake -S . -B build-aarch64 -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-aarch64.cmake \
  -DMICRONET_WITH_TORCH=OFF \
  -Dmicronet_halide-halide_generators_DIR="$PWD/$HOST_BUILD/cmake" \
  -DMICRONET_HOST_BUILD="$PWD/$HOST_BUILD"
echo "== building build-aarch64 with $JOBS jobs (~80 NEON kernels, runtime, tests)"
cmake --build build-aarch64 -j"$JOBS"
