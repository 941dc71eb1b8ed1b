#!/usr/bin/env python3
"""Runs `micronet run` of a target build (a command prefix: qemu + the aarch64 binary, or the
host binary with --target opencl) on a random 64x64 batch and compares its logits with the
host build's LibTorch reference (`--backend libtorch`): relative L2 error <= --tol, the same
top --top classes (default 1). Exit 0 on success."""
import argparse, os, subprocess, sys
import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("--host-micronet", required=True)
ap.add_argument("--weights", required=True)
ap.add_argument("--tol", type=float, required=True)
ap.add_argument("--workdir", required=True)
ap.add_argument("--batch", type=int, default=2)
ap.add_argument("--size", type=int, default=64)
ap.add_argument("--top", type=int, default=1, help="the top-k classes that must agree, best first")
ap.add_argument("cmd", nargs=argparse.REMAINDER, help="-- COMMAND... [extra run flags after @@]")
a = ap.parse_args()
cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
extra = []
if "@@" in cmd:
    i = cmd.index("@@")
    cmd, extra = cmd[:i], cmd[i + 1:]
os.makedirs(a.workdir, exist_ok=True)
x = np.random.default_rng(7).standard_normal((a.batch, 3, a.size, a.size)).astype(np.float32)
xin, ref, got = (os.path.join(a.workdir, f) for f in ("input.npy", "reference.npy", "got.npy"))
np.save(xin, x)
for f in (ref, got):
    if os.path.exists(f):
        os.remove(f)
subprocess.run([a.host_micronet, "run", "--weights", a.weights, "--input", xin, "--output", ref,
                "--backend", "libtorch"], check=True)
subprocess.run(cmd + ["run", "--weights", a.weights, "--input", xin, "--output", got] + extra, check=True)
r, g = np.load(ref), np.load(got)
if r.shape != g.shape:
    sys.exit(f"shape mismatch: reference {r.shape}, got {g.shape}")
rel = float(np.linalg.norm(g - r) / max(np.linalg.norm(r), 1e-30))
k = min(a.top, r.shape[1])
same_top = bool((np.argsort(-r, 1, kind="stable")[:, :k] == np.argsort(-g, 1, kind="stable")[:, :k]).all())
print(f"logits {g.shape}: rel L2 error {rel:.3e} (tol {a.tol:g}), same top-{k}: {same_top}")
sys.exit(0 if rel <= a.tol and same_top else 1)
