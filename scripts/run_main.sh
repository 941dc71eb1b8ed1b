#!/usr/bin/env bash
# The README's main job: build for this machine; run the shipped MicroNet-M0 trained on
# Fashion-MNIST (models/pretrained/) through the Halide path: a few test images (true vs
# predicted class) and the accuracy on all 10,000 test images, checked against the LibTorch
# reference; then check the official-checkpoint import path; print a latency table.
#   bash scripts/run_main.sh [CHECKPOINT.pth ARCH]
# The import check uses CHECKPOINT.pth when given, else one with RANDOM weights (clearly
# labelled): official ImageNet checkpoints cannot be downloaded on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
# Only what this job runs: the `micronet` CLI (and micronet-full, which it hands classify,
# eval and the LibTorch backend to), with the kernels of this CPU's x86 variant. A build/
# configured earlier (by the test command: every variant and GPU API) is used as it is.
if [ ! -f build/CMakeCache.txt ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DMICRONET_KERNELS_FOR_THIS_CPU=ON
fi
echo "== building the micronet CLI for this machine ($(nproc) jobs)"
cmake --build build -j"${JOBS:-$(nproc)}" --target micronet
BIN=build/bin/micronet
OUT=build/main_job
mkdir -p "$OUT"

echo; echo "== model costs"
for a in m0 m1 m2 m3; do
  $BIN info $a --json | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print("MicroNet-%s: %.2fM params, %.2fM MAdds" % (d["arch"], d["params"] / 1e6, d["madds"] / 1e6))'
done

# ---- the headline: a real model on real data --------------------------------------------
MODEL=models/pretrained/micronet_m0_fashion64.safetensors
DATA=/usr/share/datasets/fashion-mnist
echo; echo "== Fashion-MNIST: $MODEL (trained with \`micronet train\`, see models/pretrained/README.md)"
echo "== a few test images as files, classified through the Halide path (the weights file's metadata"
echo "   gives the arch, classes, 64x64 input size and greyscale preprocessing)"
/usr/bin/python3 - "$DATA" "$OUT" <<'PY'
import gzip, sys, numpy as np
data, out = sys.argv[1], sys.argv[2]
names = ["tshirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle_boot"]
imgs = np.frombuffer(gzip.open(data + "/t10k-images-idx3-ubyte.gz").read()[16:], np.uint8).reshape(-1, 28, 28)
labels = np.frombuffer(gzip.open(data + "/t10k-labels-idx1-ubyte.gz").read()[8:], np.uint8)
for i in range(6):
    with open("%s/fashion_test_%d_%s.pgm" % (out, i, names[labels[i]]), "wb") as f:
        f.write(b"P5\n28 28\n255\n" + imgs[i].tobytes())
PY
for f in "$OUT"/fashion_test_*.pgm; do
  true_class=$(basename "$f" .pgm | cut -d_ -f4-)
  pred=$($BIN classify --weights "$MODEL" "$f" --topk 1 | sed -n 2p | awk '{$1=$2=$3=""; sub(/ +prob .*/, ""); sub(/^ +/, ""); print}')
  printf '  %-28s true %-11s predicted %s\n' "$(basename "$f")" "$true_class" "$pred"
done

echo; echo "== test accuracy on the 10,000 Fashion-MNIST test images: Halide path, then the LibTorch reference"
$BIN eval --weights "$MODEL" --dataset fashion-mnist --backend all --show 10 --plot "$OUT/fashion_confusion.png"

# ---- the official checkpoint format (ImageNet, 1000 classes) ------------------------------
echo; echo "== official-format import check (ImageNet layout, 1000 classes): the path an official checkpoint takes"
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
if [ ! -f "$PHOTO" ]; then  # images that strip /usr/share/doc drop opencv-doc's samples
  PHOTO=$OUT/fashion_confusion.png
  echo "(opencv-doc's orange.jpg is absent here: classifying $PHOTO instead)"
fi
echo; echo "== classify $PHOTO with $CKPT (ImageNet preprocessing; with RANDOM weights the classes mean nothing)"
$BIN classify --arch "$ARCH" --weights "$OUT/$ARCH.safetensors" "$PHOTO" --topk 5

echo; echo "== latency, batch 1, 1 thread: medians of timed calls (random weights for M0..M3: timings do not depend on values)"
/usr/bin/python3 - "$BIN" "$MODEL" <<'PY'
import json, subprocess, sys
micronet, fashion = sys.argv[1], sys.argv[2]
rows = [("M0 Fashion-MNIST", ["--weights", fashion], 50)] + [("M%d" % i, ["--arch", "m%d" % i], 30) for i in range(4)]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown CPU")
print("%-18s %-9s %12s %14s %9s" % ("model", "input", "Halide ms", "LibTorch ms", "speedup"))
for name, args, iters in rows:
    out = subprocess.run([micronet, "bench", *args, "--backend", "all", "--iters", str(iters), "--json"],
                         capture_output=True, text=True, check=True).stdout
    doc = json.loads(out)
    ms = {r["backend"]: r["median_ms"] for r in doc["results"]}
    size = "%dx%d" % tuple(doc["input"])
    print("%-18s %-9s %12.3f %14.3f %8.1fx" % (name, size, ms["halide"], ms["libtorch"], ms["libtorch"] / ms["halide"]))
print("(%s, %d CPUs; one run, so a few per cent of noise)" % (cpu, len(__import__("os").sched_getaffinity(0))))
PY
