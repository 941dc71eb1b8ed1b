"""What a new user met on the way from their own network to a tuned package (issue 29), as
tests of the command line:

* every executable's usage errors look alike: exit 2, the command's name first, a "did you
  mean" for a misspelt flag (one table over all commands, micronet-measure included), and
  for a bad --target the accepted names instead of Halide's 27-line feature list;
* `micronet compile --tuning` adds to the build's records (the given ones win per kernel),
  finds a file's format from its content, and refuses what holds no records;
* `micronet kernels --config`, `tune --help`'s defaults, `compile --out FILE`.

Compiles share the package tests' kernel cache (package_cases.CACHE).
"""
import json
import os
import pathlib
import re
import stat
import subprocess
import time

import pytest

from conftest import REPO
from package_cases import CACHE, TINY

SHIPPED_TUNING = REPO / "schedules" / "tuning_db.txt"
HALIDE_DUMP = "Where arch is"  # the first line of Halide's own target-string help


def assert_usage_error(r, command, *mentions):
    assert r.returncode == 2, "exit %d, want 2 (usage error); stderr:\n%s" % (r.returncode, r.stderr)
    assert r.stderr.startswith(command + ": "), "stderr does not start with %r:\n%s" % (command + ": ", r.stderr)
    for m in mentions:
        assert m in r.stderr, "stderr does not mention %r:\n%s" % (m, r.stderr)
    for bad in ("Run with --help", "Traceback", "terminate called", HALIDE_DUMP):
        assert bad not in r.stderr, "stderr holds %r:\n%s" % (bad, r.stderr)


@pytest.fixture(scope="module")
def bin_dir(micronet_bin):
    return pathlib.Path(micronet_bin).parent


def run_exe(path, *args, timeout=300, env=None):
    return subprocess.run([str(path)] + [str(a) for a in args], capture_output=True, text=True, timeout=timeout,
                          env=env)


# ---------------------------------------------------------------------------------------
# One table: every command, a misspelt flag each -> exit 2, its name, "did you mean".
# ---------------------------------------------------------------------------------------
MISSPELT = [
    ("info", ["m0", "--jsno"], "--json"),
    ("convert", ["--chekpoint", "x.pth"], "--checkpoint"),
    ("run", ["--pakage", "pkg"], "--package"),
    ("bench", ["--iter", "3"], "--iters"),
    ("classify", ["--topK", "3", "x.png"], "--topk"),
    ("eval", ["--limt", "3"], "--limit"),
    ("cases", ["--sed", "3"], "--seed"),
    ("check", ["--famly", "all"], "--family"),
    ("train", ["--epoch", "3"], "--epochs"),
    ("kernels", ["--confg", "x.json"], "--config"),
    ("targets", ["--hepl"], "--help"),
    ("tune", ["--budjet", "4"], "--budget"),
    ("search", ["--latency", "0.1"], "--latency-ms"),
    ("compile", ["--traget", "x"], "--target"),
]


@pytest.mark.parametrize("cmd,args,meant", MISSPELT, ids=[m[0] for m in MISSPELT])
def test_every_command_suggests_the_flag_meant(cli, cmd, args, meant):
    r = cli(cmd, *args)
    assert_usage_error(r, "micronet " + cmd, "did you mean %s?" % meant, "micronet help " + cmd)


def test_measure_suggests_the_flag_meant(bin_dir):
    r = run_exe(bin_dir / "micronet-measure", "--kernal", "x")
    assert_usage_error(r, "micronet-measure", "did you mean --kernel?")


def test_bare_tune_is_a_usage_error_naming_db(cli):
    r = cli("tune")
    assert_usage_error(r, "micronet tune", "--db FILE")


def test_helper_commands_check_flag_values_like_the_cli(cli):
    assert_usage_error(cli("tune", "--budget", "0", "--db", "x.jsonl"), "micronet tune", "--budget")
    assert_usage_error(cli("search", "--size", "7"), "micronet search", "--size")
    assert_usage_error(cli("search", "--validate", "3"), "micronet search", "--out DIR")
    assert_usage_error(cli("compile", "--arch", "m0"), "micronet compile", "--out")
    assert_usage_error(cli("tune", "--arch", "m9", "--db", "x.jsonl"), "micronet tune", "--arch")


# ---------------------------------------------------------------------------------------
# --target: the accepted names and a suggestion, never Halide's feature dump.
# ---------------------------------------------------------------------------------------
BAD_TARGETS = [("arm64-linux", "arm-64-linux"), ("aarch64", "arm-64-linux"), ("android", "arm-64-android"),
               ("x86-64-linux-avx3", None)]


@pytest.mark.parametrize("cmd", ["tune", "search", "compile"])
@pytest.mark.parametrize("target,meant", BAD_TARGETS, ids=[t for t, _ in BAD_TARGETS])
def test_bad_target_lists_the_accepted_names(cli, tmp_path, cmd, target, meant):
    extra = {"tune": ["--db", tmp_path / "db.jsonl"], "search": ["--predict", "m0"],
             "compile": ["--arch", "m0", "--out", tmp_path / "pkg"]}[cmd]
    t0 = time.monotonic()
    r = cli(cmd, "--target", target, *extra)
    assert_usage_error(r, "micronet " + cmd, "'%s' is not a target" % target, "host, opencl, cuda",
                       "arm-64-linux", "x86-64-linux-avx2-fma")
    if meant:
        assert "did you mean %s?" % meant in r.stderr, r.stderr
    assert time.monotonic() - t0 < 30, "refused only after %.0f s" % (time.monotonic() - t0)
    assert not (tmp_path / "pkg").exists() and not (tmp_path / "db.jsonl").exists()


@pytest.mark.parametrize("cmd", ["run", "bench", "check"])
def test_run_commands_name_their_targets_and_packages(cli, cmd):
    r = cli(cmd, "--target", "arm64-linux")
    assert_usage_error(r, "micronet " + cmd, "{host,opencl,cuda}", "micronet compile --target arm-64-linux")


# ---------------------------------------------------------------------------------------
# compile --tuning: the given records over the build's; the format from the content.
# ---------------------------------------------------------------------------------------
def shipped_records():
    out = {}
    for line in SHIPPED_TUNING.read_text().splitlines():
        w = line.split()
        if w and not w[0].startswith("#"):
            out[(w[0], w[1])] = line
    return out


def m0_kernels(cli):
    r = cli("kernels")
    assert r.returncode == 0, r.stderr
    text = r.stdout.split("\nm0:\n", 1)[1].split("\n\n", 1)[0]
    return sorted({l.split()[-4] for l in text.splitlines() if l.strip()})


def test_compile_tuning_adds_to_the_build_records(cli, tmp_path):
    shipped = shipped_records()
    kernels = [k for k in m0_kernels(cli) if ("x86", k) in shipped]
    assert len(kernels) >= 3, "the build's tuning_db.txt has records for few M0 kernels: %s" % kernels
    mine = kernels[0]
    # Text records in a file named .jsonl: read as what it holds. The record sets the kernel
    # back to its defaults, a schedule choice distinct from the shipped one.
    db = tmp_path / "mine.jsonl"
    db.write_text("# my one record\nx86 %s\nx86 gconv_c1x1_g1_not_in_m0 oc_block=4\n" % mine)
    out = tmp_path / "pkg"
    r = cli("compile", "--arch", "m0", "--size", "64", "--target", "host", "--tuning", db, "--out", out,
            "--cache-dir", CACHE, timeout=1800)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 kernel of this network from %s (text records)" % db in r.stdout, r.stdout
    assert "also has records for kernels this network does not have (gconv_c1x1_g1_not_in_m0)" in r.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    records = manifest["tuning"]["records"]
    assert "x86 %s" % mine in records, records
    assert shipped[("x86", mine)] not in records
    for k in kernels[1:]:
        assert shipped[("x86", k)] in records, "%s lost its shipped record: %s" % (k, records)
    schedules = {k["name"]: k["schedule"] for k in manifest["kernels"]}
    assert schedules[mine] == "defaults"
    assert schedules[kernels[1]] != "defaults"
    assert manifest["tuning"]["source"] == str(db) and manifest["tuning"]["base"] == str(SHIPPED_TUNING)


def test_compile_tuning_refuses_what_holds_no_records(cli, tmp_path):
    args = ["compile", "--arch", "m0", "--size", "64", "--out", tmp_path / "pkg", "--tuning"]
    folder = tmp_path / "records"
    folder.mkdir()
    r = cli(*args, folder)
    assert_usage_error(r, "micronet compile", str(folder))
    empty = tmp_path / "empty.txt"
    empty.write_text("# only a comment\n\n")
    r = cli(*args, empty)
    assert r.returncode == 1 and "%s: holds no tuning records" % empty in r.stderr, r.stderr
    arm_only = tmp_path / "arm.txt"
    arm_only.write_text("arm gconv_c4x8_g2 oc_block=4\n")
    r = cli(*args, arm_only)
    assert r.returncode == 1 and "no record for the x86 schedule family" in r.stderr, r.stderr
    assert "arm (1 kernels)" in r.stderr, r.stderr
    binary = tmp_path / "weights.safetensors"
    binary.write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}\x00\x00garbage")
    r = cli(*args, binary)
    assert r.returncode == 1 and "binary file" in r.stderr, r.stderr
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    r = cli(*args, fifo)
    assert r.returncode == 1 and "not a regular file" in r.stderr, r.stderr
    bad_json = tmp_path / "bad.txt"
    bad_json.write_text('{"kernel": "x"\n')
    r = cli(*args, bad_json)
    assert r.returncode == 1 and str(bad_json) + ":1" in r.stderr, r.stderr
    assert not (tmp_path / "pkg").exists()


def test_compile_out_naming_a_file_is_a_usage_error(cli, tmp_path):
    f = tmp_path / "pkg"
    f.write_text("a file")
    assert_usage_error(cli("compile", "--arch", "m0", "--out", f), "micronet compile", "is a file")
    assert_usage_error(cli("compile", "--arch", "m0", "--out", f / "sub"), "micronet compile", "is a file")


# ---------------------------------------------------------------------------------------
# Discoverability
# ---------------------------------------------------------------------------------------
def test_kernels_config_lists_the_networks_kernels(cli):
    r = cli("kernels", "--config", TINY)
    assert r.returncode == 0, r.stderr
    assert "MicroNet-tiny (%s) at 64x64, 10 classes" % TINY in r.stdout, r.stdout
    names = re.findall(r"^  [ !] (\S+)  \d+x\d+ -> \d+x\d+$", r.stdout, re.M)
    assert names and any(n.startswith("stem_") for n in names) and any(n.startswith("head_") for n in names)
    assert "micronet tune --config %s" % TINY in r.stdout
    r = cli("kernels", "--config", TINY, "--classes", "7")
    assert "7 classes" in r.stdout, r.stdout
    assert_usage_error(cli("kernels", "--classes", "7"), "micronet kernels", "--config")


def test_tune_help_shows_the_defaults(cli):
    r = cli("tune", "--help")
    assert r.returncode == 0
    lines = {l.split()[0]: l for l in r.stdout.splitlines() if l.strip().startswith("--")}
    for flag, default in (("--budget", "64"), ("--strategy", "model"), ("--repeats", None)):
        assert flag in lines, r.stdout
        if default:
            assert default in lines[flag], lines[flag]
