"""The `micronet` command line as a new user meets it: help for every command, --version,
usage errors (exit 2) that name the flag and come before anything is loaded, errors that
name the file, classify streaming with --json, and the lean binary's start-up cost.
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import time
import zlib

import numpy as np
import pytest

from conftest import REPO
from test_cli import assert_failed_cleanly, random_input, write_npy

MODEL = REPO / "models" / "pretrained" / "micronet_m0_fashion64.safetensors"  # 10 classes, grey 64x64
COMMANDS = ["info", "convert", "run", "bench", "classify", "eval", "cases", "check", "train", "kernels",
            "targets", "tune", "search"]


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------
def write_pgm(path, pixels):
    pixels = np.asarray(pixels, dtype=np.uint8)
    with open(path, "wb") as f:
        f.write(b"P5\n%d %d\n255\n" % (pixels.shape[1], pixels.shape[0]) + pixels.tobytes())
    return path


def write_ppm(path, rgb):
    rgb = np.asarray(rgb, dtype=np.uint8)
    with open(path, "wb") as f:
        f.write(b"P6\n%d %d\n255\n" % (rgb.shape[1], rgb.shape[0]) + rgb.tobytes())
    return path


def write_png_bomb(path, side):
    """A valid greyscale PNG of side x side zero pixels: ~side^2/1000 bytes on disk."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    z = zlib.compressobj(9)
    row = b"\0" * (side + 1)  # filter byte + pixels
    idat = b"".join(z.compress(row) for _ in range(side)) + z.flush()
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
                + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
    return path


def max_rss_mb(cmd, timeout=120):
    """(CompletedProcess, peak RSS in MB) of `cmd` alone: a fresh Python runs it, so
    RUSAGE_CHILDREN holds nothing but that one child (and what it exec'ed)."""
    probe = ("import resource, subprocess, sys, json\n"
             "r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
             "print(json.dumps([r.returncode, r.stdout, r.stderr,"
             " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))\n")
    out = subprocess.run([sys.executable, "-c", probe] + [str(c) for c in cmd], capture_output=True, text=True,
                         timeout=timeout, check=True)
    rc, stdout, stderr, kb = json.loads(out.stdout)
    return subprocess.CompletedProcess(cmd, rc, stdout, stderr), kb / 1024.0


def assert_usage_error(r, *mentions):
    assert r.returncode == 2, "exit %d, want 2 (usage error); stderr:\n%s" % (r.returncode, r.stderr)
    for m in mentions:
        assert m in r.stderr, "stderr does not mention %r:\n%s" % (m, r.stderr)
    assert "Traceback" not in r.stderr and "terminate called" not in r.stderr


@pytest.fixture(scope="module")
def garbage_weights(tmp_path_factory):
    """A weights file that fails to load: a flag error reported instead of it proves the
    flag was checked before anything was loaded."""
    p = tmp_path_factory.mktemp("garbage") / "garbage_weights.safetensors"
    p.write_bytes(b"\xff" * 64)
    return p


@pytest.fixture(scope="module")
def fashion_images(tmp_path_factory):
    d = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(5)
    return [write_pgm(d / ("img%d.pgm" % i), rng.integers(0, 256, (28, 28))) for i in range(5)]


# ---------------------------------------------------------------------------------------
# A. help, help CMD, --version, stray positionals, repeated flags, did you mean
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("cmd", COMMANDS)
def test_every_command_has_help(cli, cmd):
    r = cli(cmd, "--help")
    assert r.returncode == 0, r.stderr
    assert "Usage: micronet %s" % cmd in r.stdout, r.stdout
    h = cli("help", cmd)
    assert h.returncode == 0 and h.stdout == r.stdout, "`help %s` differs from `%s --help`" % (cmd, cmd)


@pytest.mark.parametrize("cmd,flags", [
    ("run", ["--classes", "--threads", "--target", "--backend", "--weights", "--input", "--output"]),
    ("bench", ["--warmup", "--height", "--width", "--profile", "--batch", "--iters", "--json"]),
    ("eval", ["--threads", "--batch", "--size", "--data-dir", "--limit", "--show", "--plot"]),
    ("train", ["--warmup", "--weight-decay", "--no-nesterov", "--no-flip", "--train-limit", "--eval-limit",
               "--data-dir", "--max-steps", "--lr", "--seed"]),
    ("classify", ["--topk", "--labels", "--json", "--batch", "--max-pixels"]),
    ("check", ["--target", "--family", "--tol", "--no-model", "--threads"]),
])
def test_help_lists_the_flags_that_work(cli, cmd, flags):
    out = cli(cmd, "--help").stdout
    for f in flags:
        assert f in out, "%s --help does not list %s:\n%s" % (cmd, f, out)


def test_top_level_help_lists_every_command(cli):
    r = cli("--help")
    assert r.returncode == 0
    for c in COMMANDS + ["help"]:
        assert c in r.stdout
    assert cli("help").stdout == r.stdout


def test_no_command_is_a_usage_error(cli):
    r = cli()
    assert r.returncode == 2 and "Usage: micronet" in r.stderr


def test_version(cli):
    r = cli("--version")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("micronet 0."), r.stdout


def test_stray_positional_is_rejected(cli, tmp_path, out_dir):
    x = write_npy(tmp_path / "x.npy", random_input(1, 64, 64))
    r = cli("run", "--weights", MODEL, "--input", x, "--output", out_dir / "y.npy", "stray_word")
    assert_usage_error(r, "stray_word")
    assert os.listdir(out_dir) == []
    assert_usage_error(cli("info", "m0", "m1"), "m1")


def test_repeated_flag_is_rejected(cli):
    r = cli("bench", "--weights", MODEL, "--iters", "3", "--iters", "4")
    assert_usage_error(r, "--iters")
    assert_usage_error(cli("info", "m0", "--json", "--json"), "--json")


def test_did_you_mean_a_command(cli):
    r = cli("rnu")
    assert_usage_error(r, "rnu", "did you mean run?")
    assert_usage_error(cli("help", "benhc"), "did you mean bench?")
    r = cli("frobnicate")
    assert_usage_error(r, "unknown command 'frobnicate'")
    assert "did you mean" not in r.stderr


def test_did_you_mean_a_flag(cli, fashion_images):
    r = cli("classify", "--weights", MODEL, "--topK", "3", fashion_images[0])
    assert_usage_error(r, "--topK", "did you mean --topk?")
    assert_usage_error(cli("bench", "--thread", "2"), "did you mean --threads?")
    assert_usage_error(cli("run", "--wieghts", "w"), "did you mean --weights?")


# ---------------------------------------------------------------------------------------
# B. numeric flags: exit 2 naming the flag, before anything is loaded
# ---------------------------------------------------------------------------------------
BAD_NUMBERS = [
    ("bench", "--threads", "0"), ("bench", "--warmup", "-1"), ("bench", "--batch", "0"),
    ("bench", "--iters", "0"), ("bench", "--height", "8"), ("bench", "--width", "5000"),
    ("bench", "--iters", "many"),
    ("run", "--threads", "-2"), ("run", "--classes", "0"),
    ("classify", "--topk", "-20"), ("classify", "--topk", "-3"), ("classify", "--topk", "0"),
    ("classify", "--batch", "0"), ("classify", "--threads", "0"), ("classify", "--max-pixels", "0"),
    ("eval", "--threads", "0"), ("eval", "--batch", "0"), ("eval", "--size", "8"), ("eval", "--limit", "-1"),
    ("train", "--epochs", "0"), ("train", "--lr", "-1"), ("train", "--lr", "nan"), ("train", "--size", "8"),
    ("train", "--threads", "0"), ("train", "--batch", "0"),
    ("cases", "--batch", "0"), ("cases", "--seed", "-1"), ("cases", "--height", "10"),
    ("info", "--height", "8"), ("check", "--tol", "nan"), ("check", "--tol", "-1"), ("check", "--threads", "0"),
]


@pytest.mark.parametrize("cmd,flag,value", BAD_NUMBERS, ids=["%s %s %s" % c for c in BAD_NUMBERS])
def test_bad_numeric_flag(cli, cmd, flag, value, garbage_weights, fashion_images, tmp_path, out_dir):
    x = write_npy(tmp_path / "x.npy", random_input(1, 64, 64))
    base = {
        "bench": ["--weights", garbage_weights],
        "run": ["--weights", garbage_weights, "--input", x, "--output", out_dir / "y.npy"],
        "classify": ["--weights", garbage_weights, fashion_images[0]],
        "eval": ["--weights", garbage_weights, "--dataset", "fashion-mnist"],
        "train": ["--arch", "m0", "--dataset", "fashion-mnist", "--out", out_dir / "m.safetensors"],
        "cases": ["--weights", garbage_weights, "--out", out_dir / "c.safetensors"],
        "info": ["m0"],
        "check": [garbage_weights],
    }[cmd]
    t0 = time.monotonic()
    r = cli(cmd, *base, flag, value)
    assert_usage_error(r, flag)
    assert "garbage_weights" not in r.stderr, "the weights were read before the flag was checked"
    assert os.listdir(out_dir) == []
    assert time.monotonic() - t0 < 10


def test_negative_value_as_separate_argument(cli, fashion_images):
    # `--topk -20` (not only `--topk=-20`): once a segfault, -3 an invalid free().
    for v in ("-20", "-3", "0"):
        r = cli("classify", "--weights", MODEL, "--topk", v, fashion_images[0])
        assert_usage_error(r, "--topk", v)


def test_warmup_error_names_warmup_not_batch(cli):
    r = cli("bench", "--weights", MODEL, "--warmup", "-1")
    assert_usage_error(r, "--warmup")
    assert "--batch" not in r.stderr.split("\n")[0]


def test_topk_above_the_model_classes(cli, fashion_images):
    r = cli("classify", "--weights", MODEL, "--topk", "11", fashion_images[0])
    assert_usage_error(r, "--topk 11", "10 classes")


def test_bench_huge_batch_is_refused_with_a_message(cli):
    r = cli("bench", "--arch", "m0", "--batch", "100000", "--iters", "1")
    assert_usage_error(r, "--batch 100000", "memory")
    assert "bad_alloc" not in r.stderr


def test_gpu_target_threads_default_to_the_cpus_up_to_8(cli):
    # On a GPU target the worker threads stage the input: without --threads, bench (and run,
    # classify) use the CPUs this process may use, at most 8; --threads still decides; the
    # host keeps 1. OpenCL runs on PoCL here; without a usable device there is nothing to time.
    cpus = min(len(os.sched_getaffinity(0)), 8)
    args = ["bench", "--arch", "m0", "--batch", "1", "--iters", "1", "--warmup", "0",
            "--height", "32", "--width", "32", "--json"]
    host = cli(*args)
    assert host.returncode == 0, host.stderr
    assert json.loads(host.stdout)["threads"] == 1
    gpu = cli(*args, "--target", "opencl")
    if gpu.returncode != 0:
        pytest.skip("no usable opencl device here: " + gpu.stderr.strip().splitlines()[-1])
    d = json.loads(gpu.stdout)
    assert d["threads"] == cpus
    assert d["device_input"].startswith("pageable")  # OpenCL: the plain path
    one = cli(*args, "--target", "opencl", "--threads", "1")
    assert one.returncode == 0, one.stderr
    assert json.loads(one.stdout)["threads"] == 1


def test_out_of_memory_says_what_it_was_doing(micronet_bin):
    # Under a 150 MB address-space limit the 180 MB input of 300 images cannot be allocated
    # (the memory estimate passes: it reads the machine's free memory, not the limit).
    import resource

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (150 << 20, 150 << 20))

    r = subprocess.run([str(micronet_bin), "bench", "--arch", "m0", "--batch", "300", "--iters", "1"],
                       preexec_fn=limit, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stderr
    assert "out of memory while allocating the input of --batch 300" in r.stderr, r.stderr
    assert "bad_alloc" not in r.stderr


# ---------------------------------------------------------------------------------------
# C. errors name the flag and the file
# ---------------------------------------------------------------------------------------
def test_nan_input_names_the_file_and_position(cli, tmp_path, out_dir):
    x = random_input(1, 64, 64)
    x[0, 0, 0, 0] = np.nan
    inp = write_npy(tmp_path / "nan_input.npy", x)
    for backend in ("halide", "libtorch"):
        r = cli("run", "--weights", MODEL, "--input", inp, "--output", out_dir / "y.npy", "--backend", backend)
        assert_failed_cleanly(r, out_dir, rc=1)
        assert "nan_input.npy: non-finite value (NaN) at flat index 0 (n=0, c=0, y=0, x=0)" in r.stderr, r.stderr
    x = random_input(2, 64, 64)
    x[1, 2, 3, 4] = -np.inf
    inp = write_npy(tmp_path / "inf_input.npy", x)
    r = cli("run", "--weights", MODEL, "--input", inp, "--output", out_dir / "y.npy")
    assert "inf_input.npy: non-finite value (-inf) at flat index %d (n=1, c=2, y=3, x=4)" \
        % np.ravel_multi_index((1, 2, 3, 4), x.shape) in r.stderr, r.stderr


def test_eval_plot_with_unknown_extension(cli, tmp_path):
    t0 = time.monotonic()
    r = cli("eval", "--weights", MODEL, "--dataset", "fashion-mnist", "--plot", tmp_path / "conf.txt")
    assert_usage_error(r, "--plot", "conf.txt", ".txt")
    assert "cv::" not in r.stderr and "OpenCV" not in r.stderr, r.stderr
    assert time.monotonic() - t0 < 10, "the test set ran before the plot path was checked"
    assert not (tmp_path / "conf.txt").exists()


def test_eval_plot_in_missing_folder(cli, tmp_path):
    r = cli("eval", "--weights", MODEL, "--dataset", "fashion-mnist", "--plot", tmp_path / "nope" / "c.png")
    assert r.returncode != 0 and "--plot" in r.stderr and "nope" in r.stderr, r.stderr


def test_missing_image_says_so_without_opencv_warnings(cli, fashion_images, tmp_path):
    missing = tmp_path / "no_such_photo.jpg"
    r = cli("classify", "--weights", MODEL, missing)
    assert r.returncode == 1, r.stderr
    assert "no_such_photo.jpg" in r.stderr
    assert "WARN" not in r.stderr and "imread_" not in r.stderr, r.stderr


def test_output_equal_to_input_is_refused(cli, converted, tmp_path):
    x = random_input(1, 64, 64)
    inp = write_npy(tmp_path / "same.npy", x)
    before = inp.read_bytes()
    r = cli("run", "--weights", MODEL, "--input", inp, "--output", inp)
    assert r.returncode != 0 and "--output" in r.stderr and "--input" in r.stderr, r.stderr
    assert inp.read_bytes() == before
    pth = converted("m0").pth
    before = pth.read_bytes()
    r = cli("convert", "--arch", "m0", "--checkpoint", pth, "--out", pth)
    assert r.returncode != 0 and "--out" in r.stderr and "--checkpoint" in r.stderr, r.stderr
    assert pth.read_bytes() == before


@pytest.mark.parametrize("cmd", ["train", "cases", "convert", "run"])
def test_output_in_missing_folder_fails_before_work(cmd, cli, converted, tmp_path):
    out = "/nonexistent_micronet_dir/x.safetensors"
    x = write_npy(tmp_path / "x.npy", random_input(1, 64, 64))
    args = {
        "train": ["train", "--arch", "m0", "--dataset", "fashion-mnist", "--epochs", "1", "--out", out],
        "cases": ["cases", "--arch", "m0", "--out", out],
        "convert": ["convert", "--arch", "m0", "--checkpoint", converted("m0").pth, "--out", out],
        "run": ["run", "--weights", MODEL, "--input", x, "--output", out],
    }[cmd]
    t0 = time.monotonic()
    r = cli(*args)
    assert r.returncode != 0
    assert "/nonexistent_micronet_dir" in r.stderr and "--out" in r.stderr, r.stderr
    assert "training MicroNet" not in r.stderr and "reference cases:" not in r.stderr
    assert time.monotonic() - t0 < 15


# ---------------------------------------------------------------------------------------
# D. classify: streaming, probabilities and names, --json, unreadable files, bombs
# ---------------------------------------------------------------------------------------
def test_classify_prints_probabilities_and_names(cli, fashion_images):
    r = cli("classify", "--weights", MODEL, "--topk", "3", fashion_images[0])
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == str(fashion_images[0]) and len(lines) == 4
    probs = [float(l.split("prob")[1].split()[0]) for l in lines[1:]]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1.0001
    names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
             "Ankle boot"}
    assert all(any(n in l for n in names) for l in lines[1:]), r.stdout


def test_classify_json_streams_and_goes_on_after_a_bad_file(cli, fashion_images, tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    files = [fashion_images[0], tmp_path / "missing.pgm", fashion_images[1], broken] + fashion_images[2:]
    r = cli("classify", "--weights", MODEL, "--json", "--batch", "2", "--topk", "10", *files)
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    assert doc["arch"] == "m0" and doc["topk"] == 10
    assert [e["file"] for e in doc["images"]] == [str(f) for f in files]
    for e in doc["images"]:
        if e["file"].endswith(("missing.pgm", "broken.png")):
            assert os.path.basename(e["file"]) in e["error"]
            continue
        top = e["top"]
        assert len(top) == 10 and abs(sum(t["prob"] for t in top) - 1) < 1e-4
        assert [t["logit"] for t in top] == sorted((t["logit"] for t in top), reverse=True)
        assert all(set(t) == {"class", "name", "prob", "logit"} and t["name"] for t in top)
    assert "missing.pgm" in r.stderr and "broken.png" in r.stderr and "2 of 7" in r.stderr


def test_classify_json_equals_one_batch_run(cli, fashion_images):
    one = json.loads(cli("classify", "--weights", MODEL, "--json", "--batch", "1", *fashion_images).stdout)
    all_ = json.loads(cli("classify", "--weights", MODEL, "--json", "--batch", "16", *fashion_images).stdout)
    for a, b in zip(one["images"], all_["images"]):
        assert [t["class"] for t in a["top"]] == [t["class"] for t in b["top"]]
        np.testing.assert_allclose([t["logit"] for t in a["top"]], [t["logit"] for t in b["top"]], rtol=1e-4,
                                   atol=1e-4)


def test_classify_memory_stays_flat_with_many_images(micronet_bin, tmp_path):
    # 96 ImageNet-size inputs (224x224, random M0): all at once need 96 x 0.6 MB of input (the
    # activations no longer grow with the batch: one image's arena per worker thread); in
    # chunks of --batch 4 the peak is what one chunk needs.
    rng = np.random.default_rng(0)
    img = write_ppm(tmp_path / "photo.ppm", rng.integers(0, 256, (40, 40, 3)))
    files = [img] * 96
    r, small = max_rss_mb([micronet_bin, "classify", "--arch", "m0", "--batch", "4", "--topk", "1"] + files)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("photo.ppm") == 96
    r, big = max_rss_mb([micronet_bin, "classify", "--arch", "m0", "--batch", "96", "--topk", "1"] + files)
    assert r.returncode == 0, r.stderr
    assert big - small > 40, "peak RSS --batch 4: %.0f MB, --batch 96: %.0f MB" % (small, big)


def test_classify_refuses_a_decompression_bomb(micronet_bin, tmp_path, fashion_images):
    # 20000x20000: ~400 KB on disk, 400 MB decoded (it took 2.1 GB): refused from its header,
    # and the other image still classified.
    bomb = write_png_bomb(tmp_path / "bomb.png", 20000)
    assert bomb.stat().st_size < 2_000_000
    r, rss = max_rss_mb([micronet_bin, "classify", "--weights", MODEL, bomb, fashion_images[0]])
    assert r.returncode == 1, r.stderr
    assert "bomb.png" in r.stderr and "20000x20000" in r.stderr, r.stderr
    assert str(fashion_images[0]) in r.stdout
    assert rss < 500, "%.0f MB to refuse a 20000x20000 PNG" % rss


# ---------------------------------------------------------------------------------------
# E. the lean binary
# ---------------------------------------------------------------------------------------
def test_lean_binary_starts_small(micronet_bin):
    r, rss = max_rss_mb([micronet_bin, "info", "m0"])
    assert r.returncode == 0, r.stderr
    assert rss <= 30, "micronet info m0: %.1f MB max RSS (LibTorch/OpenCV linked into the lean binary?)" % rss


def test_lean_binary_links_neither_libtorch_nor_opencv(micronet_bin):
    out = subprocess.run(["ldd", str(micronet_bin)], capture_output=True, text=True).stdout
    assert "libtorch" not in out and "libopencv" not in out and "libc10" not in out, out


def test_lean_run_starts_small(micronet_bin, tmp_path):
    x = write_npy(tmp_path / "x.npy", random_input(1, 64, 64))
    r, rss = max_rss_mb([micronet_bin, "run", "--weights", MODEL, "--input", x, "--output", tmp_path / "y.npy"])
    assert r.returncode == 0, r.stderr
    assert rss <= 30, "micronet run (M0 64x64): %.1f MB max RSS" % rss


def test_missing_full_binary_is_a_clear_error(micronet_bin, tmp_path, fashion_images):
    lean = tmp_path / "micronet"
    shutil.copy(micronet_bin, lean)
    r = subprocess.run([str(lean), "classify", "--weights", str(MODEL), str(fashion_images[0])],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1, r.stderr
    assert "micronet-full" in r.stderr and str(tmp_path) in r.stderr, r.stderr
    # What the lean binary runs itself still works there.
    assert subprocess.run([str(lean), "info", "m0"], capture_output=True).returncode == 0


# ---------------------------------------------------------------------------------------
# F. docs/cli.md documents what the binary accepts
# ---------------------------------------------------------------------------------------
def test_cli_docs_list_every_flag(cli):
    doc = (REPO / "docs" / "cli.md").read_text()
    start = doc.index("# The `micronet` command line")
    lines = {l.strip() for l in doc[start:].splitlines()}
    for cmd in COMMANDS:
        h = cli("help", cmd).stdout.splitlines()
        usage = [l for l in h if l.startswith("Usage: ")][0][len("Usage: "):]
        assert usage in lines, "docs/cli.md lacks the usage line %r" % usage
        for l in h:
            s = l.strip()
            if s.startswith(("-", "ARCH", "IMAGE", "CASES")) and "-h,--help" not in s:
                assert s in lines, "docs/cli.md lacks `micronet help %s` line %r" % (cmd, s)
