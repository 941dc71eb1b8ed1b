#!/usr/bin/env python3
"""PyTorch's side of the GPU table: the same MicroNet (tests/python/micronet_torch.py, the
official architecture) timed end to end from a host array to host logits, as `micronet bench
--target cuda` times this project: eager, and replaying a CUDA graph captured once.

    python3 bench/torch_gpu_bench.py [--device cuda] [--models m0,m1,m2,m3] [--batches 1,64]
        [--size 224] [--iters 50] [--json OUT] [--micronet-json FILE ...]

Per call: the input, an ordinary (pageable) host tensor like the array `micronet bench`
feeds, is copied to the device, the network runs, the logits are copied back (the copy back
synchronises). Median of --iters calls after 10 warm-up calls. With --micronet-json (files of
`micronet bench --json`) it prints one table with both and the ratios the throughput issue
asks for: batch 64 images/s against the CUDA graph's, batch 1 latency against its latency.
On a machine without CUDA, --device cpu times eager only (used to test this script).
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "python"))

import torch  # noqa: E402

from micronet_torch import build_micronet  # noqa: E402

from cli_lists import int_list  # noqa: E402  (bench/, beside this script)
from wall_timing import median_ms  # noqa: E402


def time_model(arch, batch, size, device, iters):
    model = build_micronet(arch).to(device).eval()
    host = torch.randn(batch, 3, size, size)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    out = {}
    with torch.inference_mode():
        out["eager_ms"] = median_ms(lambda: model(host.to(device)).cpu(), iters, sync)
        if device.type == "cuda":
            static_in = host.to(device)
            stream = torch.cuda.Stream()
            stream.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(stream):
                for _ in range(3):  # warm-up on a side stream, as graph capture requires
                    model(static_in)
            torch.cuda.current_stream().wait_stream(stream)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                static_out = model(static_in)

            def replay():
                static_in.copy_(host)
                graph.replay()
                return static_out.cpu()

            out["graph_ms"] = median_ms(replay, iters, sync)
    return out


def load_micronet(files):
    ours = {}
    for path in files:
        try:
            with open(path) as f:
                d = json.load(f)
            ours[(d["arch"], d["batch"])] = d["median_ms"]
        except (OSError, ValueError, KeyError) as e:
            sys.exit(f"torch_gpu_bench: --micronet-json {path}: not a `micronet bench --json` file ({e})")
    return ours


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="cuda", help="cuda (default) or cpu")
    p.add_argument("--models", default="m0,m1,m2,m3")
    p.add_argument("--batches", type=int_list, default=[1, 64])
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--iters", type=int, default=50)
    p.add_argument("--json", help="write the timings here")
    p.add_argument("--micronet-json", nargs="*", default=[], help="`micronet bench --json` outputs to compare")
    a = p.parse_args()
    if a.device == "cuda" and not torch.cuda.is_available():
        sys.exit("torch_gpu_bench: --device cuda: PyTorch sees no CUDA device (use --device cpu to test)")
    device = torch.device(a.device)
    ours = load_micronet(a.micronet_json)
    rows = []
    for arch in [m for m in a.models.split(",") if m]:
        for batch in a.batches:
            print(f"torch {arch} batch {batch} ...", file=sys.stderr, flush=True)
            r = {"arch": arch, "batch": batch, "size": a.size, "device": str(device),
                 "torch": torch.__version__}
            r.update(time_model(arch, batch, a.size, device, a.iters))
            if (arch, batch) in ours:
                r["micronet_ms"] = ours[(arch, batch)]
            rows.append(r)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(f"End to end, host array to host logits, {a.size}x{a.size}, {name}, PyTorch {torch.__version__} "
          f"(median of {a.iters} calls, ms; images/s in brackets)\n")
    print("| model | batch | this project | PyTorch eager | PyTorch + CUDA graph | vs graph |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        def cell(key):
            return f"{r[key]:.3f} ({r['batch'] * 1e3 / r[key]:.0f})" if key in r else "-"
        ratio = "-"
        if "micronet_ms" in r and "graph_ms" in r:
            # batch 1: latency ratio (want <= 0.8); larger batches: throughput ratio (want >= 2)
            ratio = (f"{r['micronet_ms'] / r['graph_ms']:.2f}x latency" if r["batch"] == 1
                     else f"{r['graph_ms'] / r['micronet_ms']:.2f}x images/s")
        print(f"| {r['arch'].upper()} | {r['batch']} | {cell('micronet_ms')} | {cell('eager_ms')} | "
              f"{cell('graph_ms')} | {ratio} |")


if __name__ == "__main__":
    main()
