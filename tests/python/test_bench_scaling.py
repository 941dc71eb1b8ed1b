"""Throughput reporting of `micronet bench` and the batch/thread invariance of `micronet run`:
bench's JSON compares a run's images/s with the same backend at 1 thread, at batch 1 and at
both ("scaling"), and names the worker threads it used (at most the CPUs); a batch run with
2 threads gives the logits of its images run alone with 1 thread, bit for bit.
Timings are never asserted (shared CI machines): only the report's shape and arithmetic."""
import json

import numpy as np
import pytest

pytestmark = pytest.mark.halide

SMALL = ["--arch", "m0", "--height", "64", "--width", "64", "--warmup", "1", "--iters", "3"]


def bench_json(cli, *args):
    r = cli("bench", *SMALL, *args, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_bench_json_reports_scaling_against_one_thread_and_batch_one(cli):
    d = bench_json(cli, "--threads", "2", "--batch", "4")
    assert d["threads"] == 2 and d["batch"] == 4
    assert 1 <= d["threads_used"] == min(2, d["cpus"])
    s = d["scaling"]
    for key in ("one_thread", "batch_one", "one_thread_batch_one"):
        base = s[key + "_images_per_s"]
        assert base > 0
        assert s["vs_" + key] == pytest.approx(d["images_per_s"] / base, rel=2e-3, abs=2e-3)
    assert d["images_per_s"] == pytest.approx(4 * 1000.0 / d["median_ms"], rel=1e-3)
    assert d["results"][0]["scaling"] == s


def test_bench_at_one_thread_and_batch_one_is_its_own_baseline(cli):
    s = bench_json(cli, "--threads", "1", "--batch", "1")["scaling"]
    assert s["vs_one_thread"] == s["vs_batch_one"] == s["vs_one_thread_batch_one"] == 1.0


def test_bench_threads_beyond_the_cpus_are_capped(cli):
    d = bench_json(cli, "--threads", "512", "--batch", "2")
    assert d["threads"] == 512 and d["threads_used"] == d["cpus"] >= 1


def test_bench_text_prints_the_scaling_line(cli):
    r = cli("bench", *SMALL, "--threads", "2", "--batch", "3")
    assert r.returncode == 0, r.stderr
    line = [l for l in r.stdout.splitlines() if "scaling:" in l]
    assert len(line) == 1 and "1 thread at batch 3" in line[0] and "batch 1 at 2 threads" in line[0], r.stdout


def test_run_batch_with_two_threads_equals_its_images_run_alone(cli, tmp_path):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 3, 64, 64)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    r = cli("run", "--arch", "m1", "--input", tmp_path / "x.npy", "--output", tmp_path / "y.npy",
            "--threads", "2")
    assert r.returncode == 0, r.stderr
    batch = np.load(tmp_path / "y.npy")
    for i in range(5):
        np.save(tmp_path / "xi.npy", x[i:i + 1])
        r = cli("run", "--arch", "m1", "--input", tmp_path / "xi.npy", "--output", tmp_path / "yi.npy",
                "--threads", "1")
        assert r.returncode == 0, r.stderr
        np.testing.assert_array_equal(np.load(tmp_path / "yi.npy")[0], batch[i])


def test_throughput_table_script_reports_every_configuration_and_its_ratios(micronet_bin, tmp_path):
    """bench/throughput_table.py (the CPU table of docs/performance.md): every model x threads x batch in
    interleaved rounds, the statistic over the rounds, and ratios computed from the table."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "bench" / "throughput_table.py"
    out = tmp_path / "t.json"
    r = subprocess.run([sys.executable, str(script), "--micronet", str(micronet_bin), "--models", "m0",
                        "--threads", "1,2", "--batches", "1,2", "--rounds", "2", "--iters", "2",
                        "--json", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    rows = json.loads(out.read_text())
    assert sorted((d["threads"], d["batch"]) for d in rows) == [(1, 1), (1, 2), (2, 1), (2, 2)]
    med = {}
    for d in rows:
        assert len(d["images_per_s"]) == 2 and min(d["images_per_s"]) > 0
        assert d["median"] == pytest.approx(sum(d["images_per_s"]) / 2)
        med[(d["threads"], d["batch"])] = d["median"]
    lines = r.stdout.splitlines()
    assert "| M0 | 1 | %.0f | %.0f |" % (med[(1, 1)], med[(1, 2)]) in lines
    assert "| M0 | 2 | %.0f | %.0f |" % (med[(2, 1)], med[(2, 2)]) in lines
    ratios = "| M0 | %.2f | %.2f | %.2f |" % (med[(2, 1)] / med[(1, 1)], med[(2, 2)] / med[(1, 2)],
                                              med[(1, 2)] / med[(1, 1)])
    assert ratios in lines, r.stdout
    bad = subprocess.run([sys.executable, str(script), "--threads", "0"], capture_output=True, text=True)
    assert bad.returncode == 2 and "want positive integers" in bad.stderr
