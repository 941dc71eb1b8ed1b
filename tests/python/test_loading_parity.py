"""The CLI and Python load the same files the same way (loader/model_loader.h, one loader for
both): for each kind of file a user hands over, `micronet run` and micronet_halide.load()
accept it alike and give the same logits, bit for bit (same kernels, same weights, one
thread). The kinds: an official-layout .pth, the same checkpoint under a name without a
suffix (recognised by its zip magic), a safetensors file of a custom network whose config
travels in its metadata (compiled on demand by both), and a model package."""
import json
import os
import shutil

import numpy as np
import pytest
import torch

import micronet_torch

mh = pytest.importorskip(
    "micronet_halide",
    reason="micronet_halide is not built or not on PYTHONPATH (build, then PYTHONPATH=build/python)")

from package_cases import CACHE, REPO, TINY, random_batch  # noqa: E402

M0_FASHION = REPO / "models" / "pretrained" / "micronet_m0_fashion64.safetensors"


@pytest.fixture(scope="module", autouse=True)
def shared_cache():
    """Packages compiled on demand go to the kernel cache the package tests share."""
    old = os.environ.get("MICRONET_CACHE_DIR")
    os.environ["MICRONET_CACHE_DIR"] = str(CACHE)
    yield
    if old is None:
        del os.environ["MICRONET_CACHE_DIR"]
    else:
        os.environ["MICRONET_CACHE_DIR"] = old


@pytest.fixture(scope="module")
def files(tmp_path_factory, cli):
    """name -> (cli arguments, load() keyword arguments), one per kind of file."""
    d = tmp_path_factory.mktemp("loading")
    model = micronet_torch.randomize_(micronet_torch.build_micronet("m0"), 31, calib_size=64)
    pth = d / "m0.pth"
    torch.save(model.state_dict(), str(pth))
    bare = d / "m0_checkpoint_without_suffix"
    shutil.copy(pth, bare)
    tiny_model = micronet_torch.randomize_(micronet_torch.build_from_config(json.loads(TINY.read_text())), 7,
                                           calib_size=64)
    tiny_pth = d / "tiny.pth"
    torch.save(tiny_model.state_dict(), str(tiny_pth))
    tiny = d / "tiny.safetensors"
    r = cli("convert", "--config", TINY, "--checkpoint", tiny_pth, "--out", tiny)
    assert r.returncode == 0, r.stderr
    package = mh.compile("m0", size=64, weights=M0_FASHION, out=d / "m0-package", cache_dir=CACHE, quiet=True)
    return {
        "official .pth": (["--arch", "m0", "--weights", pth], dict(arch="m0", weights=pth)),
        "zip-magic .pth, no suffix": (["--arch", "m0", "--weights", bare], dict(arch="m0", weights=bare)),
        "safetensors, custom config": (["--weights", tiny], dict(weights=tiny)),
        "package": (["--package", package], dict(package=package)),
    }


@pytest.mark.parametrize("kind", ["official .pth", "zip-magic .pth, no suffix", "safetensors, custom config",
                                  "package"])
def test_cli_and_python_load_the_same_file_alike(kind, files, cli, tmp_path):
    cli_args, load_kwargs = files[kind]
    x = random_batch(2, size=64, seed=3)
    np.save(tmp_path / "x.npy", x)
    r = cli("run", *cli_args, "--input", tmp_path / "x.npy", "--output", tmp_path / "y.npy", "--threads", "1")
    assert r.returncode == 0, "%s through the CLI:\n%s" % (kind, r.stderr)
    from_cli = np.load(tmp_path / "y.npy")
    model = mh.load(threads=1, **load_kwargs)
    from_python = model(x)
    assert from_cli.shape == from_python.shape
    np.testing.assert_array_equal(from_cli, from_python, err_msg=kind)
    assert np.isfinite(from_python).all() and np.abs(from_python).max() > 0


def test_the_checkpoint_rule_is_one_rule(files, cli, tmp_path):
    """A safetensors file is never taken for a checkpoint by its name alone, in either: a
    non-zip file named .pth is a checkpoint error in both."""
    fake = tmp_path / "not_a_zip.pth"
    fake.write_bytes(b"this is not a zip file")
    np.save(tmp_path / "x.npy", random_batch(1, size=64))
    r = cli("run", "--arch", "m0", "--weights", fake, "--input", tmp_path / "x.npy", "--output", tmp_path / "y.npy")
    assert r.returncode == 1 and "not_a_zip.pth" in r.stderr, r.stderr
    assert not (tmp_path / "y.npy").exists()
    with pytest.raises(RuntimeError, match="not_a_zip.pth"):
        mh.load("m0", fake)
