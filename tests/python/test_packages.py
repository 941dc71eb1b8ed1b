"""Model packages (`micronet compile`, docs/compile.md) from Python:
micronet_halide.compile() runs micronet-compile with the CLI's arguments, and
load(package=DIR) runs the package: M0's package gives the built-in kernels' logits exactly;
a custom network's package (tests/data/configs/tiny.json, weights from a PyTorch checkpoint
converted with `micronet convert --config`) is within rel L2 1e-4 of the PyTorch model; a
refused package (another architecture, an edited library, another version, no manifest)
raises micronet_halide.PackageError (a RuntimeError) naming what differs.

Compiled kernels go to the cache that ctest's test_packages uses (build/tests/compiler/
work/cache, or $MICRONET_TEST_PACKAGE_CACHE), so each kernel compiles once for both.
"""
import json
import pathlib
import shutil

import numpy as np
import pytest
import torch

import micronet_torch

mh = pytest.importorskip(
    "micronet_halide",
    reason="micronet_halide is not built or not on PYTHONPATH (build, then PYTHONPATH=build/python)")

from package_cases import CACHE, REL_L2_TOL, REPO, TINY, random_batch, rel_l2, top5
M0_FASHION = REPO / "models" / "pretrained" / "micronet_m0_fashion64.safetensors"


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("packages")


@pytest.fixture(scope="module")
def m0_package(work):
    """M0 with the shipped Fashion-MNIST weights, compiled for the host at 64x64."""
    return mh.compile("m0", size=64, weights=M0_FASHION, out=work / "m0-host", cache_dir=CACHE, quiet=True)


@pytest.fixture(scope="module")
def tiny_converted(work, cli):
    """The custom network in PyTorch, randomized (BatchNorm statistics calibrated), saved
    with torch.save(state_dict()), converted with `micronet convert --config`."""
    cfg = json.loads(TINY.read_text())
    model = micronet_torch.randomize_(micronet_torch.build_from_config(cfg), 7, calib_size=64)
    pth = work / "tiny.pth"
    torch.save(model.state_dict(), str(pth))
    st = work / "tiny.safetensors"
    r = cli("convert", "--config", TINY, "--checkpoint", pth, "--out", st)
    assert r.returncode == 0, r.stderr
    return model, st


# ---------------------------------------------------------------------------------------
# compile() and load(package=...)
# ---------------------------------------------------------------------------------------
def test_compile_returns_the_package_folder(m0_package, work):
    assert m0_package == str((work / "m0-host").resolve())
    manifest = json.loads((pathlib.Path(m0_package) / "manifest.json").read_text())
    assert manifest["name"] == "m0" and manifest["classes"] == 10 and manifest["input_size"] == [64, 64]
    assert manifest["weights"] == "weights.safetensors"


def test_load_package_equals_the_built_in_m0(m0_package):
    builtin = mh.load(M0_FASHION)
    packaged = mh.load(package=m0_package)
    assert packaged.arch == "m0" and packaged.num_classes == 10 and packaged.input_size == (64, 64)
    assert packaged.target == "host"
    assert packaged.class_names == builtin.class_names  # from the package's weights' metadata
    x = random_batch(3)
    np.testing.assert_array_equal(packaged(x), builtin(x))
    # Other input sizes and explicit weights go through the package too.
    y = random_batch(1, size=96)
    np.testing.assert_array_equal(mh.load(package=m0_package, weights=M0_FASHION)(y), builtin(y))


def test_load_package_without_weights_warns_and_uses_random_weights(work):
    bare = mh.compile(config=json.loads(TINY.read_text()), out=work / "tiny-bare", cache_dir=CACHE, quiet=True)
    with pytest.warns(UserWarning, match="RANDOM weights"):
        m = mh.load(package=bare, seed=3)
    assert m.arch == "tiny" and m.num_classes == 10 and m(random_batch()).shape == (2, 10)


def copy_package(src, dst):
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst)
    return dst


def edit(path, old, new):
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def test_refused_packages_raise_package_error_naming_what_differs(m0_package, work):
    assert issubclass(mh.PackageError, RuntimeError)
    arm = copy_package(m0_package, work / "bad-arm")
    edit(arm / "manifest.json", '"halide_target": "x86-64-linux', '"halide_target": "arm-64-linux')
    with pytest.raises(mh.PackageError, match=r"compiled for arm-64 .*this machine is x86-64"):
        mh.load(package=arm)

    flipped = copy_package(m0_package, work / "bad-flip")
    with open(flipped / "kernels.so", "r+b") as f:
        f.seek(4000)
        byte = f.read(1)
        f.seek(4000)
        f.write(bytes([byte[0] ^ 0x5A]))
    with pytest.raises(mh.PackageError, match="SHA-256.*edited or corrupted"):
        mh.load(package=flipped)

    old = copy_package(m0_package, work / "bad-version")
    manifest = json.loads((old / "manifest.json").read_text())
    edit(old / "manifest.json", '"project_version": "%s"' % manifest["project_version"], '"project_version": "0.0.1"')
    with pytest.raises(mh.PackageError, match="compiled by micronet 0.0.1, this runtime is micronet"):
        mh.load(package=old)

    empty = work / "not-a-package"
    empty.mkdir(exist_ok=True)
    with pytest.raises(mh.PackageError, match="not a package"):
        mh.load(package=empty)
    with pytest.raises(FileNotFoundError):
        mh.load(package=work / "missing")


def test_load_package_argument_errors(m0_package):
    with pytest.raises(ValueError, match="holds MicroNet-m0, but arch 'm1'"):
        mh.load("m1", package=m0_package)
    with pytest.raises(ValueError, match="does not apply"):
        mh.load(package=m0_package, target="cuda")


def test_compile_argument_errors(work):
    with pytest.raises(ValueError, match="one network"):
        mh.compile(out=work / "x")
    with pytest.raises(ValueError, match="one network"):
        mh.compile("m0", config=TINY, out=work / "x")
    # A usage error listing the accepted names (support/targets.h), not Halide's feature dump.
    with pytest.raises(ValueError, match="'sparc-32-plan9' is not a target; accepted: host, opencl, cuda"):
        mh.compile("m0", target="sparc-32-plan9", out=work / "x", cache_dir=CACHE, quiet=True)




def test_custom_network_package_from_python_matches_pytorch(tiny_converted, work):
    model, st = tiny_converted
    pkg = mh.compile(config=TINY, weights=st, out=work / "tiny-host", cache_dir=CACHE, quiet=True)
    m = mh.load(package=pkg)
    assert m.arch == "tiny" and m.num_classes == 10 and m.input_size == (64, 64)
    x = random_batch(seed=11)
    with torch.no_grad():
        want = model(torch.from_numpy(x)).numpy()
    got = m(x)
    assert rel_l2(got, want) <= REL_L2_TOL
    assert (top5(got) == top5(want)).all()
    # Its weights file alone carries its config: load() compiles it on demand, as the CLI does.
    alone = mh.load(st)
    assert alone.arch == "tiny" and alone.num_classes == 10
    assert rel_l2(alone(x), want) <= REL_L2_TOL


def test_noise_probe_reports_rounds_correlation_and_minimum_spreads(m0_package, tiny_converted, work):
    """bench/noise_probe.py (results/search/validation-2026-11-27/README.md): two packages timed in
    alternating rounds; the report's shape only (timings are never asserted)."""
    import os
    import re
    import subprocess
    import sys
    _, st = tiny_converted
    tiny = mh.compile(config=TINY, weights=st, out=work / "tiny-probe", cache_dir=CACHE, quiet=True)
    script = REPO / "bench" / "noise_probe.py"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    r = subprocess.run([sys.executable, str(script), m0_package, tiny, "--seconds", "1", "--iters", "3",
                        "--chunks", "1,2"], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert re.match(r"\d+ rounds each of 3 calls, 1 s, alternating A and B$", lines[0]), r.stdout
    assert lines[1].startswith("A m0-host: mean of round medians") and lines[2].startswith("B tiny-probe:")
    assert lines[3].startswith("A/B back to back: correlation")
    assert any(l.startswith("  k=1   A:") for l in lines) and any(l.startswith("  k=2   B:") for l in lines)
    bad = subprocess.run([sys.executable, str(script), str(work), tiny], capture_output=True, text=True, env=env)
    assert bad.returncode == 2 and f"{work}: not a model package" in bad.stderr
