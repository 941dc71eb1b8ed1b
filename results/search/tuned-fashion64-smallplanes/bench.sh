#!/bin/bash
# The shipped Fashion-MNIST M0 against the searched s3eedff043a92 at 64x64, 1 thread, batch 1:
# as shipped, and both tuned alike with this folder's databases (budget 16 and 48 per kernel).
# Usage (from the repository root, after the build): bash results/search/tuned-fashion64-smallplanes/bench.sh [ROUNDS]
# Prints "round what median_us" lines; rounds interleave every variant (the machine is shared).
set -eu
rounds=${1:-7}
here=$(dirname "$0")
M=${MICRONET:-build/bin/micronet}
W=models/pretrained
S=results/search/search-fashion64/s3eedff043a92.json
pk=$(mktemp -d)
trap 'rm -rf "$pk"' EXIT
compile() {  # out, then the network and tuning flags
  local out=$1; shift
  "$M" compile "$@" --size 64x64 --classes 10 --out "$pk/$out" > "$pk/$out.log" 2>&1 || { cat "$pk/$out.log"; exit 1; }
}
compile s3-default --config $S --weights $W/micronet_s3eedff043a92_fashion64.safetensors
for b in 16 48; do
  compile m0-tuned64-b$b --arch m0 --tuning "$here/m0-64x64-budget$b.jsonl" --weights $W/micronet_m0_fashion64.safetensors
  compile s3-tuned64-b$b --config $S --tuning "$here/s3eedff043a92-64x64-budget$b.jsonl" \
    --weights $W/micronet_s3eedff043a92_fashion64.safetensors
done
for r in $(seq "$rounds"); do
  for what in m0-built s3-default m0-tuned64-b16 s3-tuned64-b16 m0-tuned64-b48 s3-tuned64-b48; do
    if [ "$what" = m0-built ]; then a="--weights $W/micronet_m0_fashion64.safetensors"; else a="--package $pk/$what"; fi
    v=$("$M" bench $a --iters 2000 --warmup 100 --json 2>/dev/null |
        /usr/bin/python3 -c 'import json,sys; print(round(json.load(sys.stdin)["median_ms"] * 1000, 1))')
    echo "$r $what $v"
  done
done
