#!/usr/bin/env python3
"""Writes a random state_dict checkpoint with torch.save for the checkpoint-import tests.

The keys and shapes come from a state_dict TSV (key<TAB>shape, shape like 16x1x3x1 or
'scalar'). With --reference, the same tensors (C-ordered) also go into a safetensors file
written here by hand, so the C++ importer is checked against an independent writer.
Options bend the file into the cases the importer must handle or reject.
"""
import argparse
import collections
import json
import os
import struct

import torch

SAFETENSORS_DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}


def read_layout(path):
    layout = []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            key, shape = line.split("\t")
            dims = [] if shape == "scalar" else [int(d) for d in shape.split("x")]
            layout.append((key, dims))
    return layout


def strided(dims, gen):
    """A tensor of shape `dims` whose memory is not C-ordered: permuted, or for 1-D a
    stepped slice with an offset into a larger storage."""
    if len(dims) >= 2:
        base = torch.randn(list(reversed(dims)), generator=gen)
        return base.permute(*reversed(range(len(dims))))
    n = dims[0] if dims else 1
    view = torch.randn(2 * n + 1, generator=gen)[1::2]
    return view if dims else view[0]


def make_tensor(key, dims, args, gen):
    if key.endswith("num_batches_tracked"):
        return torch.randint(0, 100000, dims, generator=gen, dtype=torch.int64)
    if key in args.transpose:
        t = strided(dims, gen)
        assert not t.is_contiguous() or t.dim() == 0
        return t
    if key.endswith("running_var"):
        t = torch.rand(dims, generator=gen) + 0.5  # variances are positive
    else:
        t = torch.randn(dims, generator=gen)
    if key in args.dtype_f64:
        t = t.double()
    return t


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for key, t in tensors.items():
        data = t.contiguous().numpy().tobytes()
        header[key] = {"dtype": SAFETENSORS_DTYPES[t.dtype], "shape": list(t.shape),
                       "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


class Payload:
    """Pickles as a call to os.system: what a malicious checkpoint carries."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--tsv", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--reference", help="also write the expected tensors as safetensors")
    p.add_argument("--wrap", choices=["state_dict"], help="save {'state_dict': sd, 'epoch': 7}")
    p.add_argument("--module-prefix", action="store_true", help="prefix keys with 'module.'")
    p.add_argument("--legacy", action="store_true", help="pre-1.6 (non-zip) format")
    p.add_argument("--evil", metavar="MARKER",
                   help="add an entry whose unpickling runs os.system('touch MARKER')")
    p.add_argument("--drop-key", action="append", default=[])
    p.add_argument("--bad-shape", action="append", default=[],
                   help="grow the first dimension of this key by one")
    p.add_argument("--dtype-f64", action="append", default=[])
    p.add_argument("--transpose", action="append", default=[],
                   help="store this key as a non-contiguous view")
    p.add_argument("--non-tensor", action="append", default=[],
                   help="store an int instead of this key's tensor")
    args = p.parse_args()

    gen = torch.Generator().manual_seed(args.seed)
    sd = collections.OrderedDict()
    for key, dims in read_layout(args.tsv):
        if key in args.drop_key:
            continue
        if key in args.bad_shape:
            dims = [dims[0] + 1] + dims[1:] if dims else [1]
        sd[key] = make_tensor(key, dims, args, gen)
    if args.reference:
        write_safetensors(args.reference, sd)
    for key in args.non_tensor:
        sd[key] = 3
    # model.state_dict() carries this attribute; torch.save pickles it through BUILD.
    sd._metadata = collections.OrderedDict([("", {"version": 1})])

    if args.module_prefix:
        prefixed = collections.OrderedDict(("module." + k, v) for k, v in sd.items())
        prefixed._metadata = sd._metadata
        sd = prefixed
    obj = sd
    if args.evil:
        obj = collections.OrderedDict(sd)
        obj["payload"] = Payload("touch '%s'" % args.evil.replace("'", ""))
    if args.wrap:
        obj = {"state_dict": obj, "epoch": 7, "arch": "m0", "best_acc1": 0.5}
    torch.save(obj, args.out, _use_new_zipfile_serialization=not args.legacy)


if __name__ == "__main__":
    main()
