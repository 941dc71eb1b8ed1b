#!/usr/bin/python3
"""Tuning curves: plot_tuning.py CURVES.csv OUT.png

Reads the CSV of `micronet tune --report DB --plot` (autotune/report.h write_curves_csv)
and draws, per (machine, target, batch, threads), the best-so-far speed-up over the
default schedule against the number of measurements: one thick line per search strategy
(the mean over kernels) and a thin line per kernel. A kernel whose run ended before
measurement n keeps its final best (its search stopped there); before its first correct
candidate it has no value and is left out of the mean.

Exit status: 0 written, 1 bad input, 2 usage or matplotlib missing.
"""
import csv
import sys
import textwrap
from collections import defaultdict

COLORS = {"model": "tab:blue", "random": "tab:orange", "grid": "tab:green"}


def read_curves(path):
    """{(machine, target, batch, threads): {strategy: {kernel: [speed-up or None, ...]}}}"""
    sections = defaultdict(lambda: defaultdict(dict))
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        missing = {"machine", "target", "batch", "threads", "kernel", "strategy",
                   "measurement", "speedup_vs_default"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: not a tuning-curves CSV (no column {', '.join(sorted(missing))})")
        for row in reader:
            key = (row["machine"], row["target"], int(row["batch"]), int(row["threads"]))
            curve = sections[key][row["strategy"]].setdefault(row["kernel"], [])
            if int(row["measurement"]) != len(curve) + 1:
                raise ValueError(f"{path}:{reader.line_num}: measurements of {row['kernel']} "
                                 f"({row['strategy']}) are not numbered 1, 2, ...")
            curve.append(float(row["speedup_vs_default"]) if row["speedup_vs_default"] else None)
    return sections


def mean_curve(curves, np):
    """Mean over kernels at each measurement count, each curve held at its last value."""
    length = max(len(c) for c in curves)
    table = np.full((len(curves), length), np.nan)
    for i, c in enumerate(curves):
        values = [np.nan if v is None else v for v in c]
        table[i, :len(values)] = values
        table[i, len(values):] = values[-1]
    with np.errstate(all="ignore"):
        counts = np.sum(~np.isnan(table), axis=0)
        sums = np.nansum(table, axis=0)
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def main(argv):
    if len(argv) != 3:
        print("usage: plot_tuning.py CURVES.csv OUT.png", file=sys.stderr)
        return 2
    try:
        import matplotlib
        matplotlib.use("Agg")  # no display needed
        import matplotlib.pyplot as plt
        import numpy as np
    except ImportError as e:
        print(f"plot_tuning.py: {e.name or 'matplotlib'} is missing; install python3-matplotlib "
              "(Debian) to plot the tuning curves", file=sys.stderr)
        return 2
    try:
        sections = read_curves(argv[1])
    except (OSError, ValueError, KeyError) as e:
        print(f"plot_tuning.py: {e}", file=sys.stderr)
        return 1
    if not sections:
        print(f"plot_tuning.py: {argv[1]} holds no tuning curves (no search records with a "
              "default-schedule time)", file=sys.stderr)
        return 1

    fig, axes = plt.subplots(len(sections), 1, figsize=(8, 4.5 * len(sections)), squeeze=False)
    for ax, (key, strategies) in zip(axes[:, 0], sorted(sections.items())):
        machine, target, batch, threads = key
        for strategy, kernels in sorted(strategies.items()):
            color = COLORS.get(strategy, "tab:gray")
            for curve in kernels.values():
                x = np.arange(1, len(curve) + 1)
                y = np.array([np.nan if v is None else v for v in curve])
                ax.plot(x, y, color=color, linewidth=0.5, alpha=0.35)
            mean = mean_curve(list(kernels.values()), np)
            ax.plot(np.arange(1, len(mean) + 1), mean, color=color, linewidth=2.5,
                    label=f"{strategy}: mean of {len(kernels)} kernels (final {mean[-1]:.2f}x)")
        ax.axhline(1.0, color="black", linewidth=0.8, linestyle="--")
        # Host target strings list every CPU feature: wrap them rather than clip the title.
        wrapped = "\n".join(textwrap.wrap(target.replace("-", "- ").strip(), 90)).replace("- ", "-")
        ax.set_title(f"{machine}\n{wrapped}, batch {batch}, {threads} thread{'s' if threads != 1 else ''}",
                     fontsize=9)
        ax.set_xlabel("measurements")
        ax.set_ylabel("best-so-far speed-up vs default")
        ax.grid(True, alpha=0.3)
        ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(argv[2], dpi=120)
    print(f"wrote {argv[2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
