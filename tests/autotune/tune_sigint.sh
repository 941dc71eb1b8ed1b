#!/bin/sh
# Issue 30: SIGINT (Ctrl-C) or kill -9 of `micronet tune` while a generator runs stops the
# generator with it (generators kept running, writing into a scratch folder left for good),
# and the next run removes a killed run's scratch folder from $TMPDIR.
#   tune_sigint.sh MICRONET_TUNE WORK_DIR
set -u
tune=$1
work=$2
rm -rf "$work"
mkdir -p "$work/tmp"
export TMPDIR="$work/tmp"
scratch="$TMPDIR/micronet-tune-"

interrupt() {  # interrupt SIGNAL: start a tune, send SIGNAL while a generator runs
  "$tune" --kernel gconv_c144x32_g4 --budget 30 --strategy random --no-baselines --db "$work/db.jsonl" \
    >"$work/log" 2>&1 &
  pid=$!
  i=0
  while [ $i -lt 300 ] && ! pgrep -f "$scratch" >/dev/null; do sleep 0.1; i=$((i + 1)); done
  if ! pgrep -f "$scratch" >/dev/null; then
    echo "FAIL: no generator started within 30 s"; cat "$work/log"; kill -9 $pid; exit 1
  fi
  kill "-$1" $pid
  wait $pid
  i=0
  while [ $i -lt 3 ] && pgrep -f "$scratch" >/dev/null; do sleep 0.1; i=$((i + 1)); done  # 0.3 s: generators run for seconds
  if pgrep -f "$scratch" >/dev/null; then
    echo "FAIL: children outlived tune after SIG$1:"; pgrep -af "$scratch"
    for p in $(pgrep -f "$scratch"); do kill -9 "$p"; done  # this test's own scratch path only
    exit 1
  fi
  echo "after SIG$1: no child left, $(ls "$TMPDIR" | grep -c '^micronet-tune-') scratch folder(s) left"
}

interrupt INT
interrupt KILL
# The next run (one more measurement) removes the dead run's folder, then its own.
"$tune" --kernel gconv_c144x32_g4 --budget 1 --strategy random --no-baselines --db "$work/db2.jsonl" >"$work/log2" 2>&1 ||
  { echo "FAIL: the next run failed"; cat "$work/log2"; exit 1; }
left=$(ls "$TMPDIR" | grep -c '^micronet-tune-')
if [ "$left" -ne 0 ]; then echo "FAIL: $left scratch folder(s) left after the next run"; ls "$TMPDIR"; exit 1; fi
echo "OK: the next run removed them"
rm -rf "$work"
