"""An `arm-64-android` package links as an Android shared object would (issue 29): Android's
loader (bionic) has no glibc, so kernels.so must not NEED libc.so.6 (or any other glibc
library) nor refer to glibc's symbol versions; it carries a soname and 16 KiB-aligned
segments, as the NDK links libraries. No NDK or device here: readelf checks the file.
"""
import re
import shutil
import subprocess

import pytest

from package_cases import CACHE, TINY


def readelf(*args):
    return subprocess.run(["readelf", *args], capture_output=True, text=True, check=True).stdout


@pytest.mark.skipif(not shutil.which("aarch64-linux-gnu-g++") or not shutil.which("readelf"),
                    reason="needs Debian's g++-aarch64-linux-gnu and binutils")
def test_android_package_has_no_glibc_dependency(cli, tmp_path):
    out = tmp_path / "tiny-android"
    r = cli("compile", "--config", TINY, "--target", "arm-64-android", "--out", out, "--cache-dir", CACHE,
            timeout=1800)
    assert r.returncode == 0, r.stdout + r.stderr
    lib = str(out / "kernels.so")
    header = readelf("-h", lib)
    assert "AArch64" in header and "DYN" in header, header
    dynamic = readelf("-d", lib)
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.*)\]", dynamic)
    glibc = [n for n in needed if n.endswith((".so.6", ".so.1")) or n.startswith("ld-linux")]
    assert not glibc, "kernels.so NEEDs glibc libraries %s:\n%s" % (glibc, dynamic)
    assert re.search(r"\(SONAME\)\s+Library soname: \[kernels.so\]", dynamic), dynamic
    versions = readelf("-V", lib)
    assert "GLIBC_" not in versions, versions
    symbols = readelf("--dyn-syms", "-W", lib)
    assert "@GLIBC" not in symbols, [l for l in symbols.splitlines() if "@GLIBC" in l]
    segments = readelf("-l", "-W", lib)
    aligns = [int(a, 16) for a in re.findall(r"^\s+LOAD\s.*\s(0x[0-9a-f]+)$", segments, re.M)]
    assert aligns and min(aligns) >= 0x4000, segments
