"""The README's main command (`bash scripts/run_main.sh`) runs to the end on this machine.

It once shipped with a Python 3.12-only f-string that Debian 12's Python 3.11 rejects: the
only place that ran it was a person. This runs it (build is a no-op after the test build;
~40 s: Fashion-MNIST accuracy on 10,000 images, the import check, the labelled latency table)
and checks the lines that carry its results; timings are printed, never asserted.
"""
import re
import subprocess

import pytest

from conftest import REPO


@pytest.mark.skipif(not (REPO / "build" / "bin" / "micronet").exists(), reason="no build/ to run")
def test_main_job_runs_to_the_end():
    r = subprocess.run(["bash", str(REPO / "scripts" / "run_main.sh")], cwd=REPO,
                       capture_output=True, text=True, timeout=1200)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-4000:]
    assert "MicroNet-m0: 1.02M params, 4.05M MAdds" in out
    assert "MicroNet-m3: 2.62M params, 20.81M MAdds" in out
    m = re.search(r"relative L2 error halide vs libtorch: ([0-9.e+-]+); same top-5: (\w+)", out)
    assert m and float(m.group(1)) <= 1e-4 and m.group(2) == "True", out[-4000:]
    # The closing latency table: a header, then one labelled row per model (timings printed,
    # never asserted), then the machine it ran on.
    assert re.search(r"^model +input +Halide ms +LibTorch ms +speedup$", out, re.M), out[-4000:]
    rows = re.findall(r"^(M0 Fashion-MNIST|M[0-3]) +(\d+x\d+) +[0-9.]+ +[0-9.]+ +[0-9.]+x$", out, re.M)
    assert rows == [("M0 Fashion-MNIST", "64x64"), ("M0", "224x224"), ("M1", "224x224"), ("M2", "224x224"),
                    ("M3", "224x224")], out[-4000:]
    assert re.search(r"^\(.+, \d+ CPUs; one run", out, re.M), out[-4000:]
