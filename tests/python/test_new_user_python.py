"""The Python module where it lagged the CLI for a user's own network (issue 29): convert()
and info() take config= (a file or a dict) as `--config`; an error in a dict config names the
dict, not a temporary file; load(package=<an OpenCL package>, target='host') refuses instead
of returning an OpenCL model; Model.arch's docstring says what it returns.
"""
import json
import struct

import pytest
import torch

import micronet_torch

mh = pytest.importorskip(
    "micronet_halide",
    reason="micronet_halide is not built or not on PYTHONPATH (build, then PYTHONPATH=build/python)")

from package_cases import CACHE, TINY


def safetensors_metadata(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return json.loads(f.read(n)).get("__metadata__", {})


@pytest.fixture(scope="module")
def tiny_pth(tmp_path_factory):
    cfg = json.loads(TINY.read_text())
    model = micronet_torch.randomize_(micronet_torch.build_from_config(cfg), 7, calib_size=64)
    pth = tmp_path_factory.mktemp("tiny") / "tiny.pth"
    torch.save(model.state_dict(), str(pth))
    return pth


@pytest.mark.parametrize("as_dict", [False, True], ids=["file", "dict"])
def test_convert_takes_a_config(tiny_pth, tmp_path, as_dict):
    config = json.loads(TINY.read_text()) if as_dict else TINY
    out = tmp_path / "tiny.safetensors"
    mh.convert(checkpoint=tiny_pth, out=out, config=config)
    meta = safetensors_metadata(out)
    assert meta["arch"] == "tiny" and meta["num_classes"] == "10", meta
    assert json.loads(meta["config"])["name"] == "tiny"
    assert (meta["input_height"], meta["input_width"]) == ("64", "64")


def test_convert_needs_one_network(tiny_pth, tmp_path):
    with pytest.raises(ValueError, match="one network"):
        mh.convert("m0", tiny_pth, tmp_path / "x.safetensors", config=TINY)
    with pytest.raises(ValueError, match="one network"):
        mh.convert(checkpoint=tiny_pth, out=tmp_path / "x.safetensors")


def test_info_takes_a_config():
    d = mh.info(config=TINY)
    assert d["arch"] == "tiny" and d["input"] == (64, 64) and d["num_classes"] == 10
    assert mh.info(config=json.loads(TINY.read_text()))["madds"] == d["madds"]
    assert mh.info(config=TINY, height=96, width=96)["input"] == (96, 96)
    assert mh.info("m0")["input"] == (224, 224)


def test_dict_config_errors_name_the_dict(tmp_path):
    bad = json.loads(TINY.read_text())
    del bad["name"]
    for call in (lambda: mh.info(config=bad), lambda: mh.compile(config=bad, out=tmp_path / "pkg", quiet=True)):
        with pytest.raises(ValueError) as e:
            call()
        msg = str(e.value)
        assert "config dict" in msg and "name" in msg, msg
        assert ".json" not in msg and "tmp" not in msg, msg


def test_model_arch_docstring_says_custom_names():
    doc = mh.Model.arch.__doc__
    assert "'m0'..'m3'" in doc and "name" in doc and "config" in doc, doc


def test_load_opencl_package_with_target_host_refuses(tmp_path):
    # Refused from its manifest, before its library is loaded: so also by a runtime that has
    # no OpenCL support to open it with.
    pkg = mh.compile(config=TINY, target="opencl", out=tmp_path / "tiny-opencl", cache_dir=CACHE, quiet=True)
    with pytest.raises(ValueError, match="target=.host. does not apply to package .*opencl.*device .opencl."):
        mh.load(package=pkg, target="host")
