#!/usr/bin/env bash
# Sanitizer runs of the C++ test suite (part of the README's test command):
#   build-asan: AddressSanitizer + UndefinedBehaviorSanitizer, every ctest suite;
#   build-tsan: ThreadSanitizer, the tests that run one model from several threads.
# Both compile the kernels for one x86 target and no GPU API (the sanitizers check our C++,
# not Halide's generated code, which is not instrumented), and reuse the host build's
# generators (build/) so no generator is compiled twice.
# Usage: bash scripts/sanitize.sh [asan|tsan|all]   (default all)
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
HOST_BUILD=${HOST_BUILD:-build}
WHAT=${1:-all}
[ -f "$HOST_BUILD/CMakeCache.txt" ] || cmake -S . -B "$HOST_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release
[ -n "${SKIP_HOST_GENERATORS:-}" ] ||
  cmake --build "$HOST_BUILD" -j"$JOBS" --target micronet_halide-halide_generators

# This CPU's x86 variant (not Halide's "host": Halide 14 calls a CPU with AVX512-VNNI and BF16
# but no AVX-VNNI, such as an AMD Zen 5, sapphirerapids, and its kernels then die of SIGILL).
common=(-G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
        -DMICRONET_KERNELS_FOR_THIS_CPU=ON
        -DMICRONET_BUILD_PYTHON=OFF -DMICRONET_BUILD_BENCH=OFF
        # The tuner and the package compiler depend on the generators as build targets,
        # which these builds import from the host build instead of building.
        -DMICRONET_BUILD_AUTOTUNE=OFF
        "-Dmicronet_halide-halide_generators_DIR=$PWD/$HOST_BUILD/cmake")

if [ "$WHAT" = asan ] || [ "$WHAT" = all ]; then
  flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
  cmake -S . -B build-asan "${common[@]}" \
    "-DCMAKE_C_FLAGS=$flags" "-DCMAKE_CXX_FLAGS=$flags" \
    "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined" \
    "-DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=address,undefined"
  echo "== ASan+UBSan build (build-asan)"
  cmake --build build-asan -j"$JOBS"
  echo "== ASan+UBSan: ctest"
  (cd build-asan &&
   ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:strict_string_checks=1" \
   UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
   ctest --output-on-failure -j"$JOBS" -LE slow)
fi

if [ "$WHAT" = tsan ] || [ "$WHAT" = all ]; then
  cmake -S . -B build-tsan "${common[@]}" -DMICRONET_WITH_TORCH=OFF \
    "-DCMAKE_C_FLAGS=-fsanitize=thread" "-DCMAKE_CXX_FLAGS=-fsanitize=thread" \
    "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread" "-DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=thread"
  echo "== TSan build (build-tsan: the runtime tests)"
  cmake --build build-tsan -j"$JOBS" --target test_runtime
  echo "== TSan: concurrent calls into one model, and the worker pool's loops"
  # tests/sanitizers/tsan.supp: only Halide's uninstrumented thread-pool locks. Checked:
  # dropping the arena pool's lock in release_arena makes this run fail.
  TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/sanitizers/tsan.supp" \
    build-tsan/bin/test_runtime --gtest_filter='*Concurrent*:WorkerPool.*'
fi
