#!/usr/bin/env bash
# Configures and builds everything into build/ (idempotent; ccache makes rebuilds cheap).
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
# Every kernel variant (three x86 ISAs, OpenCL, CUDA): stated, so that a build/ the main job
# configured for this CPU only is widened. CI (CI set) treats warnings as errors.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DMICRONET_KERNELS_FOR_THIS_CPU=OFF \
  ${CI:+-DMICRONET_WERROR=ON}
echo "== building with $JOBS jobs (the first build compiles ~80 Halide kernels for 3 x86 targets + OpenCL + CUDA)"
cmake --build build -j"$JOBS"
