#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ (the file parsers + zlib only, clang-15 with
# ASan + UBSan; no Halide kernels, no LibTorch) into build-fuzz/ and runs each for
# SECONDS_PER_TARGET seconds (default 20) on a copy of its seed corpus
# (tests/fuzz/corpus/<target>/). Exits non-zero, naming the target, on any finding: crash,
# sanitizer report, leak, timeout (> 10 s per input) or OOM (> 2048 MB).
#
#   bash scripts/fuzz.sh [SECONDS_PER_TARGET]
#   FUZZ_TARGETS="npy idx" FUZZ_JOBS=2 bash scripts/fuzz.sh 600   # a subset, two at a time
#
# Reproducers land in build-fuzz/artifacts/<target>/; rerun one with
# build-fuzz/fuzz_<target> <file>. The grown corpora stay in build-fuzz/corpus/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-20}
TARGETS=(${FUZZ_TARGETS:-checkpoint safetensors npy idx kernel_cases tuning_records tuning_db manifest config_json latency_table})
JOBS=${FUZZ_JOBS:-1}
OUT=${FUZZ_OUT:-build-fuzz}  # another folder keeps a long run apart from rebuilds

for tool in clang-15 clang++-15; do
  command -v "$tool" >/dev/null || { echo "fuzz: $tool not found (bash scripts/install_deps.sh)" >&2; exit 2; }
done
if [ ! -f "$OUT/build.ninja" ]; then
  CC=clang-15 CXX=clang++-15 cmake -S tests/fuzz -B "$OUT" -G Ninja >/dev/null
fi
cmake --build "$OUT" -j"$(nproc)" -- $(printf 'fuzz_%s ' "${TARGETS[@]}")
# Symbolized reports: clang-15 ships no llvm-symbolizer of its own; llvm-14's (Halide's
# LLVM) reads the same DWARF.
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ]; then
  for s in /usr/lib/llvm-15/bin/llvm-symbolizer /usr/bin/llvm-symbolizer-15 /usr/bin/llvm-symbolizer /usr/bin/llvm-symbolizer-14; do
    if [ -x "$s" ]; then export ASAN_SYMBOLIZER_PATH=$s; break; fi
  done
fi

run_target() {
  local t=$1 corpus="$OUT/corpus/$1" artifacts="$OUT/artifacts/$1/" log="$OUT/logs/$1.log"
  mkdir -p "$corpus" "$artifacts" "$OUT/logs"
  cp -n tests/fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
  # -max_len: the largest seed is < 64 KiB; the formats' interesting parts are at the front.
  if "$OUT/fuzz_$t" "$corpus" -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 \
       -timeout=10 -max_len=65536 -artifact_prefix="$artifacts" -print_final_stats=1 \
       >"$log" 2>&1; then
    echo "fuzz_$t: ok, $(grep -m1 -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$') executions," \
         "corpus $(ls "$corpus" | wc -l) inputs"
  else
    echo "fuzz_$t: FINDING (log $log, reproducer in $artifacts):"
    grep -E -m3 "ERROR:|SUMMARY:|deadly signal|Timeout|out-of-memory|leak" "$log" | sed 's/^/    /'
    return 1
  fi
}

failed=()
declare -A pid_target=()
for t in "${TARGETS[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do sleep 1; done
  run_target "$t" &
  pid_target[$!]=$t
done
for pid in "${!pid_target[@]}"; do
  wait "$pid" || failed+=("${pid_target[$pid]}")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: findings in: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: ${#TARGETS[@]} targets x ${SECONDS_PER_TARGET}s, no findings"
