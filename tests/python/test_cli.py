"""End-to-end tests of the `micronet` CLI against an independent PyTorch model.

Checkpoints are made the way users make them: torch.save(model.state_dict(), f) on the
Python model of tests/python/micronet_torch.py (the official architecture and keys).
"""
import json
import os
import struct

import numpy as np
import pytest
import torch

import micronet_torch

ARCHS = micronet_torch.ARCHS

REL_L2_TOL = 1e-4
TIE_EPS = 1e-5
PAPER = {  # arch: (params, MAdds)
    "m0": (1.02e6, 4.05e6),
    "m1": (1.78e6, 6.12e6),
    "m2": (2.39e6, 12.74e6),
    "m3": (2.62e6, 20.81e6),
}


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------
def rel_l2(got, want):
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    return float(np.linalg.norm(got - want) / max(np.linalg.norm(want), 1e-30))


def assert_same_top5(got, want):
    """Per row, the top-5 classes agree. h_swish on the logits produces exact zeros, so
    where the reference's 5th and 6th logits tie (within TIE_EPS) only the classes
    strictly above the tie are compared."""
    for row, (g, w) in enumerate(zip(got, want)):
        order = np.argsort(-w, kind="stable")
        if w[order[4]] - w[order[5]] > TIE_EPS:
            k = 5
        else:
            k = int(np.sum(w > w[order[4]] + TIE_EPS))
        want_set = set(order[:k].tolist())
        got_set = set(np.argsort(-g, kind="stable")[:k].tolist())
        assert got_set == want_set, (
            "row %d: top-%d classes differ: got %s, want %s (want logits %s)"
            % (row, k, sorted(got_set), sorted(want_set), w[order[:6]]))


def read_safetensors(path):
    """(tensor entries of the header, without __metadata__; metadata; data bytes)."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    return header, meta, blob[8 + n:]


def safetensors_tensor(entries, data, key):
    e = entries[key]
    dtype = {"F32": "<f4", "F64": "<f8", "I64": "<i8"}[e["dtype"]]
    start, end = e["data_offsets"]
    return np.frombuffer(data[start:end], dtype=dtype).reshape(e["shape"])


def assert_failed_cleanly(r, out_dir, *mentions, rc=None):
    """Non-zero exit (or exactly `rc`), every string of `mentions` in stderr (one of the
    alternatives when a mention is a tuple), and nothing left in `out_dir`."""
    assert r.returncode != 0, "expected failure, got exit 0; stderr:\n" + r.stderr
    if rc is not None:
        assert r.returncode == rc, "exit %d, want %d; stderr:\n%s" % (r.returncode, rc, r.stderr)
    assert r.stderr.strip(), "no error message on stderr"
    low = r.stderr.lower()
    for m in mentions:
        alts = m if isinstance(m, tuple) else (m,)
        assert any(a.lower() in low for a in alts), \
            "stderr does not mention %s:\n%s" % (" or ".join(repr(a) for a in alts), r.stderr)
    left = sorted(os.listdir(out_dir))
    assert left == [], "failure left files behind: %s" % left


def write_npy(path, array):
    np.save(str(path), array, allow_pickle=False)
    return path


def random_input(batch, h=224, w=224, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((batch, 3, h, w)).astype(np.float32)


# ---------------------------------------------------------------------------------------
# the Python model itself
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("arch", ARCHS)
def test_python_model_state_dict_matches_official_keys(arch, reference_dir):
    model = micronet_torch.build_micronet(arch)
    got = micronet_torch.state_dict_layout(model)
    want = micronet_torch.read_tsv_layout(reference_dir / ("micronet_%s_state_dict.tsv" % arch))
    assert got == want


@pytest.mark.parametrize("arch", ARCHS)
def test_python_model_randomized_is_well_scaled(arch):
    model = micronet_torch.randomize_(micronet_torch.build_micronet(arch), 7)
    for name, buf in model.named_buffers():
        if name.endswith("running_var"):
            assert float(buf.min()) > 0, name
    with torch.no_grad():
        y = model(torch.from_numpy(random_input(2, seed=3))).numpy()
    assert np.isfinite(y).all()
    assert 0.05 < np.abs(y).mean() < 20
    assert np.abs(y[0] - y[1]).mean() > 1e-2  # the logits depend on the image


# ---------------------------------------------------------------------------------------
# convert + run against the Python model
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", [pytest.param("libtorch", marks=pytest.mark.libtorch),
                                     pytest.param("halide", marks=pytest.mark.halide)])
@pytest.mark.parametrize("arch", ARCHS)
def test_run_matches_pytorch(arch, backend, converted, cli, tmp_path):
    cm = converted(arch)
    x = random_input(2, seed=ARCHS.index(arch))
    inp = write_npy(tmp_path / "x.npy", x)
    out = tmp_path / "logits.npy"
    r = cli("run", "--arch", arch, "--weights", cm.safetensors, "--input", inp,
            "--output", out, "--backend", backend)
    assert r.returncode == 0, r.stderr
    got = np.load(str(out))
    assert got.dtype == np.float32 and got.shape == (2, 1000)
    with torch.no_grad():
        want = cm.model(torch.from_numpy(x)).numpy()
    err = rel_l2(got, want)
    assert err <= REL_L2_TOL, "relative L2 error %.3g > %.1g" % (err, REL_L2_TOL)
    assert_same_top5(got, want)


@pytest.mark.parametrize("backend", [pytest.param("libtorch", marks=pytest.mark.libtorch),
                                     pytest.param("halide", marks=pytest.mark.halide)])
@pytest.mark.parametrize("shape", [(1, 256, 192), (3, 100, 77)], ids=["1x256x192", "3x100x77"])
def test_run_other_input_sizes(shape, backend, converted, cli, tmp_path):
    cm = converted("m1")
    n, h, w = shape
    x = random_input(n, h, w, seed=h)
    inp = write_npy(tmp_path / "x.npy", x)
    out = tmp_path / "logits.npy"
    r = cli("run", "--arch", "m1", "--weights", cm.safetensors, "--input", inp,
            "--output", out, "--backend", backend, "--threads", "2")
    assert r.returncode == 0, r.stderr
    got = np.load(str(out))
    assert got.shape == (n, 1000)
    with torch.no_grad():
        want = cm.model(torch.from_numpy(x)).numpy()
    err = rel_l2(got, want)
    assert err <= REL_L2_TOL, "relative L2 error %.3g > %.1g" % (err, REL_L2_TOL)
    assert_same_top5(got, want)


@pytest.mark.parametrize("arch", ["m0", "m3"])
def test_converted_tensors_equal_state_dict(arch, converted):
    cm = converted(arch)
    entries, meta, data = read_safetensors(cm.safetensors)
    sd = cm.model.state_dict()
    assert set(entries) == set(sd)
    for key, t in sd.items():
        got = safetensors_tensor(entries, data, key)
        assert list(got.shape) == list(t.shape), key
        assert np.array_equal(got, t.numpy()), key


# ---------------------------------------------------------------------------------------
# checkpoint forms
# ---------------------------------------------------------------------------------------
def test_wrapped_and_prefixed_checkpoints_convert_identically(converted, cli, tmp_path):
    cm = converted("m0")
    sd = cm.model.state_dict()
    prefixed = torch.nn.DataParallel(cm.model).state_dict()  # how DataParallel saves
    assert all(k.startswith("module.") for k in prefixed)
    forms = {
        "wrapped": {"state_dict": sd, "epoch": 599, "arch": "micronet_m0", "best_acc1": 46.6},
        "prefixed": prefixed,
        "wrapped_prefixed": {"state_dict": prefixed, "epoch": 599,
                             "optimizer": {"state": {}, "param_groups": [{"lr": 0.2}]}},
    }
    plain_entries, _, plain_data = read_safetensors(cm.safetensors)
    for name, obj in forms.items():
        pth = tmp_path / (name + ".pth")
        torch.save(obj, str(pth))
        st = tmp_path / (name + ".safetensors")
        r = cli("convert", "--arch", "m0", "--checkpoint", pth, "--out", st)
        assert r.returncode == 0, name + ": " + r.stderr
        entries, _, data = read_safetensors(st)
        assert entries == plain_entries, name
        assert data == plain_data, name


# ---------------------------------------------------------------------------------------
# info and bench
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("arch", ARCHS)
def test_info_json_matches_paper(arch, cli):
    r = cli("info", arch, "--json")
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    params, madds = PAPER[arch]
    assert isinstance(info["params"], int) and isinstance(info["madds"], int)
    assert abs(info["params"] - params) <= 0.01 * params, info["params"]
    assert abs(info["madds"] - madds) <= 0.01 * madds, info["madds"]


def test_info_params_equal_python_model(cli):
    for arch in ARCHS:
        r = cli("info", arch, "--json")
        assert r.returncode == 0, r.stderr
        model = micronet_torch.build_micronet(arch)
        assert json.loads(r.stdout)["params"] == sum(p.numel() for p in model.parameters()), arch


def _find_key(obj, key):
    if isinstance(obj, dict):
        if key in obj:
            return obj[key]
        for v in obj.values():
            found = _find_key(v, key)
            if found is not None:
                return found
    elif isinstance(obj, list):
        for v in obj:
            found = _find_key(v, key)
            if found is not None:
                return found
    return None


def test_bench_json(cli):
    r = cli("bench", "--arch", "m0", "--iters", "3", "--json")
    assert r.returncode == 0, r.stderr
    median = _find_key(json.loads(r.stdout), "median_ms")
    assert isinstance(median, (int, float)) and median > 0


# ---------------------------------------------------------------------------------------
# convert: bad checkpoints
# ---------------------------------------------------------------------------------------
def _convert(cli, pth, out_dir, arch="m0"):
    return cli("convert", "--arch", arch, "--checkpoint", pth, "--out", out_dir / "w.safetensors")


def test_convert_truncated_pth(converted, cli, tmp_path, out_dir):
    blob = converted("m0").pth.read_bytes()
    bad = tmp_path / "truncated_ckpt.pth"
    bad.write_bytes(blob[: len(blob) // 2])
    assert_failed_cleanly(_convert(cli, bad, out_dir), out_dir, "truncated_ckpt.pth")


def test_convert_not_a_zip(cli, tmp_path, out_dir):
    bad = tmp_path / "notes_not_zip.pth"
    bad.write_text("this is a text file, not a PyTorch checkpoint\n" * 20)
    assert_failed_cleanly(_convert(cli, bad, out_dir), out_dir, "notes_not_zip.pth")


def test_convert_evil_pickle_does_not_execute(make_checkpoint, cli, tmp_path, out_dir):
    marker = tmp_path / "PWNED_MARKER"
    evil = make_checkpoint(tmp_path / "evil_ckpt.pth", "m0", "--evil", marker)
    r = _convert(cli, evil, out_dir)
    assert not marker.exists(), "the checkpoint's os.system payload ran"
    assert_failed_cleanly(r, out_dir, "evil_ckpt.pth", ("system", "posix", "global", "not allowed"))
    assert not marker.exists()


def test_convert_wrong_arch(converted, cli, out_dir):
    r = _convert(cli, converted("m0").pth, out_dir, arch="m1")
    assert_failed_cleanly(r, out_dir, "micronet_m0.pth", "m1",
                          ("features.", "classifier."), ("shape", "missing"))


def test_convert_missing_key(make_checkpoint, cli, tmp_path, out_dir):
    key = "features.3.layers.5.fc.2.weight"
    ckpt = make_checkpoint(tmp_path / "missing_key.pth", "m0", "--drop-key", key)
    assert_failed_cleanly(_convert(cli, ckpt, out_dir), out_dir, "missing_key.pth", key)


def test_convert_wrong_shape(make_checkpoint, cli, tmp_path, out_dir):
    key = "features.2.layers.4.conv.0.weight"  # 12x8x1x1 in M0
    ckpt = make_checkpoint(tmp_path / "bad_shape.pth", "m0", "--bad-shape", key)
    assert_failed_cleanly(_convert(cli, ckpt, out_dir), out_dir, "bad_shape.pth", key, "shape")


def test_convert_wrong_dtype(make_checkpoint, cli, tmp_path, out_dir):
    key = "classifier.0.linear.0.weight"
    ckpt = make_checkpoint(tmp_path / "f64.pth", "m0", "--dtype-f64", key)
    assert_failed_cleanly(_convert(cli, ckpt, out_dir), out_dir, "f64.pth", key,
                          ("float64", "double", "f64", "<f8"))


def test_convert_legacy_format(make_checkpoint, cli, tmp_path, out_dir):
    ckpt = make_checkpoint(tmp_path / "legacy_ckpt.pth", "m0", "--legacy")
    assert_failed_cleanly(_convert(cli, ckpt, out_dir), out_dir, "legacy_ckpt.pth",
                          ("legacy", "zip", "_use_new_zipfile_serialization"))


# ---------------------------------------------------------------------------------------
# run: bad inputs
# ---------------------------------------------------------------------------------------
def _run(cli, cm, inp, out_dir, *extra, arch=None):
    return cli("run", "--arch", arch or cm.arch, "--weights", cm.safetensors, "--input", inp,
               "--output", out_dir / "y.npy", *extra)


def test_run_rejects_float64_npy(converted, cli, tmp_path, out_dir):
    inp = write_npy(tmp_path / "in_f64.npy", random_input(1).astype(np.float64))
    r = _run(cli, converted("m0"), inp, out_dir)
    assert_failed_cleanly(r, out_dir, "in_f64.npy", ("float64", "<f8", "f8", "float32", "dtype"))


def test_run_rejects_fortran_order_npy(converted, cli, tmp_path, out_dir):
    inp = write_npy(tmp_path / "in_fortran.npy", np.asfortranarray(random_input(1)))
    with open(inp, "rb") as f:
        assert b"'fortran_order': True" in f.read(256)
    r = _run(cli, converted("m0"), inp, out_dir)
    assert_failed_cleanly(r, out_dir, "in_fortran.npy", "fortran")


def test_run_rejects_rank3(converted, cli, tmp_path, out_dir):
    inp = write_npy(tmp_path / "in_rank3.npy", random_input(1)[0])
    r = _run(cli, converted("m0"), inp, out_dir)
    assert_failed_cleanly(r, out_dir, "in_rank3.npy", ("3 x 224 x 224", "rank", "nchw", "shape"))


def test_run_rejects_four_channels(converted, cli, tmp_path, out_dir):
    x = np.zeros((1, 4, 224, 224), dtype=np.float32)
    inp = write_npy(tmp_path / "in_4ch.npy", x)
    r = _run(cli, converted("m0"), inp, out_dir)
    assert_failed_cleanly(r, out_dir, "in_4ch.npy", ("4 x 224", "channel", "shape"))


@pytest.mark.halide
def test_run_halide_rejects_nan_input(converted, cli, tmp_path, out_dir):
    x = random_input(2)
    x[1, 2, 100, 17] = np.nan
    inp = write_npy(tmp_path / "in_nan.npy", x)
    r = _run(cli, converted("m0"), inp, out_dir, "--backend", "halide")
    assert_failed_cleanly(r, out_dir, "nan")


def test_run_unknown_backend(converted, cli, tmp_path, out_dir):
    inp = write_npy(tmp_path / "x.npy", random_input(1))
    r = _run(cli, converted("m0"), inp, out_dir, "--backend", "tensorflowlite")
    assert_failed_cleanly(r, out_dir, "tensorflowlite")


def test_run_missing_weights_file(cli, tmp_path, out_dir):
    inp = write_npy(tmp_path / "x.npy", random_input(1))
    missing = tmp_path / "no_such_weights.safetensors"
    r = cli("run", "--arch", "m0", "--weights", missing, "--input", inp,
            "--output", out_dir / "y.npy")
    assert_failed_cleanly(r, out_dir, "no_such_weights.safetensors")


def test_run_weights_of_wrong_arch(converted, cli, tmp_path, out_dir):
    inp = write_npy(tmp_path / "x.npy", random_input(1))
    r = _run(cli, converted("m0"), inp, out_dir, arch="m1")
    assert_failed_cleanly(r, out_dir, "micronet_m0.safetensors", ("arch", "shape", "missing"))


def test_convert_budget_follows_the_model(cli, tmp_path):
    """The .pth byte budget is derived from the model asked for: an M3 checkpoint with a
    21843-class head (ImageNet-21k) is past the default budget (sized for 1000 classes) but
    converts with --classes 21843; the same file read as 1000 classes stays refused."""
    model = micronet_torch.build_micronet("m3", num_classes=21843)
    pth = tmp_path / "m3_21k.pth"
    torch.save(model.state_dict(), pth)
    out = tmp_path / "m3_21k.safetensors"
    r = cli("convert", "--arch", "m3", "--classes", 21843, "--checkpoint", pth, "--out", out)
    assert r.returncode == 0, r.stderr
    assert out.is_file()
    r = cli("convert", "--arch", "m3", "--checkpoint", pth, "--out", tmp_path / "as_1000.safetensors")
    assert r.returncode != 0
    assert str(pth) in r.stderr
    assert not (tmp_path / "as_1000.safetensors").exists()
