#!/usr/bin/env bash
# The README's test command: installs dependencies, builds, runs every test suite
# (GoogleTest via ctest, then pytest with Debian's python3, which holds torch).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
bash scripts/build.sh
echo "== ctest"
(cd build && ctest --output-on-failure -j"${JOBS:-$(nproc)}")
echo "== aarch64 cross build + tests under qemu (label aarch64)"
bash scripts/build_aarch64.sh
(cd build-aarch64 && ctest --output-on-failure -j"${JOBS:-$(nproc)}")
echo "== pytest"
MICRONET_BIN="$PWD/build/bin/micronet" PYTHONPATH="$PWD/build/python${PYTHONPATH:+:$PYTHONPATH}" \
  /usr/bin/python3 -m pytest -q tests/python
