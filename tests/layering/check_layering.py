#!/usr/bin/env python3
"""The folders are layers: a folder may include its own headers and those of folders in
LOWER layers, never one above it nor a sibling in its own layer (docs/architecture.md).

The order is written here once. Every `#include "x/..."` of every C++ file (*.h, *.cpp,
*.cpp.in) under the listed folders is checked; an include whose first path component is not
a project folder (Halide.h, a generated header) is not ours to check. Usage:

    check_layering.py [REPO_ROOT]        exit 0 when clean, 1 listing every violation
    check_layering.py --self-test        checks that the checker finds planted violations
"""
import pathlib
import re
import sys

# Ground first. Folders in one layer are siblings: they may not include each other.
LAYERS = [
    ["formats"],                     # file formats: tensors, safetensors, npy, JSON, zip/pickle, IDX, tuning lines
    ["support"],                     # processes, executable/cache folders, the target vocabulary
    ["models"],                      # the architecture as data: configs, plans, kernel ABI, state_dict layout
    ["algorithms", "runtime"],       # Halide algorithm stages | running compiled kernels
    ["schedules", "preprocess"],     # schedules per family | images and datasets
    ["generators", "reference", "loader"],  # Halide generators | the LibTorch reference | loading a model
    ["autotune"],                    # micronet tune, micronet-measure
    ["compiler"],                    # micronet compile (packages)
    ["search"],                      # micronet search
    ["tools", "bindings", "bench", "examples", "tests"],  # the CLI, Python, benchmarks, tests
]

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"/]+)/[^"]+"', re.M)


def rank_of():
    ranks = {}
    for i, layer in enumerate(LAYERS):
        for folder in layer:
            ranks[folder] = i
    return ranks


def violations(root):
    ranks = rank_of()
    found = []
    for folder, rank in ranks.items():
        base = root / folder
        if not base.is_dir():
            found.append(f"{folder}/: listed in the layer order but missing")
            continue
        for path in sorted(base.rglob("*")):
            if path.suffix not in (".h", ".cpp", ".in") or not path.is_file():
                continue
            text = path.read_text(errors="replace")
            for m in INCLUDE.finditer(text):
                target = m.group(1)
                if target not in ranks or target == folder:
                    continue
                line = text.count("\n", 0, m.start()) + 1
                where = f"{path.relative_to(root)}:{line}"
                if ranks[target] > rank:
                    found.append(f"{where}: {folder}/ (layer {rank}) includes {target}/ (layer {ranks[target]}, above it)")
                elif ranks[target] == rank:
                    found.append(f"{where}: {folder}/ includes its sibling {target}/ (both layer {rank})")
    # Every top-level folder holding C++ must have a place in the order.
    for d in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if d.name in ranks or d.name.startswith("build"):
            continue
        if any(d.rglob("*.cpp")) or any(d.rglob("*.h")):
            found.append(f"{d.name}/: holds C++ but has no layer in {pathlib.Path(__file__).name}")
    return found


def self_test():
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        for layer in LAYERS:
            for folder in layer:
                (root / folder).mkdir()
        (root / "formats" / "ok.h").write_text('#include "formats/other.h"\n#include "Halide.h"\n')
        (root / "models" / "ok.cpp").write_text('#include "support/targets.h"\n')
        (root / "formats" / "up.cpp").write_text('// x\n#include "models/plan.h"\n')
        (root / "runtime" / "sib.h").write_text('#include "algorithms/epilogue.h"\n')
        (root / "stray").mkdir()
        (root / "stray" / "x.cpp").write_text("")
        found = violations(root)
        expected = ["formats/up.cpp:2: formats/ (layer 0) includes models/ (layer 2, above it)",
                    "runtime/sib.h:1: runtime/ includes its sibling algorithms/ (both layer 3)",
                    "stray/: holds C++ but has no layer in check_layering.py"]
        if found != expected:
            print("self-test FAILED: found", found, "expected", expected)
            return 1
    print("layering self-test: the planted upward include, sibling include and unlayered folder are found")
    return 0


def main(argv):
    if len(argv) > 1 and argv[1] == "--self-test":
        return self_test()
    root = pathlib.Path(argv[1] if len(argv) > 1 else pathlib.Path(__file__).resolve().parents[2]).resolve()
    found = violations(root)
    for v in found:
        print(v)
    order = " < ".join("{" + ", ".join(layer) + "}" if len(layer) > 1 else layer[0] for layer in LAYERS)
    print(f"layering: {len(found)} violation(s); order {order}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
