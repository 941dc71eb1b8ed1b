"""What the package tests share (test_packages.py, test_custom_network.py): the custom test
network, the kernel cache they share with ctest, and the comparison with the reference."""
import os
import pathlib

import numpy as np

REPO = pathlib.Path(__file__).resolve().parents[2]
TINY = REPO / "tests" / "data" / "configs" / "tiny.json"
# ctest's package tests use this cache too: each kernel compiles once per build.
CACHE = pathlib.Path(os.environ.get("MICRONET_TEST_PACKAGE_CACHE",
                                    REPO / "build" / "tests" / "compiler" / "work" / "cache"))
REL_L2_TOL = 1e-4


def rel_l2(got, want):
    return float(np.linalg.norm(got - want) / np.linalg.norm(want))


def top5(logits):
    return np.argsort(-logits, axis=1, kind="stable")[:, :5]


def random_batch(n=2, size=64, seed=5):
    return np.random.default_rng(seed).standard_normal((n, 3, size, size)).astype(np.float32)
