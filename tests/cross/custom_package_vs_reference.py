#!/usr/bin/env python3
"""A custom network (a config that is none of M0..M3) compiled on the host into an
`arm-64-linux` model package runs on the aarch64 runtime (under qemu) within --tol of the
host's LibTorch reference built from the same config, with the same top-5.

The weights are made as users make them: the independent PyTorch model of the config
(tests/python/micronet_torch.py, random weights, BatchNorm statistics calibrated) saved with
torch.save(state_dict()), converted by the host's `micronet convert --config`. The host's
`micronet compile --target arm-64-linux --weights` packages them; compare_logits.py then
runs the package (`run --package`) against `micronet run --backend libtorch` of the
converted file (whose metadata holds the config).

    custom_package_vs_reference.py --host-micronet build/bin/micronet --config tiny.json
        --workdir DIR --tol 1e-4 -- qemu-aarch64-static -L /usr/aarch64-linux-gnu micronet
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

ap = argparse.ArgumentParser()
ap.add_argument("--host-micronet", required=True)
ap.add_argument("--config", required=True)
ap.add_argument("--target", default="arm-64-linux")
ap.add_argument("--workdir", required=True)
ap.add_argument("--tol", type=float, required=True)
ap.add_argument("--seed", type=int, default=7)
ap.add_argument("cmd", nargs=argparse.REMAINDER, help="-- COMMAND... running the target build's micronet")
a = ap.parse_args()
cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
os.makedirs(a.workdir, exist_ok=True)
pth = os.path.join(a.workdir, "custom.pth")
weights = os.path.join(a.workdir, "custom.safetensors")
package = os.path.join(a.workdir, "package-" + a.target)


def run(argv):
    print("+ " + " ".join(argv), flush=True)
    subprocess.run(argv, check=True)


# 1. The official-format checkpoint, from PyTorch.
sys.path.insert(0, os.path.join(REPO, "tests", "python"))
import torch  # noqa: E402
import micronet_torch  # noqa: E402

with open(a.config) as f:
    cfg = json.load(f)
size = cfg.get("input_size", [224, 224])[0]
model = micronet_torch.randomize_(micronet_torch.build_from_config(cfg), a.seed, calib_size=size)
torch.save(model.state_dict(), pth)
# 2. convert --config; 3. compile for the target with the weights in the package.
run([a.host_micronet, "convert", "--config", a.config, "--checkpoint", pth, "--out", weights])
run([a.host_micronet, "compile", "--config", a.config, "--target", a.target, "--weights", weights,
     "--out", package, "--cache-dir", os.path.join(a.workdir, "cache")])
# 4. The package on the target against the host's LibTorch reference.
rc = subprocess.run([sys.executable, os.path.join(HERE, "compare_logits.py"), "--host-micronet", a.host_micronet,
                     "--weights", weights, "--tol", str(a.tol), "--workdir", a.workdir, "--size", str(size),
                     "--top", "5", "--"] + cmd + ["@@", "--package", package]).returncode
sys.exit(rc)
