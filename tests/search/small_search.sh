#!/bin/sh
# micronet search on a tiny budget (calibration 2 networks, 4 trained for 3 steps each), then
# the same command again: the second run must train nothing (the accuracy cache and the
# latency table answer) and give the same front. Usage: small_search.sh MICRONET WORKDIR
set -eu
micronet=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
# The second rung trains the 2 best again for one "full" epoch of 256 images (2 steps), the
# third rung the better of those with a second seed.
run() {
  "$micronet" search --latency-ms 5 --size 64 --budget 4 --population 2 --train-steps 3 --holdout 64 \
    --full-top 2 --full-epochs 1 --seeds-top 1 --seeds 2 --train-limit 256 \
    --calibrate 2 --no-references --seed 1 --jobs 2 --train-jobs 2 \
    --table "$work/table.jsonl" --cache-dir "$work/cache" --out "$work/out" > "$work/$1.txt" 2> "$work/$1.log"
}
run first || { cat "$work/first.log"; exit 1; }
run second || { cat "$work/second.log"; exit 1; }
grep -q "4 networks evaluated; 4 short trainings ran in this run (.*), 2 full-recipe trainings (.*), 1 third-rung trainings" "$work/first.txt" || { cat "$work/first.txt"; exit 1; }
grep -q "4 networks evaluated; 0 short trainings ran in this run (.*), 0 full-recipe trainings (.*), 0 third-rung trainings" "$work/second.txt" || { cat "$work/second.txt"; exit 1; }
grep -q "^## Third rung: 1 network trained with 2 seeds" "$work/first.txt" || { cat "$work/first.txt"; exit 1; }
# The summary records the command as given, every flag (it used to leave out --train-limit,
# --holdout, --calibrate, --table, ...).
grep -q -- "--holdout 64 --full-top 2 .* --train-limit 256 --calibrate 2 --no-references .* --out $work/out\`" \
  "$work/out/summary.md" || { head -5 "$work/out/summary.md"; exit 1; }
# The third rung's network: two runs in the CSV, their mean beside them.
awk -F, 'NR > 1 && $9 != "" { split($10, r, " "); m = (r[1] + r[2]) / 2; d = m - $9; if (d < 0) d = -d;
  n++; if (length(r) != 2 || d > 1e-4) bad = 1 } END { exit (n == 1 && !bad) ? 0 : 1 }' "$work/out/evaluations.csv" \
  || { cat "$work/out/evaluations.csv"; exit 1; }
grep -q "^## Second rung: 2 networks trained with 1 epoch (the full recipe)" "$work/first.txt" || { cat "$work/first.txt"; exit 1; }
# Both rungs' answers are in the CSV: two networks carry a full-recipe accuracy.
test "$(awk -F, 'NR > 1 && $5 != ""' "$work/out/evaluations.csv" | wc -l)" -eq 2 || { cat "$work/out/evaluations.csv"; exit 1; }
ls "$work"/out/front/*.json > /dev/null
test -s "$work/out/front.png"
# The front is the same both times (same seed, same cached answers).
sed -n '/^| front/p' "$work/first.txt" > "$work/front1"
sed -n '/^| front/p' "$work/second.txt" > "$work/front2"
cmp "$work/front1" "$work/front2"
# Every front config is one `micronet compile` and `micronet train` take: the validator reads it.
for f in "$work"/out/front/*.json; do "$micronet" info --config "$f" > /dev/null; done
# Asking for more calibration networks later adds new ones: 3 different networks, not the
# first 2 measured again (a validation run of 1 network calibrates first).
"$micronet" search --validate 1 --calibrate 3 --size 64 --seed 1 --jobs 2 --table "$work/table.jsonl" \
  --cache-dir "$work/cache" --out "$work/val" > "$work/val.txt" 2> "$work/val.log" || { cat "$work/val.log"; exit 1; }
# The report gives the figures after each of the 3 sweeps (the table's rows 1, 2, 3).
for s in 1 2 3; do grep -q "^| $s | .* per kernel call" "$work/val/validation.md" || { cat "$work/val/validation.md"; exit 1; }; done
# Each network was measured in 3 sweeps (the default): 3 records, the newest the fastest of
# them; a kernel timed again keeps its minimum (the newest record of a key is its best).
/usr/bin/python3 - "$work/table.jsonl" <<'PY' || exit 1
import collections, json, sys
records = [json.loads(line) for line in open(sys.argv[1])]
nets = collections.defaultdict(list)
for r in records:
    if r["kind"] == "network" and r["role"] in ("calibration", "validation"):
        nets[(r["role"], r["config_id"])].append(r["measured_us"])
cal = [k for k in nets if k[0] == "calibration"]
if len(cal) != 3:
    sys.exit(f"calibration networks {cal}: want 3 different networks")
for key, times in nets.items():
    if len(times) != 3 or times[-1] != min(times) or times[-1] > times[0]:
        sys.exit(f"{key}: records {times}: want 3 sweeps, the newest the minimum")
kernels = collections.defaultdict(list)
for r in records:
    if r["kind"] == "kernel":
        kernels[(r["kernel"], r["schedule"], tuple(r["in"]))].append(r["min_us"])
if not any(len(t) > 1 for t in kernels.values()):
    sys.exit("no kernel was timed again in a later sweep")
for key, times in kernels.items():
    if times[-1] != min(times):
        sys.exit(f"kernel {key}: records {times}: the newest is not the minimum")
PY
echo "small search and its resume: ok"
