"""`micronet search --predict` as a user with their own network and tuning records meets it
(issue 29): the prediction is for the network's own input size and classes; its packages are
kept under the kernel cache (moved by $MICRONET_CACHE_DIR) and keyed by the tuning records, so
a prediction with --tuning never answers from the package compiled without them; a target
this machine cannot run is refused before anything is compiled; the overhead line says how
to get an overhead model.
"""
import json
import os
import re
import subprocess
import time

import pytest

from package_cases import TINY

STEP = re.compile(r"^  (\S+)\s+(\d+)x(\d+)\s+([\d.]+) us  (.*)$", re.M)


def search(micronet_bin, *args, env=None, timeout=1800):
    return subprocess.run([str(micronet_bin), "search"] + [str(a) for a in args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def steps(stdout):
    return {m.group(1): (int(m.group(2)), float(m.group(4)), m.group(5).strip()) for m in STEP.finditer(stdout)}


def test_predict_takes_the_network_size_and_keys_packages_by_the_tuning(micronet_bin, tmp_path):
    cfg = json.loads(TINY.read_text())
    cfg["input_size"], cfg["classes"] = [96, 96], 7
    net = tmp_path / "net.json"
    net.write_text(json.dumps(cfg))
    cache = tmp_path / "cache"
    env = dict(os.environ, MICRONET_CACHE_DIR=str(cache))
    first = search(micronet_bin, "--predict", net, "--jobs", "2", env=env)
    assert first.returncode == 0, first.stderr
    assert "tiny at 96x96, 7 classes" in first.stdout, first.stdout
    assert "--calibrate 20" in first.stdout, "the overhead line does not say how to fit a model:\n" + first.stdout
    before = steps(first.stdout)
    gconv = sorted(k for k in before if k.startswith("gconv_"))[0]
    assert max(s[0] for s in before.values()) == 96, before  # the stem's input: the config's size
    # Its packages and table lie under the cache folder $MICRONET_CACHE_DIR names.
    assert (cache / "latency_table.jsonl").is_file()
    packages = sorted((cache / "predict-packages").iterdir())
    assert len(packages) == 1, packages

    mine = tmp_path / "mine.txt"
    mine.write_text("x86 %s autoscheduler=Mullapudi2016\n" % gconv)
    second = search(micronet_bin, "--predict", net, "--jobs", "2", "--tuning", mine, env=env)
    assert second.returncode == 0, second.stderr
    after = steps(second.stdout)
    assert after[gconv][2] == "Mullapudi2016", second.stdout
    # A package of its own, compiled with the record: not the default-schedule one reused.
    packages = sorted((cache / "predict-packages").iterdir())
    assert len(packages) == 2, packages
    schedules = []
    for p in packages:
        m = json.loads((p / "manifest.json").read_text())
        schedules.append({k["name"]: k["schedule"] for k in m["kernels"]}[gconv])
    assert "Mullapudi2016" in schedules and len(set(schedules)) == 2, schedules
    # The latency table holds the kernel under both schedules, each measured in its package.
    kinds = [json.loads(l) for l in (cache / "latency_table.jsonl").read_text().splitlines() if l.strip()]
    timed = {r.get("schedule") for r in kinds if r.get("kernel") == gconv}
    assert {"Mullapudi2016"} <= timed and len(timed) == 2, timed


def test_predict_for_a_target_this_machine_cannot_run_refuses_before_compiling(micronet_bin, tmp_path):
    t0 = time.monotonic()
    r = search(micronet_bin, "--target", "arm-64-linux", "--predict", "m0", "--table", tmp_path / "t.jsonl",
               "--cache-dir", tmp_path / "cache")
    elapsed = time.monotonic() - t0
    assert r.returncode == 1, r.stderr
    assert "cannot measure" in r.stderr and "arm-64-linux" in r.stderr, r.stderr
    assert elapsed < 30, "refused after %.0f s" % elapsed
    assert not (tmp_path / "cache" / "kernels").exists(), "it compiled kernels before refusing"


def test_predict_tuning_file_without_records_is_refused(micronet_bin, tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n# nothing\n")
    r = search(micronet_bin, "--predict", TINY, "--tuning", empty, "--cache-dir", tmp_path / "c")
    assert r.returncode == 1 and "holds no tuning records" in r.stderr, r.stderr
