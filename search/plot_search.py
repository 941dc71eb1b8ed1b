#!/usr/bin/python3
"""Plots of the latency search: plot_search.py scatter|front IN.csv OUT.png

scatter: the predictor validation (validation.csv of `micronet search --validate`):
         predicted against measured latency per network, the diagonal and +-5 % / +-10 % bands.
front:   the search (evaluations.csv of `micronet search`): accuracy estimate against predicted
         latency of every evaluated network, the Pareto front joined, M0..M3 marked; with a
         second rung (column full_accuracy filled), a second panel of the full-recipe results,
         and the third rung's means over seeds (column seeds_mean) with their spread.

Exit status: 0 written, 1 bad input, 2 usage or matplotlib missing.
"""
import csv
import sys


def read_rows(path, needed):
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        missing = set(needed) - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: no column {', '.join(sorted(missing))}")
        rows = list(reader)
    if not rows:
        raise ValueError(f"{path}: no rows")
    return rows


def scatter(rows, out, plt):
    pred = [float(r["predicted_us"]) for r in rows]
    meas = [float(r["measured_us"]) for r in rows]
    within5 = sum(abs(p / m - 1) <= 0.05 for p, m in zip(pred, meas)) / len(rows)
    fig, ax = plt.subplots(figsize=(6, 6))
    lo, hi = min(pred + meas) * 0.9, max(pred + meas) * 1.1
    xs = [lo, hi]
    ax.fill_between(xs, [x * 0.9 for x in xs], [x * 1.1 for x in xs], color="tab:green", alpha=0.08, label="+-10 %")
    ax.fill_between(xs, [x * 0.95 for x in xs], [x * 1.05 for x in xs], color="tab:green", alpha=0.18, label="+-5 %")
    ax.plot(xs, xs, color="black", lw=0.8)
    ax.scatter(meas, pred, s=14, color="tab:blue", label=f"{len(rows)} random networks ({100 * within5:.0f} % within 5 %)")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_xlabel("measured end to end, micronet bench (us)")
    ax.set_ylabel("predicted: kernel table + overhead model (us)")
    ax.set_title("Latency predictor validation")
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=120)


def front(rows, out, plt):
    searched = [r for r in rows if r["kind"] == "searched"]
    official = [r for r in rows if r["kind"] == "official"]
    rung = [r for r in rows if r.get("full_accuracy")]
    if rung:
        fig, (ax, ax2) = plt.subplots(1, 2, figsize=(13, 5))
        full_rung(rung, ax2)
    else:
        fig, ax = plt.subplots(figsize=(7, 5))
    ax.scatter([float(r["predicted_us"]) for r in searched], [100 * float(r["accuracy"]) for r in searched],
               s=12, color="tab:gray", alpha=0.6, label="evaluated networks")
    best = sorted((r for r in searched if r["on_front"] == "1"), key=lambda r: float(r["predicted_us"]))
    ax.plot([float(r["predicted_us"]) for r in best], [100 * float(r["accuracy"]) for r in best],
            "o-", color="tab:blue", label="Pareto front")
    for r in official:
        x, y = float(r["predicted_us"]), 100 * float(r["accuracy"])
        ax.scatter([x], [y], marker="*", s=120, color="tab:red")
        ax.annotate(r["name"].upper(), (x, y), textcoords="offset points", xytext=(5, 5))
    if official:
        ax.scatter([], [], marker="*", s=120, color="tab:red", label="MicroNet M0..M3")
    ax.set_xlabel("predicted latency (us)")
    ax.set_ylabel("accuracy estimate (%, short training)")
    ax.set_title("Latency search: accuracy estimate vs latency")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(out, dpi=120)


def full_rung(rows, ax):
    """Second rung of the search: full-recipe accuracy of the networks trained again, M0 marked."""
    searched = [r for r in rows if r["kind"] == "searched"]
    pts = sorted((float(r["predicted_us"]), 100 * float(r["full_accuracy"])) for r in searched)
    ax.scatter([x for x, _ in pts], [y for _, y in pts], s=24, color="tab:green", label="full recipe (second rung)")
    best, top = [], -1.0
    for x, y in pts:
        if y > top:
            best.append((x, y))
            top = y
    ax.plot([x for x, _ in best], [y for _, y in best], "-", color="tab:green")
    for r in rows:
        if r["kind"] == "official":
            x, y = float(r["predicted_us"]), 100 * float(r["full_accuracy"])
            ax.scatter([x], [y], marker="*", s=140, color="tab:red", label=r["name"].upper() + ", full recipe")
            ax.axhline(y, color="tab:red", lw=0.6, ls="--")
            ax.axvline(x / 1.3, color="tab:red", lw=0.6, ls=":", label=r["name"].upper() + " latency / 1.3")
    third_rung(rows, ax)
    ax.set_xlabel("predicted latency (us)")
    ax.set_ylabel("held-out accuracy after the full recipe (%)")
    ax.set_title("Second and third rungs: full-recipe training" if any(r.get("seeds_mean") for r in rows)
                 else "Second rung: full-recipe training")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")


def third_rung(rows, ax):
    """The third rung's mean over seeds per network, bars from its lowest to its highest run."""
    searched_labelled = False
    for r in rows:
        if not r.get("seeds_mean"):
            continue
        runs = [100 * float(x) for x in r["seeds"].split()]
        mean, x = 100 * float(r["seeds_mean"]), float(r["predicted_us"])
        official = r["kind"] == "official"
        if official:
            label = f"{r['name'].upper()}, mean of {len(runs)} seeds"
        else:
            label = None if searched_labelled else f"mean of {len(runs)} seeds (third rung)"
            searched_labelled = True
        ax.errorbar([x], [mean], yerr=[[mean - min(runs)], [max(runs) - mean]], fmt="s" if official else "D", ms=6,
                    capsize=3, color="tab:red" if official else "black", mfc="white", label=label)
        if official:
            ax.axhline(mean, color="tab:red", lw=0.6, ls="-.")


def main(argv):
    if len(argv) != 4 or argv[1] not in ("scatter", "front"):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        print(f"plot_search.py: cannot import matplotlib ({e}); install python3-matplotlib", file=sys.stderr)
        return 2
    try:
        if argv[1] == "scatter":
            scatter(read_rows(argv[2], ["predicted_us", "measured_us"]), argv[3], plt)
        else:
            front(read_rows(argv[2], ["kind", "name", "predicted_us", "accuracy", "on_front"]), argv[3], plt)
    except (OSError, ValueError) as e:
        print(f"plot_search.py: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
