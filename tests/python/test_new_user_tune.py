"""`micronet tune` as a user tuning their own network meets it (issue 29): --jobs 1 runs one
generator at a time (the baselines and the search kept one more compiling than --jobs), and
when every autoscheduler baseline fails the run says so, not only the database.

The generators are the build's, each behind a wrapper that logs when it starts and ends and
fails every autoscheduler run (a baseline that cannot compile, as Adams2019 cannot on some
kernels).
"""
import json
import pathlib
import re

from package_cases import TINY

WRAPPER = """#!/bin/sh
echo "start $(date +%s.%N)" >> {log}
case " $* " in
  *" auto_schedule=true "*) sleep 1; echo "end $(date +%s.%N)" >> {log}; echo "no autoscheduler here" >&2; exit 1;;
esac
{real} "$@"
rc=$?
echo "end $(date +%s.%N)" >> {log}
exit $rc
"""


def most_at_once(log):
    events = []
    for line in log.read_text().splitlines():
        kind, t = line.split()
        events.append((float(t), 0 if kind == "end" else 1))
    running = peak = 0
    for _, start in sorted(events):
        running += 1 if start else -1
        peak = max(peak, running)
    return peak, sum(1 for _, s in events if s)


def test_jobs_1_runs_one_generator_at_a_time_and_failed_baselines_are_reported(cli, micronet_bin, tmp_path):
    real = pathlib.Path(micronet_bin).parent
    wrapped = tmp_path / "generators"
    wrapped.mkdir()
    log = tmp_path / "generators.log"
    for family in ("stem", "dwsep", "gconv", "head"):
        w = wrapped / ("micronet_%s.generator" % family)
        w.write_text(WRAPPER.format(log=log, real=real / w.name))
        w.chmod(0o755)
    r = cli("kernels", "--config", TINY)
    kernel = sorted(k for k in re.findall(r"^  [ !] (\S+)  ", r.stdout, re.M) if k.startswith("gconv_"))[0]
    db = tmp_path / "db.jsonl"
    r = cli("tune", "--config", TINY, "--size", "64x64", "--kernel", kernel, "--budget", "3", "--jobs", "1",
            "--repeats", "2", "--db", db, "--generators", wrapped, timeout=1800)
    assert r.returncode == 0, r.stderr
    assert "every autoscheduler baseline failed (Adams2019: compile_error" in r.stderr, r.stderr
    assert "Mullapudi2016: compile_error" in r.stderr, r.stderr
    peak, runs = most_at_once(log)
    assert runs >= 5, "%d generator runs: default, 2 baselines, 3 candidates expected" % runs
    assert peak == 1, "--jobs 1 ran %d generators at once" % peak
    statuses = [json.loads(l)["status"] for l in db.read_text().splitlines() if l.strip()]
    assert statuses.count("compile_error") == 2 and "ok" in statuses, statuses
