#!/usr/bin/env python3
"""The CPU throughput table (docs/performance.md): `micronet bench --json` for every model x
threads x batch, in interleaved rounds (every configuration once per round, so a slow spell of
a shared machine lands on all of them alike), reported as the median over the rounds of each
call's median (--stat max: the best round's, for a machine whose other tenants now and then
take a core: they can only slow a run down).

    /usr/bin/python3 bench/throughput_table.py [--micronet build/bin/micronet] [--rounds 3]
        [--models m0,m1,m2,m3] [--threads 1,2] [--batches 1,8,32] [--iters 100] [--json OUT]
        [--stat median|max]

Prints a Markdown table of images/s and, per model, the ratios the throughput issue asks
about: N threads against 1 at the same batch, and batch B against batch 1 at one thread.
Each `bench` call feeds images its previous calls did not read (see tools/cmd_bench.cpp).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

from cli_lists import int_list  # bench/, beside this script


def bench(micronet, model, threads, batch, iters):
    cmd = [micronet, "bench", "--arch", model, "--threads", str(threads), "--batch", str(batch),
           "--iters", str(iters), "--json"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"throughput_table: '{' '.join(cmd)}' failed ({r.returncode}):\n{r.stderr}")
    return json.loads(r.stdout)["images_per_s"]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--micronet", default="build/bin/micronet", help="the micronet binary")
    p.add_argument("--models", default="m0,m1,m2,m3", help="comma-separated (default m0,m1,m2,m3)")
    p.add_argument("--threads", type=int_list, default=[1, 2], help="comma-separated (default 1,2)")
    p.add_argument("--batches", type=int_list, default=[1, 8, 32], help="comma-separated (default 1,8,32)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    p.add_argument("--iters", type=int, default=100, help="timed calls per bench (default 100)")
    p.add_argument("--json", help="also write every measurement here")
    p.add_argument("--stat", choices=["median", "max"], default="median",
                   help="over the rounds (default median)")
    a = p.parse_args()
    if not os.access(a.micronet, os.X_OK):
        sys.exit(f"throughput_table: --micronet {a.micronet}: not an executable (build first)")
    if a.rounds < 1 or a.iters < 1:
        sys.exit("throughput_table: --rounds and --iters must be >= 1")
    models = [m for m in a.models.split(",") if m]
    configs = [(m, t, b) for m in models for t in a.threads for b in a.batches]
    runs = {c: [] for c in configs}
    for r in range(a.rounds):
        for i, c in enumerate(configs):
            print(f"\rround {r + 1}/{a.rounds}: {i + 1}/{len(configs)} {c[0]} threads {c[1]} "
                  f"batch {c[2]}      ", end="", file=sys.stderr, flush=True)
            runs[c].append(bench(a.micronet, *c, a.iters))
    print(file=sys.stderr)
    pick = statistics.median if a.stat == "median" else max
    med = {c: pick(v) for c, v in runs.items()}
    if a.json:
        with open(a.json, "w") as f:
            json.dump([{"model": m, "threads": t, "batch": b, "images_per_s": runs[(m, t, b)],
                        a.stat: med[(m, t, b)]} for (m, t, b) in configs], f, indent=1)

    print(f"images/s, {a.stat} of {a.rounds} rounds\n")
    print("| model | threads | " + " | ".join(f"batch {b}" for b in a.batches) + " |")
    print("|---|---|" + "---|" * len(a.batches))
    for m in models:
        for t in a.threads:
            print(f"| {m.upper()} | {t} | " + " | ".join(f"{med[(m, t, b)]:.0f}" for b in a.batches) + " |")
    one = min(a.threads)
    print()
    print("| model | " + " | ".join(f"{t} thr / {one} at batch {b}" for t in a.threads if t != one
                                    for b in a.batches) +
          " | " + " | ".join(f"batch {b} / 1 ({one} thr)" for b in a.batches if b != 1) + " |")
    ncols = sum(1 for t in a.threads if t != one) * len(a.batches) + sum(1 for b in a.batches if b != 1)
    print("|---|" + "---|" * ncols)
    for m in models:
        cells = [f"{med[(m, t, b)] / med[(m, one, b)]:.2f}" for t in a.threads if t != one for b in a.batches]
        if 1 in a.batches:
            cells += [f"{med[(m, one, b)] / med[(m, one, 1)]:.2f}" for b in a.batches if b != 1]
        print(f"| {m.upper()} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
