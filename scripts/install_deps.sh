#!/usr/bin/env bash
# Installs every Debian 12 package the project needs. Idempotent: packages already
# present are skipped by apt; `apt-get update` runs once per invocation.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache git pkg-config
  libhalide14-0-dev                 # Halide 14 (+ LLVM 14) and its autoschedulers
  libtorch-dev                      # LibTorch 1.13: the reference model
  python3-torch python3-numpy python3-pytest pybind11-dev python3-dev
  libopencv-dev                     # image decode / resize for `classify`
  opencv-doc                        # sample photos the main job classifies
  libgtest-dev libgmock-dev libbenchmark-dev
  qemu-user-static g++-aarch64-linux-gnu   # ARM cross build + emulation
  pocl-opencl-icd ocl-icd-opencl-dev       # OpenCL on the CPU
  zlib1g-dev
  clang-15 libfuzzer-15-dev         # scripts/fuzz.sh (sanitizer runtimes: libclang-common-15-dev)
  libcli11-dev nlohmann-json3-dev   # command line (tools/cli_app.cpp), JSON output of classify
  dataset-fashion-mnist             # Fashion-MNIST IDX files: training, eval, tests
  libxgboost-dev                    # the autotuner's cost model (autotune/cost_model.cpp)
  python3-matplotlib                # tuning curves and report plots
  parallel                          # sharded tuning across machines (docs/autotuning.md)
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install_deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi
echo "install_deps: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${missing[@]}"
