#!/usr/bin/env python3
"""What moving a MicroNet input to a GPU costs on the machine it runs on, measured with
PyTorch: a host-to-device copy of the batch-1 and batch-64 inputs (224x224) from ordinary
(pageable) memory and from page-locked (pinned) memory, a host memcpy of the same bytes
(the staging copy into a pinned buffer costs at least that), and the round trip of a tiny
kernel launch plus synchronisation. These bound what `micronet bench --target cuda` can
reach end to end: the issue's batch-64 target is twice PyTorch + CUDA graph's images/s,
and both pay the same input copy.

    python3 bench/gpu_copy_probe.py [--iters 20] [--json OUT]
"""
import argparse
import json
import sys

import torch

from wall_timing import median_ms  # bench/, beside this script


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--iters", type=int, default=20)
    p.add_argument("--json", help="write the figures here")
    a = p.parse_args()
    if not torch.cuda.is_available():
        sys.exit("gpu_copy_probe: PyTorch sees no CUDA device")
    sync = torch.cuda.synchronize
    rows = []
    for batch in (1, 64):
        n = batch * 3 * 224 * 224
        pageable = torch.randn(n)
        pinned = torch.empty(n, pin_memory=True)
        other = torch.empty(n)
        dev = torch.empty(n, device="cuda")
        mb = n * 4 / 1e6
        r = {"batch": batch, "mb": mb,
             "h2d_pageable_ms": median_ms(lambda: dev.copy_(pageable), a.iters, sync, warmup=3),
             "h2d_pinned_ms": median_ms(lambda: dev.copy_(pinned, non_blocking=True), a.iters, sync, warmup=3),
             "host_memcpy_ms": median_ms(lambda: other.copy_(pageable), a.iters, lambda: None, warmup=3),
             "host_to_pinned_ms": median_ms(lambda: pinned.copy_(pageable), a.iters, lambda: None, warmup=3)}
        rows.append(r)
    x = torch.zeros(1, device="cuda")
    launch = median_ms(lambda: x.add_(1), a.iters * 10, sync, warmup=3)
    print(f"{torch.cuda.get_device_name()}, PyTorch {torch.__version__}, torch threads {torch.get_num_threads()}")
    print("| input | MB | H2D pageable | H2D pinned | host memcpy | host -> pinned |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| batch {r['batch']} | {r['mb']:.1f} | {r['h2d_pageable_ms']:.3f} ms ({r['mb'] / r['h2d_pageable_ms']:.1f} GB/s) "
              f"| {r['h2d_pinned_ms']:.3f} ms ({r['mb'] / r['h2d_pinned_ms']:.1f} GB/s) | {r['host_memcpy_ms']:.3f} ms "
              f"| {r['host_to_pinned_ms']:.3f} ms |")
    print(f"tiny kernel launch + synchronize: {launch * 1e3:.1f} us")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"device": torch.cuda.get_device_name(), "copies": rows, "launch_sync_us": launch * 1e3}, f, indent=1)


if __name__ == "__main__":
    main()
