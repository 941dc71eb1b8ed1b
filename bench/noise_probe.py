#!/usr/bin/env python3
"""How noisy is this machine for latency measurements? Two model packages timed in alternating
rounds (a round: `--iters` calls, its median) for `--seconds`.

It answers the questions the latency predictor's validation depends on
(results/search/validation-2026-11-27/README.md):
  * how much one round's median moves (coefficient of variation, range);
  * whether two different networks timed back to back slow down together (their correlation,
    and the spread of their ratio): if they did, timing a reference beside each measurement
    could correct for it; on the 2-core development VM they mostly did not;
  * how stable the minimum over k consecutive rounds is, for several k: the spread that a
    "minimum of k" estimator (the predictor's) keeps however long one measures at one time.

Usage: PYTHONPATH=build/python /usr/bin/python3 bench/noise_probe.py PACKAGE_A PACKAGE_B
"""
import argparse
import os
import sys
import time
import warnings

import numpy as np

from cli_lists import int_list  # bench/, beside this script


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("package_a", help="a model package folder (`micronet compile --out`)")
    p.add_argument("package_b", help="a second package, timed in the rounds between A's")
    p.add_argument("--seconds", type=float, default=60.0, help="how long to alternate (default 60)")
    p.add_argument("--iters", type=int, default=1000, help="calls per round (default 1000)")
    p.add_argument("--chunks", type=int_list, default=[3, 6, 10, 20, 40],
                   help="k for the minimum-of-k-rounds spread, comma separated (default 3,6,10,20,40)")
    a = p.parse_args(argv)
    if a.seconds <= 0 or a.iters < 1:
        p.error("--seconds must be > 0 and --iters >= 1")
    for pkg in (a.package_a, a.package_b):
        if not os.path.isfile(os.path.join(pkg, "manifest.json")):
            p.error(f"{pkg}: not a model package (no manifest.json)")
    return a


def cv_pct(xs):
    xs = np.asarray(xs)
    return float(np.std(xs) / np.mean(xs) * 100)


def range_pct(xs):
    return (max(xs) / min(xs) - 1) * 100


def main(argv):
    a = parse_args(argv)
    try:
        import micronet_halide as mh
    except ImportError as e:
        sys.exit(f"noise_probe: cannot import micronet_halide ({e}); run with PYTHONPATH=build/python")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # random weights: timings do not depend on values
        models = [mh.load(package=a.package_a), mh.load(package=a.package_b)]
    rounds = [[], []]
    t0 = time.time()
    while time.time() - t0 < a.seconds:
        for m, r in zip(models, rounds):
            r.append(m.benchmark(iters=a.iters, warmup=a.iters // 10)["median_ms"] * 1000)
        done = min(1.0, (time.time() - t0) / a.seconds)
        print(f"\r[{'#' * int(24 * done):<24}] {len(rounds[0])} round pairs", end="", file=sys.stderr)
    print(file=sys.stderr)
    A, B = (np.array(r) for r in rounds)
    print(f"{len(A)} rounds each of {a.iters} calls, {a.seconds:.0f} s, alternating A and B")
    for name, pkg, x in (("A", a.package_a, A), ("B", a.package_b, B)):
        print(f"{name} {os.path.basename(os.path.normpath(pkg))}: mean of round medians {x.mean():.1f} us, "
              f"CV {cv_pct(x):.2f} %, range {range_pct(x):.1f} %")
    ratio = A / B
    print(f"A/B back to back: correlation {np.corrcoef(A, B)[0, 1]:.2f}, ratio CV {cv_pct(ratio):.2f} %, "
          f"range {range_pct(ratio):.1f} %")
    print("minimum of k consecutive rounds, spread across the run's chunks of k:")
    for k in a.chunks:
        for name, x in (("A", A), ("B", B)):
            mins = [x[i:i + k].min() for i in range(0, len(x) - k + 1, k)]
            if len(mins) < 2:
                print(f"  k={k:<3} {name}: fewer than 2 chunks (run longer)")
                continue
            print(f"  k={k:<3} {name}: {len(mins)} chunks, CV {cv_pct(mins):.2f} %, range {range_pct(mins):.1f} %")


if __name__ == "__main__":
    main(sys.argv[1:])
