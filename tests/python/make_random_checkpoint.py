"""Saves a MicroNet state_dict with RANDOM weights (and random BatchNorm statistics) the way
users' checkpoints are made: torch.save(model.state_dict(), path). For demos and tests only.

    /usr/bin/python3 tests/python/make_random_checkpoint.py --arch m0 --out m0_random.pth
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from micronet_torch import build_micronet, randomize_  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--arch", required=True, choices=["m0", "m1", "m2", "m3"])
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    model = build_micronet(a.arch)
    randomize_(model, a.seed)
    torch.save(model.state_dict(), a.out)
    print(f"saved RANDOM MicroNet-{a.arch} weights to {a.out}")


if __name__ == "__main__":
    main()
