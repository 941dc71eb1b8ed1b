#!/bin/bash
# The GPU check of the throughput issue, in two halves, so that the minutes on a lent GPU
# machine (no Halide, LibTorch or OpenCV there; CUDA, PyTorch and Python are) go to running:
#
#   bash scripts/gpu_check.sh prepare [--api cuda]       # here: slim build + reference cases
#   bash scripts/gpu_check.sh run [--api cuda] [--out DIR] [--iters N] [--bundle FILE]
#                                                         # there: check, bench, PyTorch, table
#   bash scripts/gpu_check.sh cases                       # here: the reference cases only
# Common flags: --build DIR (default build-gpu), --cases DIR (default BUILD/cases),
#   --models "m0 m3" (default all four), --case-size N (default 160), --full DIR (the full
#   build that writes the cases, default build), --check-models "m0 m3" (run: the models
#   checked against their cases, default --models: a lent machine takes 64 MiB in all, the
#   tree included, and the four cases are 47 MB), --cpu-threads 1,2,4,8,16 (run: also the CPU
#   throughput of M0 and M3 at those thread counts, batch 1 and 32; default none).
#
# prepare: a slim host build in BUILD (-DMICRONET_WITH_TORCH=OFF, no OpenCV, the GPU API
#   given; its `micronet` links only libc/libstdc++) and LibTorch reference cases of every
#   kernel of M0..M3 (--case-size, default 160x160, batch 1, calibrated random weights) in
#   CASES, written by the full build in build/ (`micronet cases`). Carry BUILD/bin/micronet
#   (14 MB) and CASES (47 MB) to the GPU machine: a lent machine takes 64 MiB with the
#   working tree (13 MB), so carry three of the four cases and name them in --check-models
#   (160x160 keeps them small, mostly weights, and puts odd extents, 5x5 .. 80x80, through
#   every kernel).
# run: `micronet targets`; `micronet check --target API` on every case (each kernel and the
#   whole model against LibTorch, tolerance 2e-4, top-5 equal); `micronet bench --target API`
#   at batch 1 and 64 (and a per-kernel profile at each); on cuda the input copy rates
#   (bench/gpu_copy_probe.py) and the input paths compared (input_paths.md: pinned staging
#   against MICRONET_CUDA_STAGING=0, and on every core); PyTorch eager and CUDA-graph timings
#   of the same networks (bench/torch_gpu_bench.py); one Markdown table in DIR/table.md.
#   --bundle FILE: also the whole DIR as one .tar.gz (a lent machine returns only a few
#   files of its output folder: run --out "$OUT/gpu" --bundle "$OUT/gpu.tgz").
#   Exits 1 when a check fails. --api opencl runs the same on PoCL (how this script is tested
#   without a GPU, with --build build and cases from `cases`; PyTorch then runs on the CPU,
#   eager only). PYTHON=/usr/bin/python3 picks the interpreter that has PyTorch.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }
mode=${1:-}
[ $# -gt 0 ] && shift
api=cuda
out=gpu_check_out
bundle=
build=build-gpu
full=build
cases=
iters=50
case_size=160
cpu_threads=
models="m0 m1 m2 m3"
check_models=
while [ $# -gt 0 ]; do
  case "$1" in
    --api) api=${2:?--api wants cuda or opencl}; shift 2 ;;
    --out) out=${2:?--out wants a directory}; shift 2 ;;
    --bundle) bundle=${2:?--bundle wants a .tar.gz file}; shift 2 ;;
    --build) build=${2:?--build wants a build directory}; shift 2 ;;
    --cases) cases=${2:?--cases wants a directory}; shift 2 ;;
    --full) full=${2:?--full wants the full build directory}; shift 2 ;;
    --iters) iters=${2:?--iters wants a count}; shift 2 ;;
    --case-size) case_size=${2:?--case-size wants a size}; shift 2 ;;
    --cpu-threads) cpu_threads=${2:?--cpu-threads wants a list like 1,2,4,8,16}; shift 2 ;;
    --models) models=${2:?--models wants a list like "m0 m3"}; shift 2 ;;
    --check-models) check_models=${2:?--check-models wants a list like "m0 m3"}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "gpu_check.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
case "$api" in cuda|opencl) ;; *) echo "gpu_check.sh: --api $api: want cuda or opencl" >&2; exit 2 ;; esac
cases=${cases:-$build/cases}
check_models=${check_models:-$models}

need_full_build() {
  [ -x "$full/bin/micronet-full" ] ||
    { echo "gpu_check.sh: needs the full build in $full/ (micronet cases; --full DIR)" >&2; exit 1; }
}

write_cases() {
  need_full_build
  mkdir -p "$cases"
  for m in $models; do
    echo "== reference cases: $m -> $cases/$m.cases.safetensors"
    "$full/bin/micronet" cases --arch "$m" --size "$case_size" --batch 1 --seed 1 --out "$cases/$m.cases.safetensors"
  done
  du -sh "$cases"
}

prepare() {
  # The slim configuration would replace the full build's: refuse to point it there.
  [ "$(realpath -m "$build")" != "$(realpath -m "$full")" ] ||
    { echo "gpu_check.sh prepare: --build must not be the full build ($full/)" >&2; exit 2; }
  need_full_build  # before the slim build's minutes, not after
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMICRONET_WITH_TORCH=OFF \
    -DCMAKE_DISABLE_FIND_PACKAGE_OpenCV=ON -DMICRONET_GPU_APIS="$api" \
    -DMICRONET_BUILD_PYTHON=OFF -DMICRONET_BUILD_BENCH=OFF
  cmake --build "$build" --target micronet
  write_cases
  du -sh "$build/bin/micronet"
}

run() {
  local mn="$build/bin/micronet"
  [ -x "$mn" ] || { echo "gpu_check.sh run: no $mn (run 'prepare' first and carry $build)" >&2; exit 1; }
  mkdir -p "$out"
  { command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; } \
    > "$out/device.txt" 2>&1 || true
  cat "$out/device.txt"
  "$mn" targets | tee "$out/targets.txt"
  local failed=0
  for m in $check_models; do
    echo "== check --target $api: $m"
    if ! "$mn" check --target "$api" "$cases/$m.cases.safetensors" > "$out/check_$m.txt" 2>&1; then
      failed=1
      echo "FAILED (see $out/check_$m.txt)"
    fi
    tail -3 "$out/check_$m.txt"
  done
  local jsons=()
  for m in $models; do
    for b in 1 64; do
      echo "== bench --target $api: $m batch $b"
      "$mn" bench --arch "$m" --target "$api" --batch "$b" --iters "$iters" --json \
        > "$out/bench_${m}_b$b.json" 2> "$out/bench_${m}_b$b.err" || { failed=1; cat "$out/bench_${m}_b$b.err"; }
      jsons+=("$out/bench_${m}_b$b.json")
    done
    for b in 1 64; do
      "$mn" bench --arch "$m" --target "$api" --batch "$b" --iters 5 --profile \
        > /dev/null 2> "$out/profile_${m}_b$b.txt" || true
    done
  done
  # The cuda input path against the plain one (MICRONET_CUDA_STAGING=0: a check pass, then
  # Halide's copy from pageable memory), and the staging copy on every core (--threads; the
  # default is the CPUs, at most 8).
  if [ "$api" = cuda ]; then
    local cores
    cores=$(nproc)
    for m in $models; do
      for b in 1 64; do
        MICRONET_CUDA_STAGING=0 "$mn" bench --arch "$m" --target cuda --batch "$b" --iters "$iters" --json \
          > "$out/bench_${m}_b${b}_pageable.json" 2> "$out/bench_${m}_b${b}_pageable.err" || failed=1
      done
      "$mn" bench --arch "$m" --target cuda --batch 64 --threads "$cores" --iters "$iters" --json \
        > "$out/bench_${m}_b64_t$cores.json" 2> "$out/bench_${m}_b64_t$cores.err" || failed=1
    done
    "${PYTHON:-python3}" - "$out" "$cores" $models > "$out/input_paths.md" <<'PY' || failed=1
import json, sys
out, cores, models = sys.argv[1], sys.argv[2], sys.argv[3:]
def ms(name):
    try:
        with open(f"{out}/{name}.json") as f:
            d = json.load(f)
        return f"{d['median_ms']:.3f} ({d['threads']} thr, {d.get('device_input', '-')})"
    except (OSError, ValueError, KeyError):
        return "failed"
print(f"| model | batch | MICRONET_CUDA_STAGING=0 | default | {cores} threads |")
print("|---|---|---|---|---|")
for m in models:
    for b in (1, 64):
        wide = ms(f"bench_{m}_b64_t{cores}") if b == 64 else "-"
        print(f"| {m.upper()} | {b} | {ms(f'bench_{m}_b{b}_pageable')} | {ms(f'bench_{m}_b{b}')} | {wide} |")
PY
    cat "$out/input_paths.md"
  fi
  # What the input copy alone costs here (pageable vs pinned, host memcpy): the floor under
  # the end-to-end figures. Informational: a failure does not fail the check.
  if [ "$api" = cuda ]; then
    "${PYTHON:-python3}" bench/gpu_copy_probe.py --json "$out/copy_probe.json" > "$out/copy_probe.md" 2>&1 || true
    cat "$out/copy_probe.md"
  fi
  # The lent machine's CPU cores (16 on the NVIDIA ones) give the CPU scaling curve the
  # development machine (2 cores) cannot: one round, M0 and M3, batch 1 and 32.
  if [ -n "$cpu_threads" ]; then
    echo "== CPU threads $cpu_threads"
    "${PYTHON:-python3}" bench/throughput_table.py --micronet "$mn" --models m0,m3 \
      --threads "$cpu_threads" --batches 1,32 --rounds 1 --iters "$iters" \
      --json "$out/cpu_threads.json" > "$out/cpu_threads.md" || failed=1
    cat "$out/cpu_threads.md"
  fi
  local device=cuda
  [ "$api" = cuda ] || device=cpu
  "${PYTHON:-python3}" bench/torch_gpu_bench.py --device "$device" --models "${models// /,}" --batches 1,64 \
    --iters "$iters" --json "$out/torch.json" --micronet-json "${jsons[@]}" | tee "$out/table.md"
  if [ -n "$bundle" ]; then
    tar czf "$bundle" -C "$(dirname "$out")" "$(basename "$out")" || failed=1
    echo "bundled $out into $bundle"
  fi
  [ "$failed" = 0 ] || { echo "gpu_check.sh: a check or bench failed (see $out)" >&2; exit 1; }
}

case "$mode" in
  prepare) prepare ;;
  cases) write_cases ;;
  run) run ;;
  -h|--help|"") usage; [ -n "$mode" ] || exit 2 ;;
  *) echo "gpu_check.sh: unknown mode '$mode' (prepare, cases or run)" >&2; exit 2 ;;
esac
