#!/usr/bin/python3
"""Writes the seed corpora of the libFuzzer targets into tests/fuzz/corpus/<target>/.

Run with Debian's /usr/bin/python3 (torch, numpy): `/usr/bin/python3 tests/fuzz/make_seeds.py`.
Each seed is a small valid (or nearly valid) file of its format, so the fuzzer starts
inside the parser rather than at its magic check. The output is committed; rerunning
rewrites it (torch.save output is not byte-stable, which does not matter for seeds).
"""
import collections
import gzip
import io
import json
import os
import struct
import zipfile

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    assert len(data) < 64 * 1024, (target, name, len(data))
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def torch_bytes(obj):
    b = io.BytesIO()
    torch.save(obj, b)
    return b.getvalue()


def checkpoint_seeds():
    g = torch.Generator().manual_seed(0)
    plain = collections.OrderedDict(
        w=torch.randn(2, 3, generator=g), n=torch.tensor(7, dtype=torch.int64))
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 1), torch.nn.BatchNorm2d(2))
    view = {"t": torch.arange(12, dtype=torch.float32).reshape(3, 4).t(),  # strided view
            "h": torch.ones(2, dtype=torch.float16)}
    seeds = {
        "plain.pth": torch_bytes(plain),
        "module.pth": torch_bytes(net.state_dict()),  # _metadata BUILD, num_batches_tracked
        "wrapped.pth": torch_bytes({"state_dict": plain, "epoch": 3}),
        "view.pth": torch_bytes(view),
    }
    for name, data in seeds.items():
        put("checkpoint", name, data)
        # The bare pickle too: the target runs non-zip inputs through the pickle VM.
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            pkl = [n for n in z.namelist() if n.endswith("/data.pkl")][0]
            put("checkpoint", name.replace(".pth", ".pkl"), z.read(pkl))


def safetensors_file(tensors, metadata=None):
    header, data = {}, b""
    if metadata:
        header["__metadata__"] = metadata
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + data


def f32(a):
    return np.asarray(a, "<f4").tobytes()


def safetensors_seeds():
    put("safetensors", "weights.safetensors", safetensors_file(
        {"conv.weight": ("F32", [2, 1, 1, 1], f32([1, -2])),
         "bn.num_batches_tracked": ("I64", [], struct.pack("<q", 7)),
         "half": ("F16", [2], np.ones(2, "<f2").tobytes()),
         "empty": ("F32", [0, 3], b"")},
        {"arch": "m0", "num_classes": "10"}))
    put("safetensors", "empty.safetensors", safetensors_file({}))
    put("safetensors", "escapes.safetensors", safetensors_file(
        {"a\u00e9\n\"b\"": ("U8", [3], b"\x01\x02\x03")}, {"note": "\u2603 \\ \t"}))


def kernel_cases_seeds():
    x = f32(np.linspace(-1, 1, 12))
    tensors = {
        "weights/features.0.weight": ("F32", [2], f32([0.5, 1])),
        "model/input": ("F32", [1, 3, 2, 2], x),
        "model/logits": ("F32", [1, 2], f32([0.1, 0.9])),
        "step000/input": ("F32", [1, 3, 2, 2], x),
        "step000/expected": ("F32", [1, 2, 2, 2], f32(np.ones(8))),
        "step001/input": ("F32", [1, 2, 2, 2], f32(np.ones(8))),
        "step001/block_input": ("F32", [1, 2, 2, 2], f32(np.ones(8))),
        "step001/expected": ("F32", [1, 2], f32([0.1, 0.9])),
    }
    meta = {"format": "micronet-kernel-cases-1", "arch": "m0", "input_height": "2",
            "input_width": "2", "batch": "1", "num_classes": "2", "steps": "2", "seed": "5"}
    put("kernel_cases", "two_steps.safetensors", safetensors_file(tensors, meta))
    meta1 = dict(meta, steps="1")
    del tensors["step001/input"], tensors["step001/block_input"], tensors["step001/expected"]
    put("kernel_cases", "one_step.safetensors", safetensors_file(tensors, meta1))


def npy_seeds():
    def save(name, a, version=None):
        b = io.BytesIO()
        if version:
            np.lib.format.write_array(b, a, version=version)
        else:
            np.save(b, a)
        put("npy", name, b.getvalue())
    save("matrix.npy", np.arange(6, dtype="<f4").reshape(2, 3))
    save("scalar.npy", np.array(1.5, "<f4"))
    save("empty.npy", np.zeros((0, 4), "<f4"))
    save("v2.npy", np.ones((1, 3, 2, 2), "<f4"), version=(2, 0))
    save("f8.npy", np.ones(2, "<f8"))  # refused dtype, a neighbour of the accepted one


def idx_file(code, dims, data):
    return bytes([0, 0, code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + data


def idx_seeds():
    images = idx_file(0x08, [2, 3, 3], bytes(range(18)))
    put("idx", "images.idx", images)
    put("idx", "labels.idx", idx_file(0x08, [2], b"\x03\x07"))
    put("idx", "ints.idx", idx_file(0x0C, [2], struct.pack(">ii", 1, -2)))
    put("idx", "floats.idx", idx_file(0x0D, [1, 2], struct.pack(">ff", 0.5, -1)))
    put("idx", "images.idx.gz", gzip.compress(images, mtime=0))


def tuning_seeds():
    put("tuning_records", "readme.txt", b"# <target family> <kernel> knob=value ...\n"
        b"x86 gconv_c64x32_g4_sm2x1q8 tile_vectors=3 oc_block=4\n"
        b"gpu dwsep_c64_e1x1_k5s1_sm2x2q8 threads_x=16 stage_mid=0\n")
    put("tuning_records", "override.txt", b"x86 stem_c3x16_k3s2 x_vector=8 parallel=1\n"
        b"x86 stem_c3x16_k3s2 x_vector=16 cost=1.5e-3 planes_per_task=99999999999\n"
        b"arm head_c1024x1000 fc_vectors=2\n\n#\n")


if __name__ == "__main__":
    checkpoint_seeds()
    safetensors_seeds()
    kernel_cases_seeds()
    npy_seeds()
    idx_seeds()
    tuning_seeds()
    for t in sorted(os.listdir(OUT)):
        files = os.listdir(os.path.join(OUT, t))
        print(f"{t}: {len(files)} seeds, {sum(os.path.getsize(os.path.join(OUT, t, f)) for f in files)} bytes")
