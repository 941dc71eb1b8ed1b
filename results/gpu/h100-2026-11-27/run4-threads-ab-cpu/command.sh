mn=build-gpu/bin/micronet; O=$OUT/r4; mkdir -p $O
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee $O/device.txt; nproc
$mn check --target cuda build-gpu/cases/m0.cases.safetensors > $O/check_m0.txt 2>&1; echo "check m0 rc=$?"; tail -1 $O/check_m0.txt
ms() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print('%.3f ms threads %d %s' % (d['median_ms'], d['threads'], d.get('device_input','')))" "$1"; }
echo "== cuda staging threads (median of 50 calls, ms)"
for r in 1 2; do for m in m0 m3; do for t in 1 2 4 8 16 default; do
  f=$O/cuda_${m}_b64_t${t}_r$r.json; if [ $t = default ]; then $mn bench --arch $m --target cuda --batch 64 --iters 50 --json > $f 2>/dev/null; else $mn bench --arch $m --target cuda --batch 64 --threads $t --iters 50 --json > $f 2>/dev/null; fi
  echo "r$r $m b64 t=$t: $(ms $f)"; done; done
for m in m0 m3; do for t in 1 default; do f=$O/cuda_${m}_b1_t${t}_r$r.json
  if [ $t = default ]; then $mn bench --arch $m --target cuda --batch 1 --iters 100 --json > $f 2>/dev/null; else $mn bench --arch $m --target cuda --batch 1 --threads 1 --iters 100 --json > $f 2>/dev/null; fi
  echo "r$r $m b1 t=$t: $(ms $f)"; done; done; done
echo "== batch 1 A/B: before = HEAD 8e4d539 (three-stage Shift-Max), after = fused for group convs <= 96 channels"
for r in 1 2; do for m in m0 m1 m2 m3; do for v in before after; do exe=$mn; [ $v = before ] && exe=build-gpu/bin/micronet-before
  f=$O/ab_${m}_b1_${v}_r$r.json; $exe bench --arch $m --target cuda --batch 1 --threads 1 --iters 100 --json > $f 2>/dev/null; echo "r$r $m b1 $v: $(ms $f)"; done; done; done
$mn bench --arch m0 --target cuda --batch 1 --iters 5 --profile 2> $O/profile_m0_b1_after.txt > /dev/null; tail -n 1 $O/profile_m0_b1_after.txt
echo "== CPU batch 1, M3 and M0, execution forced (images/s from median)"
for r in 1 2; do for m in m3 m0; do for e in auto tasks loops; do for t in 1 2 4; do
  f=$O/cpu_${m}_${e}_t${t}_r$r.json
  if [ $e = auto ]; then $mn bench --arch $m --batch 1 --threads $t --iters 100 --json > $f 2>/dev/null; else MICRONET_EXECUTION=$e $mn bench --arch $m --batch 1 --threads $t --iters 100 --json > $f 2>/dev/null; fi
  echo "r$r $m $e t=$t: $(ms $f)"; done; done; done; done
tar czf $OUT/r4.tgz -C $OUT r4; rm -rf $O
