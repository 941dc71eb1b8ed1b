#!/usr/bin/env bash
# The README's main job: build for this machine, run a checkpoint through the Halide path
# (checked against the LibTorch reference), classify a real photo, print a latency table.
#   bash scripts/run_main.sh [CHECKPOINT.pth ARCH]
# Without a checkpoint it makes one with RANDOM weights (clearly labelled): official
# checkpoints cannot be downloaded on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
if ! dpkg-query -W -f='${Status}' opencv-doc 2>/dev/null | grep -q "install ok installed"; then
  apt-get install -y --no-install-recommends opencv-doc >/dev/null  # sample photos
fi
bash scripts/build.sh
BIN=build/bin/micronet
OUT=build/main_job
mkdir -p "$OUT"

echo; echo "== model costs"
for a in m0 m1 m2 m3; do
  $BIN info $a --json | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(f"MicroNet-{d[\"arch\"]}: {d[\"params\"]/1e6:.2f}M params, {d[\"madds\"]/1e6:.2f}M MAdds")'
done

CKPT=${1:-}
ARCH=${2:-m0}
if [ -z "$CKPT" ]; then
  CKPT=$OUT/micronet_${ARCH}_RANDOM.pth
  echo; echo "== no checkpoint given: saving one with RANDOM weights to $CKPT (torch.save of a state_dict)"
  /usr/bin/python3 tests/python/make_random_checkpoint.py --arch "$ARCH" --out "$CKPT"
fi
echo; echo "== convert $CKPT (restricted reader, no pickle code runs)"
$BIN convert --arch "$ARCH" --checkpoint "$CKPT" --out "$OUT/$ARCH.safetensors"

echo; echo "== run the checkpoint: Halide path vs LibTorch reference"
/usr/bin/python3 -c "import numpy as np; np.save('$OUT/input.npy', np.random.default_rng(0).standard_normal((2,3,224,224)).astype(np.float32))"
$BIN run --arch "$ARCH" --weights "$OUT/$ARCH.safetensors" --input "$OUT/input.npy" --output "$OUT/halide.npy" --backend halide
$BIN run --arch "$ARCH" --weights "$OUT/$ARCH.safetensors" --input "$OUT/input.npy" --output "$OUT/libtorch.npy" --backend libtorch
/usr/bin/python3 - "$OUT" <<'PY'
import sys, numpy as np
h = np.load(sys.argv[1] + "/halide.npy"); t = np.load(sys.argv[1] + "/libtorch.npy")
err = np.linalg.norm(h - t) / np.linalg.norm(t)
same = all((np.argsort(-h[i])[:5] == np.argsort(-t[i])[:5]).all() for i in range(len(h)))
print(f"relative L2 error halide vs libtorch: {err:.2e}; same top-5: {same}")
PY

PHOTO=/usr/share/doc/opencv-doc/examples/data/orange.jpg
echo; echo "== classify $PHOTO (weights: $CKPT)"
$BIN classify --arch "$ARCH" --weights "$OUT/$ARCH.safetensors" "$PHOTO" --topk 5

echo; echo "== latency, batch 1, 224x224, 1 thread (random weights; timings do not depend on values)"
for a in m0 m1 m2 m3; do
  $BIN bench --arch $a --backend all --iters 30 2>/dev/null | tail -n 3
done
