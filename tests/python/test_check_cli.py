"""`micronet cases` / `micronet check`: reference cases of every kernel, replayed on a target.

The cases are checked against the independent PyTorch model (tests/python/micronet_torch.py),
and `check` is shown to fail on a wrong expected tensor, not only to pass.
"""
import numpy as np
import pytest
import torch

import micronet_torch
from conftest import REPO
from test_cli import assert_failed_cleanly, read_safetensors, rel_l2, safetensors_tensor


@pytest.fixture(scope="module")
def m2_cases(cli, tmp_path_factory):
    path = tmp_path_factory.mktemp("cases") / "m2.safetensors"
    r = cli("cases", "--arch", "m2", "--height", 40, "--width", 56, "--batch", 2, "--seed", 3,
            "--out", path)
    assert r.returncode == 0, r.stderr
    return path


def _load(path):
    entries, meta, data = read_safetensors(path)
    return {k: safetensors_tensor(entries, data, k) for k in entries}, meta


def test_cases_logits_equal_the_python_model(m2_cases):
    t, meta = _load(m2_cases)
    assert meta["format"] == "micronet-kernel-cases-1"
    assert (meta["arch"], meta["input_height"], meta["input_width"], meta["batch"]) == ("m2", "40", "56", "2")
    sd = {k[len("weights/"):]: torch.from_numpy(v.copy()) for k, v in t.items() if k.startswith("weights/")}
    model = micronet_torch.build_micronet("m2")
    model.load_state_dict(sd)
    model.eval()
    with torch.no_grad():
        want = model(torch.from_numpy(t["model/input"].copy())).numpy()
    assert rel_l2(t["model/logits"], want) <= 1e-5
    steps = int(meta["steps"])
    # The walk starts at the model input and its last step (the head) ends at the logits.
    np.testing.assert_array_equal(t["step000/input"], t["model/input"])
    assert rel_l2(t["step%03d/expected" % (steps - 1)], want) <= 1e-5
    assert any(k.endswith("/block_input") for k in t), "no residual step among M2 kernels"


def test_check_passes_on_host_and_lists_every_step(cli, m2_cases):
    r = cli("check", m2_cases)
    assert r.returncode == 0, r.stdout + r.stderr
    _, meta = _load(m2_cases)
    step_lines = [l for l in r.stdout.splitlines() if l.strip().startswith("step ")]
    assert len(step_lines) == int(meta["steps"])
    assert all(l.endswith("ok") for l in step_lines)
    for family in ("stem", "dwsep", "gconv", "head"):
        assert family + ":" in r.stdout
    assert "model: logits rel L2" in r.stdout and r.stdout.strip().endswith("PASS")


def test_check_fails_on_a_wrong_expected_tensor(cli, m2_cases, tmp_path):
    # Perturb step 3's expected output by 1% (in place: same header, same byte ranges).
    entries, meta, data = read_safetensors(m2_cases)
    blob = bytearray(open(m2_cases, "rb").read())
    header_len = len(blob) - len(data)
    start, end = entries["step003/expected"]["data_offsets"]
    x = np.frombuffer(data[start:end], dtype="<f4").copy()
    x += 0.01 * np.linalg.norm(x) / np.sqrt(x.size) * np.random.default_rng(0).standard_normal(x.size).astype(np.float32)
    blob[header_len + start:header_len + end] = x.tobytes()
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(bytes(blob))
    r = cli("check", "--no-model", bad)
    assert r.returncode == 1, r.stdout + r.stderr
    lines = [l for l in r.stdout.splitlines() if l.strip().startswith("step ")]
    assert [l.split()[1] for l in lines if l.endswith("FAIL")] == ["3"]
    assert r.stdout.strip().endswith("FAIL")


def test_check_rejects_weights_and_truncated_files(cli, m2_cases, tmp_path):
    weights = REPO / "models" / "pretrained" / "micronet_m0_fashion64.safetensors"
    r = cli("check", weights)
    assert r.returncode == 1 and "not a kernel cases file" in r.stderr and weights.name in r.stderr, r.stderr
    blob = open(m2_cases, "rb").read()
    (tmp_path / "trunc.safetensors").write_bytes(blob[: len(blob) // 2])
    r = cli("check", tmp_path / "trunc.safetensors")
    assert r.returncode == 1 and "trunc.safetensors" in r.stderr, r.stderr


def test_check_bad_family_and_missing_file(cli, m2_cases, tmp_path):
    r = cli("check", "--family", "conv3x3", m2_cases)
    assert r.returncode == 2 and "conv3x3" in r.stderr
    r = cli("check", tmp_path / "absent.safetensors")  # checked when the command line is parsed
    assert r.returncode == 2 and "absent.safetensors" in r.stderr
    r = cli("check")
    assert r.returncode == 2 and "no cases file" in r.stderr


def test_cases_bad_arch_leaves_nothing(cli, out_dir):
    r = cli("cases", "--arch", "m9", "--out", out_dir / "c.safetensors")
    assert_failed_cleanly(r, out_dir, "m9")


def test_check_model_fails_when_the_top5_order_differs(cli, m2_cases, tmp_path):
    # Swap the reference's two best logits of image 0: the error stays small (--tol 1 lets
    # it pass), so only the top-5 comparison can catch it.
    entries, meta, data = read_safetensors(m2_cases)
    blob = bytearray(open(m2_cases, "rb").read())
    header_len = len(blob) - len(data)
    start, end = entries["model/logits"]["data_offsets"]
    logits = np.frombuffer(data[start:end], dtype="<f4").reshape(entries["model/logits"]["shape"]).copy()
    a, b = np.argsort(-logits[0])[:2]
    assert logits[0, a] - logits[0, b] > 1e-3 * np.abs(logits).max(), "the two best logits tie"
    logits[0, [a, b]] = logits[0, [b, a]]
    blob[header_len + start:header_len + end] = logits.tobytes()
    bad = tmp_path / "swapped.safetensors"
    bad.write_bytes(bytes(blob))
    r = cli("check", "--family", "none", "--tol", "1", bad)
    assert r.returncode == 1 and "top-5 DIFFERENT" in r.stdout, r.stdout + r.stderr
    assert cli("check", "--family", "none", "--tol", "1", m2_cases).returncode == 0
