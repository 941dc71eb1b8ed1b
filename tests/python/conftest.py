"""Shared fixtures for the `micronet` CLI tests.

Environment:
  MICRONET_BIN                 the CLI binary (default <repo>/build/bin/micronet)
The official state_dict listings are in <repo>/tests/data/official_state_dicts.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))

import micronet_torch  # noqa: E402

ARCHS = micronet_torch.ARCHS
CLI_TIMEOUT_S = 300


def pytest_configure(config):
    config.addinivalue_line("markers", "halide: runs the Halide backend of the CLI")
    config.addinivalue_line("markers", "libtorch: runs the LibTorch backend of the CLI")


def _bin_path():
    return Path(os.environ.get("MICRONET_BIN", REPO / "build" / "bin" / "micronet"))


@pytest.fixture(scope="session")
def micronet_bin():
    path = _bin_path()
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.skip("micronet binary not found at %s (build it, or set MICRONET_BIN)" % path)
    return path


@pytest.fixture(scope="session")
def reference_dir():
    # Copied into the tree: the tests never read outside the repository.
    path = REPO / "tests" / "data" / "official_state_dicts"
    assert path.is_dir(), "missing %s" % path
    return path


@pytest.fixture(scope="session")
def cli(micronet_bin):
    """cli(*args) -> CompletedProcess (text mode, stdout/stderr captured, never raises
    on a non-zero exit)."""

    def run(*args, timeout=CLI_TIMEOUT_S):
        return subprocess.run([str(micronet_bin)] + [str(a) for a in args],
                              capture_output=True, text=True, timeout=timeout)

    return run


@pytest.fixture(scope="session")
def make_checkpoint(reference_dir):
    """make_checkpoint(out, arch='m0', *options) runs scripts/make_test_checkpoint.py
    (random tensors for the official key list of `arch`) and returns `out`."""
    script = REPO / "scripts" / "make_test_checkpoint.py"

    def make(out, arch="m0", *options):
        tsv = reference_dir / ("micronet_%s_state_dict.tsv" % arch)
        cmd = [sys.executable, str(script), "--tsv", str(tsv), "--out", str(out)]
        cmd += [str(o) for o in options]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)
        return Path(out)

    return make


class ConvertedModel:
    """A randomized Python model, its state_dict saved with torch.save, and the file
    `micronet convert` made of it."""

    def __init__(self, arch, model, pth, safetensors):
        self.arch = arch
        self.model = model
        self.pth = pth
        self.safetensors = safetensors


@pytest.fixture(scope="session")
def converted(tmp_path_factory, cli):
    """converted(arch) -> ConvertedModel, built once per arch per session."""
    cache = {}

    def get(arch):
        if arch not in cache:
            d = tmp_path_factory.mktemp("model_" + arch)
            seed = 1000 + ARCHS.index(arch)
            model = micronet_torch.randomize_(micronet_torch.build_micronet(arch), seed)
            pth = d / ("micronet_%s.pth" % arch)
            torch.save(model.state_dict(), str(pth))
            st = d / ("micronet_%s.safetensors" % arch)
            r = cli("convert", "--arch", arch, "--checkpoint", pth, "--out", st)
            assert r.returncode == 0, "convert failed:\n" + r.stderr
            assert st.is_file()
            cache[arch] = ConvertedModel(arch, model, pth, st)
        return cache[arch]

    return get


@pytest.fixture
def out_dir(tmp_path):
    """An empty folder for outputs; tests assert that failures leave it empty."""
    d = tmp_path / "out"
    d.mkdir()
    return d
