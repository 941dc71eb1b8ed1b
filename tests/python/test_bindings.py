"""Tests of the Python module `micronet_halide` (bindings/), against the independent PyTorch
MicroNet of micronet_torch.py.

Checkpoints are made as users make them: torch.save(model.state_dict(), f) of a randomized
Python model, then micronet_halide.convert() to safetensors, then micronet_halide.load().
Needs the module on the path: PYTHONPATH=build/python (skipped otherwise).

Error types (documented in the module): FileNotFoundError for a missing file; ValueError for
a wrong dtype / rank / channel count / size / arch / target / argument; TypeError for an
object that is no array; RuntimeError (micronet_halide.FormatError) for a corrupt or
mismatched file; RuntimeError (micronet_halide.RunError) for NaN / Inf input.
"""
import json
import os
import pathlib
import struct
import subprocess
import threading
import time

import numpy as np
import pytest
import torch

import micronet_torch
from image_files import write_png

mh = pytest.importorskip(
    "micronet_halide",
    reason="micronet_halide is not built or not on PYTHONPATH (build, then PYTHONPATH=build/python)")

ARCHS = micronet_torch.ARCHS
REPO = pathlib.Path(__file__).resolve().parents[2]
REL_L2_TOL = 1e-4
TIE_EPS = 1e-5
PAPER = {"m0": (1.02e6, 4.05e6), "m1": (1.78e6, 6.12e6), "m2": (2.39e6, 12.74e6),
         "m3": (2.62e6, 20.81e6)}


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------
def rel_l2(got, want):
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    return float(np.linalg.norm(got - want) / max(np.linalg.norm(want), 1e-30))


def assert_same_top5(got, want):
    """Per row the top-5 classes agree (where the reference's 5th and 6th logits tie,
    only the classes strictly above the tie are compared)."""
    for row, (g, w) in enumerate(zip(got, want)):
        order = np.argsort(-w, kind="stable")
        k = 5 if w[order[4]] - w[order[5]] > TIE_EPS else int(np.sum(w > w[order[4]] + TIE_EPS))
        want_set = set(order[:k].tolist())
        got_set = set(np.argsort(-g, kind="stable")[:k].tolist())
        assert got_set == want_set, "row %d: top-%d got %s, want %s" % (row, k, sorted(got_set),
                                                                       sorted(want_set))


def assert_matches_torch(got, torch_model, x):
    with torch.no_grad():
        want = torch_model(torch.from_numpy(np.ascontiguousarray(x))).numpy()
    assert got.shape == want.shape
    err = rel_l2(got, want)
    assert err <= REL_L2_TOL, "relative L2 error %.3g > %.1g" % (err, REL_L2_TOL)
    assert_same_top5(got, want)


def random_input(batch, h=224, w=224, seed=0):
    return np.random.default_rng(seed).standard_normal((batch, 3, h, w)).astype(np.float32)


def make_image(h=300, w=400, seed=5):
    """A smooth RGB uint8 image with some texture (so resizing matters)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([xx / w * 255, yy / h * 255, (xx + yy) / (w + h) * 255], axis=-1)
    img = base + rng.normal(0, 20, size=(h, w, 3))
    return np.clip(img, 0, 255).astype(np.uint8)




def write_ppm(path, rgb):
    h, w, _ = rgb.shape
    pathlib.Path(path).write_bytes(b"P6\n%d %d\n255\n" % (w, h) + rgb.tobytes())
    return pathlib.Path(path)


class Bound:
    """A randomized Python model, its torch.save'd state_dict, the safetensors file
    micronet_halide.convert made of it, and the micronet_halide.Model loaded from that."""

    def __init__(self, arch, torch_model, pth, safetensors, model):
        self.arch, self.torch_model, self.pth = arch, torch_model, pth
        self.safetensors, self.model = safetensors, model


@pytest.fixture(scope="module")
def bound(tmp_path_factory):
    """bound(arch) -> Bound, built once per arch per module."""
    cache = {}

    def get(arch):
        if arch not in cache:
            d = tmp_path_factory.mktemp("bindings_" + arch)
            tm = micronet_torch.randomize_(micronet_torch.build_micronet(arch), 2000 + ARCHS.index(arch))
            pth = d / ("micronet_%s.pth" % arch)
            torch.save(tm.state_dict(), str(pth))
            st = d / ("micronet_%s.safetensors" % arch)
            assert mh.convert(arch, pth, st) is None
            cache[arch] = Bound(arch, tm, pth, st, mh.load(arch, st))
        return cache[arch]

    return get


@pytest.fixture(scope="module")
def m0(bound):
    return bound("m0")


# ---------------------------------------------------------------------------------------
# outputs against PyTorch
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("arch", ARCHS)
def test_matches_torch_batch1(arch, bound):
    b = bound(arch)
    x = random_input(1, seed=10 + ARCHS.index(arch))
    y = b.model(x)
    assert isinstance(y, np.ndarray) and y.dtype == np.float32 and y.shape == (1, 1000)
    assert_matches_torch(y, b.torch_model, x)


def test_matches_torch_batch4(bound):
    b = bound("m2")
    x = random_input(4, seed=20)
    assert_matches_torch(b.model(x), b.torch_model, x)


@pytest.mark.parametrize("shape", [(1, 256, 192), (3, 100, 77), (2, 1, 1)],
                         ids=["1x256x192", "3x100x77", "2x1x1"])
def test_other_input_sizes_replan(shape, m0):
    n, h, w = shape
    x = random_input(n, h, w, seed=h)
    y = m0.model(x)
    assert y.shape == (n, 1000)
    assert_matches_torch(y, m0.torch_model, x)
    assert (h, w) in m0.model.cached_sizes
    assert m0.model.cached_sizes[0] == (224, 224)


def test_size_cache_is_bounded_and_results_stable(m0):
    x = random_input(1, 64, 64, seed=3)
    first = m0.model(x)
    for s in range(65, 72):  # more sizes than the cache keeps: (64, 64) gets evicted
        m0.model(random_input(1, s, s, seed=s))
    assert len(m0.model.cached_sizes) <= 5
    np.testing.assert_array_equal(m0.model(x), first)


def test_load_pth_directly_equals_safetensors(m0):
    direct = mh.load("m0", m0.pth)
    x = random_input(2, seed=4)
    np.testing.assert_array_equal(direct(x), m0.model(x))
    assert str(m0.pth) in direct.source


# ---------------------------------------------------------------------------------------
# input kinds, zero-copy, copies
# ---------------------------------------------------------------------------------------
def test_numpy_contiguous_input_is_not_copied(m0):
    x = random_input(3, seed=1)
    m0.model(x)
    assert not m0.model.last_input_was_copied
    assert m0.model.last_input_address == x.ctypes.data
    view = x[1:3]  # a contiguous view inside another buffer
    y = m0.model(view)
    assert not m0.model.last_input_was_copied
    assert m0.model.last_input_address == view.ctypes.data
    np.testing.assert_array_equal(y, m0.model(np.ascontiguousarray(view)))


def test_torch_input_returns_torch_without_copy(m0):
    t = torch.from_numpy(random_input(2, seed=2))
    y = m0.model(t)
    assert isinstance(y, torch.Tensor) and y.dtype == torch.float32 and tuple(y.shape) == (2, 1000)
    assert not m0.model.last_input_was_copied
    assert m0.model.last_input_address == t.data_ptr()
    np.testing.assert_array_equal(y.numpy(), m0.model(t.numpy()))
    assert_matches_torch(y.numpy(), m0.torch_model, t.numpy())


def test_torch_input_requiring_grad(m0):
    t = torch.from_numpy(random_input(1, seed=6)).requires_grad_(True)
    y = m0.model(t)
    assert isinstance(y, torch.Tensor) and not y.requires_grad
    assert not m0.model.last_input_was_copied


def _noncontiguous_cases(x):
    return {
        "fortran": np.asfortranarray(x),
        "strided": x[:, :, ::2, ::3],
        "negative-stride": x[:, :, ::-1, :],
        "big-endian": x.astype(">f4"),
        "nhwc-transposed": np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2),
        "torch-permuted": torch.from_numpy(np.ascontiguousarray(x.transpose(0, 2, 3, 1))).permute(0, 3, 1, 2),
        "torch-strided": torch.from_numpy(x)[:, :, ::2, :],
    }


@pytest.mark.parametrize("case", list(_noncontiguous_cases(random_input(1, 8, 8)).keys()))
def test_noncontiguous_input_is_copied_and_right(case, m0):
    x = random_input(2, seed=7)
    v = _noncontiguous_cases(x)[case]
    y = m0.model(v)
    assert m0.model.last_input_was_copied
    dense = np.ascontiguousarray(v.numpy() if isinstance(v, torch.Tensor) else v, dtype=np.float32)
    assert isinstance(y, type(v)) if isinstance(v, torch.Tensor) else isinstance(y, np.ndarray)
    y = y.numpy() if isinstance(y, torch.Tensor) else y
    np.testing.assert_array_equal(y, m0.model(dense))
    assert_matches_torch(y, m0.torch_model, dense)


def test_output_owns_its_memory(m0):
    x = random_input(1, seed=8)
    y1 = m0.model(x)
    keep = y1.copy()
    m0.model(random_input(1, seed=9))
    np.testing.assert_array_equal(y1, keep)  # a later call does not overwrite earlier output


# ---------------------------------------------------------------------------------------
# threads and the GIL
# ---------------------------------------------------------------------------------------
def test_one_model_from_four_threads(m0):
    inputs = [random_input(1 + i % 2, seed=30 + i) for i in range(4)]
    want = [m0.model(x) for x in inputs]
    got = [[None] * 3 for _ in inputs]
    errors = []
    start = threading.Barrier(len(inputs))

    def work(i):
        try:
            start.wait()
            for r in range(3):
                got[i][r] = m0.model(inputs[i])
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(inputs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    for i, x in enumerate(inputs):
        for r in range(3):
            np.testing.assert_array_equal(got[i][r], want[i])


def _spin_rate():
    """Main-loop iterations per second of the loop below, measured over 50 ms."""
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < 0.05:
        n += 1
    return n / (time.perf_counter() - t0)


def test_gil_released_while_running(m0):
    """While one thread is inside a long C++ call (benchmark), the main thread keeps
    running Python. Counted in loop iterations, not in timing gaps (a loaded machine can
    pause any thread, which made a gap bound flaky): a call holding the GIL leaves the main
    loop only Python's 5 ms switch interval before the call starts (checked: a GIL-holding
    regex of 6.8 s allowed ~5 ms worth of iterations), so at least 100 ms worth of
    iterations during a >= 0.6 s call means the GIL was released."""
    rate = _spin_rate()
    one = m0.model.benchmark(iters=3, warmup=0)["median_ms"] / 1000.0
    iters = max(10, int(0.6 / max(one, 1e-4)))
    result = {}
    started = threading.Event()

    def call():
        started.set()
        result.update(m0.model.benchmark(iters=iters, warmup=0))

    t = threading.Thread(target=call)
    t.start()
    started.wait()
    spins = 0
    while t.is_alive():
        time.perf_counter()  # the same work per iteration as _spin_rate's loop
        spins += 1
    t.join()
    assert result, "benchmark thread failed"
    assert spins > 0.1 * rate, "main thread ran %d iterations (%.1f ms worth) during the call" % (
        spins, 1000 * spins / rate)


# ---------------------------------------------------------------------------------------
# info, classify, benchmark, convert, properties
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("arch", ARCHS)
def test_info(arch):
    d = mh.info(arch)
    params, madds = PAPER[arch]
    assert abs(d["params"] - params) / params < 0.01
    assert abs(d["madds"] - madds) / madds < 0.01
    assert d["arch"] == arch and d["input"] == (224, 224) and d["num_classes"] == 1000
    assert d["layers"] and set(d["layers"][0]) >= {"block", "op", "key", "params", "madds"}
    assert sum(r["params"] for r in d["layers"]) == d["params"]
    assert sum(r["madds"] for r in d["layers"]) == d["madds"]
    n_torch = sum(p.numel() for p in micronet_torch.build_micronet(arch).parameters())
    assert d["params"] == n_torch


def test_info_other_size():
    assert mh.info("m1", 112, 112)["madds"] < mh.info("m1")["madds"]


def test_classify_file_and_array(m0, tmp_path):
    img = make_image()
    png = write_png(tmp_path / "img.png", img)
    ppm = write_ppm(tmp_path / "img.ppm", img)
    from_array = m0.model.classify(img)
    assert len(from_array) == 5
    assert all(isinstance(p, mh.Prediction) and isinstance(p, tuple) for p in from_array)
    assert all(isinstance(c, int) and n is None and isinstance(pr, float) and isinstance(v, float)
               for c, n, pr, v in from_array)  # a file from convert() names no classes
    assert [p.logit for p in from_array] == sorted((p.logit for p in from_array), reverse=True)
    assert m0.model.classify(png) == from_array          # pathlib.Path
    assert m0.model.classify(str(ppm)) == from_array     # str
    assert len(m0.model.classify(img, topk=12)) == 12
    assert len(m0.model.classify(img, topk=5000)) == 1000
    # classify == top-k of the model on preprocess()
    x = mh.preprocess(png)
    assert x.shape == (1, 3, 224, 224) and x.dtype == np.float32
    logits = m0.model(x)[0]
    top = [p.class_index for p in from_array]
    assert top == list(np.argsort(-logits, kind="stable")[:5])
    np.testing.assert_allclose([p.logit for p in from_array], logits[top], rtol=0, atol=0)
    softmax = np.exp(logits.astype(np.float64) - logits.max())
    softmax /= softmax.sum()
    np.testing.assert_allclose([p.probability for p in from_array], softmax[top], rtol=1e-6)
    # non-contiguous and torch images are accepted
    assert m0.model.classify(np.asfortranarray(img)) == from_array
    assert m0.model.classify(torch.from_numpy(img)) == from_array


def test_preprocess_matches_numpy():
    """256 x 256 needs no resize: preprocessing is the centre crop, /255, mean/std."""
    img = make_image(256, 256, seed=11)
    got = mh.preprocess(img)
    mean = np.array([0.485, 0.456, 0.406], np.float32)
    std = np.array([0.229, 0.224, 0.225], np.float32)
    crop = img[16:240, 16:240].astype(np.float32)
    want = ((crop / np.float32(255) - mean) / std).transpose(2, 0, 1)[None]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)


def test_classify_matches_cli(m0, tmp_path):
    cli = pathlib.Path(os.environ.get("MICRONET_BIN", REPO / "build" / "bin" / "micronet"))
    if not os.access(cli, os.X_OK):
        pytest.skip("micronet CLI not built")
    png = write_png(tmp_path / "img.png", make_image())
    r = subprocess.run([str(cli), "classify", "--arch", "m0", "--weights", str(m0.safetensors),
                        str(png)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    rows = [line.split() for line in r.stdout.splitlines() if "class" in line.split()]
    cli_classes = [int(row[row.index("class") + 1]) for row in rows]
    cli_logits = [float(row[-1]) for row in rows]
    ours = m0.model.classify(png)
    assert [p.class_index for p in ours] == cli_classes
    np.testing.assert_allclose([p.logit for p in ours], cli_logits, atol=1e-4)


def test_benchmark_dict(m0):
    d = m0.model.benchmark(batch=2, iters=3, warmup=1)
    assert set(d) >= {"median_ms", "min_ms", "max_ms", "images_per_s", "batch", "threads"}
    assert d["batch"] == 2 and d["threads"] == 1 and d["iters"] == 3 and d["arch"] == "m0"
    assert 0 < d["min_ms"] <= d["median_ms"] <= d["max_ms"]
    assert d["images_per_s"] == pytest.approx(2 * 1000.0 / d["median_ms"])


def test_threads_argument(m0):
    m = mh.load("m0", m0.safetensors, threads=2)
    assert m.threads == 2
    x = random_input(2, seed=12)
    np.testing.assert_allclose(m(x), m0.model(x), rtol=1e-5, atol=1e-5)
    assert m.benchmark(iters=2, warmup=0)["threads"] == 2


def test_properties(m0):
    m = m0.model
    assert m.arch == "m0" and m.num_classes == 1000 and m.input_size == (224, 224)
    assert "m0" in repr(m)
    assert m.arena_bytes(4) > m.arena_bytes(1) > 0
    assert mh.archs() == list(ARCHS) and "host" in mh.targets()


def test_random_weights_warn():
    with pytest.warns(UserWarning, match="RANDOM"):
        m = mh.load("m1")
    assert m(random_input(1)).shape == (1, 1000)
    assert "random" in m.source


def test_convert_writes_metadata(m0):
    with open(m0.safetensors, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
    meta = header.pop("__metadata__")
    assert meta["arch"] == "m0" and meta["num_classes"] == "1000"
    assert meta["format"] == "micronet-official-state-dict"
    assert set(header) == set(m0.torch_model.state_dict())


# ---------------------------------------------------------------------------------------
# errors: each a Python exception with a clear message, never a crash
# ---------------------------------------------------------------------------------------
def test_missing_files_raise_file_not_found(m0, tmp_path):
    missing = tmp_path / "nope.safetensors"
    with pytest.raises(FileNotFoundError, match="nope.safetensors") as e:
        mh.load("m0", missing)
    assert e.value.filename == str(missing)
    with pytest.raises(FileNotFoundError):
        mh.load("m0", str(tmp_path / "nope.pth"))
    with pytest.raises(FileNotFoundError):
        mh.convert("m0", tmp_path / "nope.pth", tmp_path / "out.safetensors")
    with pytest.raises(FileNotFoundError):
        m0.model.classify(tmp_path / "nope.png")
    with pytest.raises(FileNotFoundError):
        mh.preprocess(str(tmp_path / "nope.png"))
    assert not (tmp_path / "out.safetensors").exists()


def test_directory_as_file(tmp_path):
    with pytest.raises(IsADirectoryError):
        mh.load("m0", tmp_path)


@pytest.mark.parametrize("bad, words", [
    (np.zeros((3, 224, 224), np.float32), "4-D"),                    # rank 3
    (np.zeros((1, 1, 3, 224, 224), np.float32), "4-D"),              # rank 5
    (np.zeros((1, 4, 224, 224), np.float32), "3 channels"),          # RGBA
    (np.zeros((1, 224, 224, 3), np.float32), "NHWC"),                # NHWC
    (np.zeros((1, 3, 224, 224), np.float64), "float32"),             # float64
    (np.zeros((1, 3, 224, 224), np.float16), "float32"),             # float16
    (np.zeros((1, 3, 224, 224), np.uint8), "float32"),               # uint8
    (np.zeros((0, 3, 224, 224), np.float32), "empty"),               # empty batch
    (torch.zeros(1, 3, 224, 224, dtype=torch.float64), "float32"),   # torch float64
    (torch.zeros(3, 224, 224), "4-D"),                                # torch rank 3
], ids=["rank3", "rank5", "4ch", "nhwc", "f64", "f16", "u8", "empty", "torch-f64",
        "torch-rank3"])
def test_bad_input_raises_value_error(bad, words, m0):
    with pytest.raises(ValueError, match=words):
        m0.model(bad)


def test_non_array_input_raises_type_error(m0):
    with pytest.raises(TypeError, match="numpy"):
        m0.model([[1.0, 2.0]])


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
def test_non_finite_input_raises_runtime_error(value, m0):
    x = random_input(2, seed=13)
    x[1, 2, 100, 50] = value
    with pytest.raises(RuntimeError, match="non-finite") as e:
        m0.model(x)
    assert isinstance(e.value, mh.RunError)
    m0.model(random_input(1))  # still usable


def test_bad_arch_and_target():
    with pytest.raises(ValueError, match="m9"):
        mh.load("m9")
    with pytest.raises(ValueError, match="m9"):
        mh.info("m9")
    with pytest.raises(ValueError, match="host"):
        mh.load("m0", target="tpu")
    with pytest.raises(ValueError):
        mh.load("m0", threads=0)


@pytest.mark.parametrize("api", ["opencl", "cuda"])
def test_gpu_target_matches_host(api, m0):
    # targets() says whether this build compiled the API and whether a device answers here
    # (OpenCL runs on PoCL, the CPU driver, on the build machine; CUDA needs a GPU).
    t = mh.targets()[api]
    if not t["compiled"]:
        with pytest.raises(ValueError, match=api):
            mh.load("m0", m0.safetensors, target=api)
        pytest.skip(f"this build compiled no {api} kernels")
    x = random_input(2, 64, 64, seed=3)
    if not t["runnable"]:
        # Not runnable means what it says: the model cannot run there.
        with pytest.raises(RuntimeError):
            mh.load("m0", m0.safetensors, target=api)(x)
        pytest.skip(f"no usable {api} device: {t['reason']}")
    gpu = mh.load("m0", m0.safetensors, target=api)
    assert gpu.target == api
    want = mh.load("m0", m0.safetensors)(x)
    assert rel_l2(gpu(x), want) <= 2e-4


def test_threads_default_to_1_on_the_host_and_the_cpus_up_to_8_on_a_gpu(m0):
    # As the CLI without --threads: on a GPU target the threads stage the input.
    assert mh.load("m0", m0.safetensors).threads == 1
    t = mh.targets()["opencl"]
    if not (t["compiled"] and t["runnable"]):
        pytest.skip("no usable opencl device here")
    gpu = mh.load("m0", m0.safetensors, target="opencl")
    assert gpu.threads == min(len(os.sched_getaffinity(0)), 8)
    assert mh.load("m0", m0.safetensors, threads=1, target="opencl").threads == 1
    with pytest.raises(ValueError, match="threads"):
        mh.load("m0", m0.safetensors, threads=0, target="opencl")


def test_corrupt_weights_raise_runtime_error(m0, tmp_path):
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00not json at all!")
    with pytest.raises(RuntimeError, match="garbage.safetensors"):
        mh.load("m0", garbage)
    blob = m0.safetensors.read_bytes()
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(RuntimeError, match="truncated.safetensors") as e:
        mh.load("m0", truncated)
    assert isinstance(e.value, mh.FormatError)
    bad_pth = tmp_path / "bad.pth"
    bad_pth.write_bytes(m0.pth.read_bytes()[:1000])
    with pytest.raises(RuntimeError, match="bad.pth"):
        mh.load("m0", bad_pth)
    empty = tmp_path / "empty.safetensors"
    empty.write_bytes(b"")
    with pytest.raises(RuntimeError):
        mh.load("m0", empty)


def test_weights_of_another_arch(m0, tmp_path):
    # The safetensors metadata names m0: the mismatch is the caller's argument (ValueError).
    with pytest.raises(ValueError, match="m1"):
        mh.load("m1", m0.safetensors)
    # A .pth names no arch: the tensors do not fit MicroNet-m1 (RuntimeError).
    with pytest.raises(RuntimeError, match="m1"):
        mh.load("m1", m0.pth)
    out = tmp_path / "out.safetensors"
    with pytest.raises(RuntimeError, match="m1"):
        mh.convert("m1", m0.pth, out)
    assert not out.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("bad, exc, words", [
    (np.zeros((64, 64, 3), np.float32), ValueError, "uint8"),
    (np.zeros((64, 64), np.uint8), ValueError, "grayscale"),
    (np.zeros((64, 64, 4), np.uint8), ValueError, "alpha"),
    (np.zeros((0, 64, 3), np.uint8), ValueError, "empty"),
    (12345, TypeError, "path"),
], ids=["float-image", "gray", "rgba", "empty", "int"])
def test_bad_images(bad, exc, words, m0):
    with pytest.raises(exc, match=words):
        m0.model.classify(bad)


def test_undecodable_image_and_bad_topk(m0, tmp_path):
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"this is no image")
    with pytest.raises(RuntimeError, match="junk.png"):
        m0.model.classify(junk)
    with pytest.raises(ValueError, match="topk"):
        m0.model.classify(make_image(32, 32), topk=0)


def test_bad_benchmark_arguments(m0):
    with pytest.raises(ValueError):
        m0.model.benchmark(batch=0)
    with pytest.raises(ValueError):
        m0.model.benchmark(iters=0)
