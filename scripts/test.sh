#!/usr/bin/env bash
# The README's test command: installs dependencies, builds, runs every test suite
# (GoogleTest via ctest, the aarch64 build under qemu, pytest with Debian's python3, which
# holds torch), then the sanitizer builds (ASan+UBSan ctest, TSan) and a short run of each
# libFuzzer target.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
stamp() { echo "   ($(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s so far)"; }
bash scripts/install_deps.sh
bash scripts/build.sh
stamp
echo "== ctest"
(cd build && ctest --output-on-failure -j"${JOBS:-$(nproc)}")
stamp
echo "== aarch64 cross build + tests under qemu (label aarch64)"
bash scripts/build_aarch64.sh
(cd build-aarch64 && ctest --output-on-failure -j"${JOBS:-$(nproc)}")
stamp
echo "== pytest"
MICRONET_BIN="$PWD/build/bin/micronet" PYTHONPATH="$PWD/build/python${PYTHONPATH:+:$PYTHONPATH}" \
  /usr/bin/python3 -m pytest -q tests/python
stamp
echo "== sanitizers (ASan+UBSan ctest, TSan concurrent runs)"
bash scripts/sanitize.sh all
stamp
echo "== fuzzers (${FUZZ_SECONDS:-15} s per target)"
bash scripts/fuzz.sh "${FUZZ_SECONDS:-15}"
stamp
