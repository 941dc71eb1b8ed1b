#!/bin/bash
# ctest gpu_check_script_on_pocl: scripts/gpu_check.sh's `cases` and `run --api opencl` on
# M0 must pass the check and write a table with this project's and PyTorch's timings.
# Usage: check_gpu_check_script.sh SOURCE_DIR BUILD_DIR WORK_DIR
set -euo pipefail
src=$1 build=$2 work=$3
rm -rf "$work"
script="$src/scripts/gpu_check.sh"
bash "$script" cases --full "$build" --cases "$work/cases" --models m0 --case-size 64
bash "$script" run --api opencl --build "$build" --cases "$work/cases" --models m0 \
  --out "$work/out" --iters 2 --bundle "$work/out.tgz"
grep -q "top-5 same, ok" "$work/out/check_m0.txt" || { echo "check output lacks the model line"; exit 1; }
for b in 1 64; do
  grep -Eq "^\| M0 \| $b \| [0-9.]+ \([0-9]+\) \| [0-9.]+ \([0-9]+\) \|" "$work/out/table.md" ||
    { echo "table.md lacks the M0 batch $b row with both timings"; cat "$work/out/table.md"; exit 1; }
done
# The listing goes to a file first: `tar | grep -q` under pipefail fails whenever grep exits at
# its match before tar has written the rest (tar then dies of SIGPIPE), as it did in CI.
tar tzf "$work/out.tgz" > "$work/bundle.txt"
grep -qx "out/table.md" "$work/bundle.txt" || { echo "the bundle lacks out/table.md"; cat "$work/bundle.txt"; exit 1; }
# Bad arguments are clear errors, not a run.
if bash "$script" run --api metal 2> "$work/err.txt"; then echo "--api metal accepted"; exit 1; fi
grep -q "want cuda or opencl" "$work/err.txt"
if bash "$script" prepare --build "$build" --full "$build" 2> "$work/err.txt"; then echo "prepare over the full build accepted"; exit 1; fi
grep -q "must not be the full build" "$work/err.txt"
echo "gpu_check.sh: cases, run on PoCL and the table ok"
