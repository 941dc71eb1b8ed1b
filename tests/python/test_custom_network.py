"""A custom network (tests/data/configs/tiny.json: K=1 and K=2 Dynamic Shift-Max, J=3 and
J=1, a 7x7 depthwise kernel, a residual; none of M0..M3) from the command line: its
official-format checkpoint, saved as users save them (torch.save(model.state_dict()) of the
independent PyTorch model, micronet_torch.build_from_config), converts with
`micronet convert --config` (the config goes into the file's metadata), runs from a package
(`micronet compile --config --weights`, `run --package`) and without one (compiled on demand)
within rel L2 1e-4 (same top-5) of the PyTorch model, and `micronet train --config` then
`micronet eval` work.

Compiled kernels go to the cache that ctest's test_packages uses (build/tests/compiler/
work/cache, or $MICRONET_TEST_PACKAGE_CACHE), so each kernel compiles once for both.
"""
import json
import os
import shutil
import pathlib
import subprocess

import numpy as np
import pytest
import torch

import micronet_torch

from package_cases import CACHE, REL_L2_TOL, TINY, random_batch, rel_l2, top5


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("custom")


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


def test_convert_config_keeps_the_config_in_the_metadata(tiny_converted):
    _, st = tiny_converted
    raw = st.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    meta = json.loads(raw[8:8 + n])["__metadata__"]
    assert meta["arch"] == "tiny" and meta["num_classes"] == "10"
    assert json.loads(meta["config"])["rows"][1]["J"] == 3


def test_python_model_of_a_config_matches_the_libtorch_reference(tiny_converted, cli, work):
    model, st = tiny_converted
    x = random_batch()
    np.save(work / "x.npy", x)
    r = cli("run", "--weights", st, "--backend", "libtorch", "--input", work / "x.npy", "--output", work / "ref.npy")
    assert r.returncode == 0, r.stderr
    with torch.no_grad():
        want = model(torch.from_numpy(x)).numpy()
    assert rel_l2(np.load(work / "ref.npy"), want) <= REL_L2_TOL


def run_with_cache(micronet_bin, cache, *args):
    env = dict(os.environ, MICRONET_CACHE_DIR=str(cache))
    return subprocess.run([str(micronet_bin)] + [str(a) for a in args], capture_output=True, text=True, env=env,
                          timeout=600)


def test_custom_checkpoint_converts_and_runs_from_a_package(tiny_converted, cli, work):
    model, st = tiny_converted
    pkg = work / "tiny-host"
    r = cli("compile", "--config", TINY, "--weights", st, "--out", pkg, "--cache-dir", CACHE)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "run it: micronet run --package" in r.stdout
    x = random_batch(seed=11)
    np.save(work / "x11.npy", x)
    with torch.no_grad():
        want = model(torch.from_numpy(x)).numpy()
    r = cli("run", "--package", pkg, "--input", work / "x11.npy", "--output", work / "pkg.npy")
    assert r.returncode == 0, r.stderr
    got = np.load(work / "pkg.npy")
    assert rel_l2(got, want) <= REL_L2_TOL
    assert (top5(got) == top5(want)).all()


def test_custom_weights_run_without_a_package_compiled_on_demand(tiny_converted, micronet_bin, work):
    model, st = tiny_converted
    x = random_batch(seed=12)
    np.save(work / "x12.npy", x)
    # A fresh cache: the package (and its kernels: 8 small ones, a few seconds) compile here.
    r = run_with_cache(micronet_bin, work / "on-demand", "run", "--weights", st, "--input", work / "x12.npy",
                       "--output", work / "od.npy")
    assert r.returncode == 0, r.stderr
    assert "compiling a package once (micronet compile --config" in r.stderr
    with torch.no_grad():
        want = model(torch.from_numpy(x)).numpy()
    assert rel_l2(np.load(work / "od.npy"), want) <= REL_L2_TOL


def test_a_rebuilt_compiler_recompiles_the_cached_package(tiny_converted, micronet_bin, work):
    """The on-demand package is cached by network *and* compiler: after the generators change
    (a rebuild with new schedules), the next run compiles again instead of reusing old kernels."""
    _, st = tiny_converted
    bin_dir = work / "bin-copy"
    bin_dir.mkdir()
    for name in ["micronet", "micronet-compile"] + [f"micronet_{f}.generator" for f in ("stem", "dwsep", "gconv", "head")]:
        shutil.copy2(pathlib.Path(micronet_bin).parent / name, bin_dir / name)
    x = random_batch(seed=13)
    np.save(work / "x13.npy", x)

    def run():
        return run_with_cache(bin_dir / "micronet", work / "rebuilt", "run", "--weights", st, "--input",
                              work / "x13.npy", "--output", work / "rebuilt.npy")

    first, again = run(), run()
    assert first.returncode == 0 and again.returncode == 0, first.stderr + again.stderr
    assert "compiling a package once" in first.stderr
    assert "using the package compiled earlier" in again.stderr
    gconv = bin_dir / "micronet_gconv.generator"
    later = gconv.stat().st_mtime + 60
    os.utime(gconv, (later, later))
    rebuilt = run()
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "compiling a package once" in rebuilt.stderr


def test_convert_config_refuses_a_checkpoint_of_another_network(cli, work, make_checkpoint):
    m0 = make_checkpoint(work / "m0.pth", "m0")
    r = cli("convert", "--config", TINY, "--checkpoint", m0, "--out", work / "wrong.safetensors")
    assert r.returncode == 1
    assert "as MicroNet-tiny" in r.stderr
    assert not (work / "wrong.safetensors").exists()
    r = cli("convert", "--arch", "m0", "--config", TINY, "--checkpoint", m0, "--out", work / "wrong.safetensors")
    assert r.returncode == 2 and "--arch m0..m3 or --config" in r.stderr


@pytest.mark.skipif(not pathlib.Path("/usr/share/datasets/fashion-mnist").is_dir()
                    and not os.environ.get("MICRONET_FASHION_MNIST_DIR"), reason="no Fashion-MNIST")
def test_train_config_then_eval(cli, micronet_bin, work):
    out = work / "trained-tiny.safetensors"
    r = cli("train", "--config", TINY, "--dataset", "fashion-mnist", "--max-steps", "2", "--batch", "16",
            "--train-limit", "64", "--eval-limit", "32", "--out", out)
    assert r.returncode == 0, r.stderr
    r = run_with_cache(micronet_bin, work / "on-demand", "eval", "--weights", out, "--dataset", "fashion-mnist",
                       "--limit", "50", "--json")
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    assert result["arch"] == "tiny" and result["n"] == 50
