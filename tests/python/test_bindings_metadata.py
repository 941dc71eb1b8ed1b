"""micronet_halide follows the weights file's metadata the way `micronet classify` does
(issue 13 item 5).

The shipped Fashion-MNIST model (models/pretrained/micronet_m0_fashion64.safetensors) says in
its metadata: arch m0, 10 named classes, 64 x 64 input, greyscale preprocessing with its own
mean/std. The module once ignored all of it (ImageNet RGB at 224 x 224) and called every
test image class 8 (Bag). Here the test images of the Debian package dataset-fashion-mnist,
written to files as scripts/run_main.sh writes them, go through Python and through the CLI,
which must agree.

Needs the module (PYTHONPATH=build/python) and, for the comparisons, build/bin/micronet and
/usr/share/datasets/fashion-mnist (skipped otherwise).
"""
import gzip
import json
import pathlib
import struct

import numpy as np
import pytest
import torch

from image_files import write_png as write_png_rgb

mh = pytest.importorskip(
    "micronet_halide",
    reason="micronet_halide is not built or not on PYTHONPATH (build, then PYTHONPATH=build/python)")

REPO = pathlib.Path(__file__).resolve().parents[2]
FASHION = REPO / "models" / "pretrained" / "micronet_m0_fashion64.safetensors"
DATA = pathlib.Path("/usr/share/datasets/fashion-mnist")
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
           "Bag", "Ankle boot"]
N_IMAGES = 20


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------
def write_pgm(path, grey):
    h, w = grey.shape
    pathlib.Path(path).write_bytes(b"P5\n%d %d\n255\n" % (w, h) + grey.tobytes())
    return pathlib.Path(path)


def with_metadata(src, dst, **changes):
    """Copies safetensors `src` to `dst` with __metadata__ keys changed (None deletes one)."""
    blob = pathlib.Path(src).read_bytes()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    meta = header["__metadata__"]
    for k, v in changes.items():
        if v is None:
            meta.pop(k, None)
        else:
            meta[k] = v
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    pathlib.Path(dst).write_bytes(struct.pack("<Q", len(text)) + text + blob[8 + n:])
    return pathlib.Path(dst)


def cli_classify(cli, weights, files, topk):
    """{file: [{'class', 'name', 'prob', 'logit'}, ...]} from `micronet classify --json`."""
    r = cli("classify", "--weights", weights, "--topk", topk, "--json", *files)
    assert r.returncode == 0, r.stderr
    return {image["file"]: image["top"] for image in json.loads(r.stdout)["images"]}


@pytest.fixture(scope="module")
def fashion():
    if not FASHION.is_file():
        pytest.skip("missing %s" % FASHION)
    return mh.load(FASHION)


@pytest.fixture(scope="module")
def test_images(tmp_path_factory):
    """The first N_IMAGES Fashion-MNIST test images: (grey 28 x 28 arrays, labels)."""
    images = DATA / "t10k-images-idx3-ubyte.gz"
    labels = DATA / "t10k-labels-idx1-ubyte.gz"
    if not (images.is_file() and labels.is_file()):
        pytest.skip("Fashion-MNIST not installed (Debian package dataset-fashion-mnist)")
    with gzip.open(images) as f:
        pix = np.frombuffer(f.read(), np.uint8)[16:16 + N_IMAGES * 784].reshape(-1, 28, 28)
    with gzip.open(labels) as f:
        lab = np.frombuffer(f.read(), np.uint8)[8:8 + N_IMAGES]
    return pix, lab


# ---------------------------------------------------------------------------------------
# classify: the CLI's answers
# ---------------------------------------------------------------------------------------
def test_classify_shipped_test_images_like_the_cli(fashion, test_images, cli, tmp_path):
    pix, labels = test_images
    files = []
    for i, (img, label) in enumerate(zip(pix, labels)):
        name = CLASSES[label].replace("/", "_").replace(" ", "_").lower()
        files.append(write_pgm(tmp_path / ("fashion_test_%d_%s.pgm" % (i, name)), img))
    # Larger colour PNGs of the same pictures: decoding, grey conversion and downscaling too.
    for i in range(4):
        big = np.repeat(np.repeat(pix[i], 3, axis=0), 3, axis=1)
        files.append(write_png_rgb(tmp_path / ("big_%d.png" % i), np.dstack([big] * 3)))
    want = cli_classify(cli, FASHION, files, 3)
    assert len(want) == len(files)
    for f in files:
        got = fashion.classify(f, topk=3)
        rows = want[str(f)]
        assert got[0].class_index == rows[0]["class"], "%s: top-1 %s, the CLI says %s" % (f.name, got[0], rows[0])
        assert [(p.class_index, p.name) for p in got] == [(r["class"], r["name"]) for r in rows], f.name
        np.testing.assert_allclose([p.logit for p in got], [r["logit"] for r in rows], rtol=0, atol=1e-5)
        np.testing.assert_allclose([p.probability for p in got], [r["prob"] for r in rows], rtol=0, atol=1e-6)
    # And the CLI (and so Python) is right about the pictures: the model scores 90 %.
    top1 = [fashion.classify(f, topk=1)[0] for f in files[:N_IMAGES]]
    assert top1[0].name == "Ankle boot" and labels[0] == 9
    right = sum(p.class_index == int(l) for p, l in zip(top1, labels))
    assert right >= N_IMAGES - 3, "only %d of %d right: %s" % (right, N_IMAGES, top1)
    assert len({p.class_index for p in top1}) >= 5  # not one class for everything


def test_prediction_fields(fashion, test_images):
    img = test_images[0][0]
    preds = fashion.classify(img, topk=10)
    assert [p.name for p in sorted(preds)] == CLASSES
    assert sum(p.probability for p in preds) == pytest.approx(1.0, abs=1e-9)
    assert [p.probability for p in preds] == sorted((p.probability for p in preds), reverse=True)
    c, name, prob, logit = preds[0]  # a plain tuple too
    assert (c, name, prob, logit) == (preds[0].class_index, preds[0].name, preds[0].probability,
                                      preds[0].logit)
    logits = fashion(fashion.preprocess(img))[0]
    assert logit == logits.max() and c == int(np.argmax(logits))


def test_grey_arrays_files_and_tensors_agree(fashion, test_images, tmp_path):
    img = test_images[0][3]
    want = fashion.classify(write_pgm(tmp_path / "x.pgm", img), topk=10)
    assert fashion.classify(img, topk=10) == want                          # H x W
    assert fashion.classify(img[:, :, None], topk=10) == want              # H x W x 1
    assert fashion.classify(np.dstack([img] * 3), topk=10) == want         # RGB, equal channels
    assert fashion.classify(torch.from_numpy(img.copy()), topk=10) == want  # torch uint8
    assert fashion.classify(np.asfortranarray(img), topk=10) == want


def test_grey_preprocess_matches_pytorch(fashion, test_images):
    """The training recipe: bilinear resize (half-pixel centres, no antialiasing, as
    torch's interpolate(align_corners=False)), /255, (v - mean) / std, grey to 3 channels."""
    img = test_images[0][1]
    got = fashion.preprocess(img)
    assert got.shape == (1, 3, 64, 64) and got.dtype == np.float32
    t = torch.from_numpy(img.astype(np.float32))[None, None]
    up = torch.nn.functional.interpolate(t, size=(64, 64), mode="bilinear", align_corners=False)
    want = ((up[0, 0].numpy() / 255.0 - 0.2860) / 0.3530)
    for c in range(3):
        np.testing.assert_allclose(got[0, c], want, rtol=0, atol=1e-4)


def test_bad_images_for_a_grey_model(fashion, tmp_path):
    with pytest.raises(ValueError, match="alpha"):
        fashion.classify(np.zeros((28, 28, 4), np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        fashion.classify(np.zeros((28, 28), np.float32))
    with pytest.raises(ValueError, match="empty"):
        fashion.classify(np.zeros((0, 28), np.uint8))
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"no image here")
    with pytest.raises(RuntimeError, match="junk.png"):
        fashion.classify(junk)
    with pytest.raises(FileNotFoundError):
        fashion.preprocess(tmp_path / "nope.png")
    # A header claiming 20000 x 20000 (1.2 GB decoded) is refused before decoding, as for
    # RGB models: the grey path reads through read_image_bounded too.
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(write_png_rgb(tmp_path / "tiny.png", np.zeros((1, 1, 3), np.uint8)).read_bytes()
                     .replace(struct.pack(">II", 1, 1), struct.pack(">II", 20000, 20000), 1))
    with pytest.raises(mh.FormatError, match="bomb.png.*20000x20000.*exceeds"):
        fashion.classify(bomb)


# ---------------------------------------------------------------------------------------
# load: arch from the file; metadata, class names, input size
# ---------------------------------------------------------------------------------------
def test_load_infers_arch_and_reads_metadata(fashion):
    m = fashion
    assert m.arch == "m0" and m.num_classes == 10 and m.input_size == (64, 64)
    assert m.class_names == CLASSES
    d = m.metadata
    assert d["arch"] == "m0" and d["num_classes"] == 10 and d["input_size"] == (64, 64)
    assert d["class_names"] == CLASSES and d["preprocess"] == "grey3"
    assert "bilinear" in d["resize"]
    assert d["mean"] == [0.286] * 3 and d["std"] == [0.353] * 3  # as the file writes them
    assert d["extra"]["dataset"] == "fashion-mnist"
    assert set(d) == {"arch", "num_classes", "input_size", "class_names", "preprocess", "resize",
                      "mean", "std", "extra"}
    assert m.cached_sizes[0] == (64, 64)
    assert m.benchmark(iters=1, warmup=0)["input"] == (64, 64)
    assert m.arena_bytes() == m.arena_bytes(1, 64, 64) < m.arena_bytes(1, 224, 224)
    assert "64x64 grey3" in repr(m)


def test_every_way_to_name_the_file_loads_the_same_model(fashion):
    x = np.random.default_rng(1).standard_normal((2, 3, 64, 64)).astype(np.float32)
    want = fashion(x)
    for m in (mh.load(weights=FASHION), mh.load(str(FASHION)), mh.load("m0", FASHION),
              mh.load(arch="m0", weights=str(FASHION))):
        assert m.arch == "m0" and m.input_size == (64, 64) and m.class_names == CLASSES
        np.testing.assert_array_equal(m(x), want)


def test_arch_that_disagrees_with_the_file_is_a_value_error(fashion):
    with pytest.raises(ValueError) as e:
        mh.load("m1", FASHION)
    msg = str(e.value)
    assert FASHION.name in msg and "'m0'" in msg and "'m1'" in msg


def test_file_without_arch_needs_one(fashion, tmp_path):
    bare = with_metadata(FASHION, tmp_path / "no_arch.safetensors", arch=None)
    with pytest.raises(ValueError, match="no_arch.safetensors.*names no arch"):
        mh.load(bare)
    m = mh.load("m0", bare)  # the rest of the metadata still applies
    assert m.input_size == (64, 64) and m.class_names == CLASSES


def test_bad_metadata_is_a_format_error(tmp_path):
    if not FASHION.is_file():
        pytest.skip("missing %s" % FASHION)
    bad = with_metadata(FASHION, tmp_path / "grey5.safetensors", preprocess="grey5")
    with pytest.raises(mh.FormatError, match="grey5.safetensors.*grey5"):
        mh.load(bad)
    names = with_metadata(FASHION, tmp_path / "names.safetensors", class_names="a,b,c")
    with pytest.raises(mh.FormatError, match="names.safetensors"):
        mh.load(names)
    alien = with_metadata(FASHION, tmp_path / "alien.safetensors", arch="m7")
    with pytest.raises(mh.FormatError, match="alien.safetensors.*m7"):
        mh.load(alien)


def test_what_a_first_argument_means(tmp_path):
    with pytest.raises(ValueError, match="m9"):
        mh.load("m9")  # no file, no arch
    with pytest.raises(FileNotFoundError, match="nope.safetensors"):
        mh.load(str(tmp_path / "nope.safetensors"))
    with pytest.raises(FileNotFoundError):
        mh.load(tmp_path / "nope.pth")
    with pytest.raises(ValueError, match="arch"):
        mh.load()
    with pytest.raises(TypeError, match="arch"):
        mh.load(7, FASHION)


def test_model_without_metadata_is_imagenet():
    with pytest.warns(UserWarning, match="RANDOM"):
        m = mh.load("m0")
    assert m.input_size == (224, 224) and m.class_names == []
    d = m.metadata
    assert d["preprocess"] == "imagenet" and d["input_size"] == (224, 224)
    assert d["mean"] == pytest.approx([0.485, 0.456, 0.406])
    assert d["std"] == pytest.approx([0.229, 0.224, 0.225])
    assert "256" in d["resize"] and "224" in d["resize"]
    img = np.random.default_rng(2).integers(0, 256, (256, 256, 3), dtype=np.uint8)
    np.testing.assert_array_equal(m.preprocess(img), mh.preprocess(img))
    assert m.classify(img)[0].name is None


# ---------------------------------------------------------------------------------------
# targets: compiled vs runnable, as `micronet targets` decides
# ---------------------------------------------------------------------------------------
def test_targets_tell_compiled_from_runnable(cli):
    d = mh.targets()
    assert {"host", "opencl", "cuda"} <= set(d)
    for t, row in d.items():
        assert set(row) == {"compiled", "runnable", "kernels", "reason"}, t
        assert isinstance(row["compiled"], bool) and isinstance(row["runnable"], bool)
        assert row["runnable"] <= row["compiled"]
        assert (row["reason"] == "") == row["runnable"], (t, row)
        assert (row["kernels"] > 0) == row["compiled"], (t, row)
    assert d["host"]["compiled"] and d["host"]["runnable"]
    # The CLI's view: "TARGET\tN kernels\tavailable" or "...\tunavailable: WHY".
    r = cli("targets")
    assert r.returncode == 0, r.stderr
    listed = {}
    for line in r.stdout.splitlines():
        name, kernels, state = line.split("\t")
        listed[name] = (int(kernels.split()[0]), state == "available")
    assert listed == {t: (row["kernels"], row["runnable"]) for t, row in d.items() if row["compiled"]}
