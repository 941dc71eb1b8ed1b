#!/usr/bin/env bash
# Configures and builds everything into build/ (idempotent; ccache makes rebuilds cheap).
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
echo "== building with $JOBS jobs (the first build compiles ~80 Halide kernels x 3 x86 targets: ~10 min on 2 cores)"
cmake --build build -j"$JOBS"
