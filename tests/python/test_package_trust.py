"""Issue 30 from Python and the CLI: a package is pinned by the SHA-256 of its manifest.json
(load(package=, expect_sha256=), `run --package DIR --expect-sha256 HEX`), a config with a
byte order mark or in UTF-16 makes compile() raise ValueError with the compiler's message
(UnicodeDecodeError before), and a config string that is not UTF-8 is refused by `convert`
(Python's metadata raised UnicodeDecodeError on the file it wrote).

Kernels compile into the package tests' shared cache (package_cases.CACHE).
"""
import hashlib
import pathlib

import numpy as np
import pytest

mh = pytest.importorskip(
    "micronet_halide",
    reason="micronet_halide is not built or not on PYTHONPATH (build, then PYTHONPATH=build/python)")

from package_cases import CACHE, TINY


@pytest.fixture(scope="module")
def tiny_package(tmp_path_factory):
    out = tmp_path_factory.mktemp("trust") / "tiny"
    return pathlib.Path(mh.compile(config=TINY, out=out, cache_dir=CACHE, quiet=True))


def sha_of(pkg):
    return hashlib.sha256((pkg / "manifest.json").read_bytes()).hexdigest()


def test_expect_sha256_pins_the_package_in_python(tiny_package):
    with pytest.warns(UserWarning):
        m = mh.load(package=tiny_package, expect_sha256=sha_of(tiny_package))
    assert m(np.zeros((1, 3, 64, 64), np.float32)).shape == (1, 10)
    with pytest.raises(mh.PackageError, match="not the package you trusted"):
        mh.load(package=tiny_package, expect_sha256="0" * 64)
    with pytest.raises(ValueError, match="64 hex digits"):
        mh.load(package=tiny_package, expect_sha256="abc")
    with pytest.raises(ValueError, match="with package="):
        mh.load("m0", expect_sha256=sha_of(tiny_package))


def test_expect_sha256_pins_the_package_on_the_cli(tiny_package, cli, tmp_path):
    x = tmp_path / "x.npy"
    np.save(x, np.zeros((1, 3, 64, 64), np.float32))
    ok = cli("run", "--package", tiny_package, "--expect-sha256", sha_of(tiny_package), "--input", x,
             "--output", tmp_path / "y.npy")
    assert ok.returncode == 0, ok.stderr
    bad = cli("run", "--package", tiny_package, "--expect-sha256", "f" * 64, "--input", x,
              "--output", tmp_path / "y.npy")
    assert bad.returncode != 0
    assert "not the package you trusted" in bad.stderr
    usage = cli("run", "--arch", "m0", "--expect-sha256", "f" * 64, "--input", x, "--output", tmp_path / "y.npy")
    assert usage.returncode == 2 and "--package" in usage.stderr


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_compile_of_a_bom_or_utf16_config_is_a_value_error(tmp_path, encoding):
    cfg = tmp_path / "tiny.json"
    cfg.write_text(TINY.read_text(), encoding=encoding)
    with pytest.raises(ValueError, match="byte order mark|UTF-16"):
        mh.compile(config=cfg, out=tmp_path / "never", cache_dir=CACHE, quiet=True)


def test_convert_refuses_a_config_string_that_is_not_utf8(cli, tmp_path):
    text = TINY.read_bytes().replace(b'"name": "tiny",', b'"name": "tiny", "config_name": "bad\xff",')
    cfg = tmp_path / "bad.json"
    cfg.write_bytes(text)
    r = cli("info", "--config", cfg)
    assert r.returncode != 0
    assert "not UTF-8" in r.stderr
