#!/bin/sh
# A deliberately wrong "generator" for test_harness: it runs the real generator
# ($MICRONET_REAL_GENERATORS/<name>), but for every candidate with knobs set it turns the
# kernel's plain output (act=0) into ReLU6 (act=1): the same signature, wrong results.
# The default candidate (a knob file with no knobs) compiles unchanged.
name=$(basename "$0")
knobs=""
for arg do
  case "$arg" in tuning_file=*) knobs=$(cut -d' ' -f3- "${arg#tuning_file=}") ;; esac
done
for arg do
  shift
  if [ -n "$knobs" ] && [ "$arg" = "act=0" ]; then arg="act=1"; fi
  set -- "$@" "$arg"
done
exec "$MICRONET_REAL_GENERATORS/$name" "$@"
