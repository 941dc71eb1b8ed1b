mb=build-gpu/bin/micronet-before; mn=build-gpu/bin/micronet; O=$OUT/r3; mkdir -p $O
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader > $O/device.txt; cat $O/device.txt
for m in m0 m3; do $mn check --target cuda build-gpu/cases/$m.cases.safetensors > $O/check_$m.txt 2>&1; echo "check $m rc=$?"; tail -2 $O/check_$m.txt; done
for r in 1 2; do for m in m0 m1 m2 m3; do for b in 1 64; do t=1; [ $b = 64 ] && t=16; for v in before after; do exe=$mn; [ $v = before ] && exe=$mb
$exe bench --arch $m --target cuda --batch $b --threads $t --iters 50 --json > $O/bench_${m}_b${b}_${v}_r$r.json 2>/dev/null || echo "bench $m $b $v failed"; done; done; done; done
for m in m0 m3; do $mn bench --arch $m --target cuda --batch 1 --iters 5 --profile 2> $O/profile_${m}_b1_after.txt >/dev/null; $mb bench --arch $m --target cuda --batch 1 --iters 5 --profile 2> $O/profile_${m}_b1_before.txt >/dev/null; done
python3 - $O <<'PY'
import json,sys,glob
O=sys.argv[1]
print("| model | batch | before r1 | before r2 | after r1 | after r2 |")
for m in ["m0","m1","m2","m3"]:
  for b in [1,64]:
    row=[]
    for v in ["before","after"]:
      for r in [1,2]:
        try: row.append("%.3f"%json.load(open(f"{O}/bench_{m}_b{b}_{v}_r{r}.json"))["median_ms"])
        except Exception as e: row.append("fail")
    print(f"| {m} | {b} | "+" | ".join(row)+" |")
PY
mkdir -p $O/mine; for m in m0 m1 m2 m3; do for b in 1 64; do cp $O/bench_${m}_b${b}_after_r2.json $O/mine/bench_${m}_b$b.json; done; done
python3 bench/torch_gpu_bench.py --models m0,m1,m2,m3 --batches 1,64 --iters 50 --json $O/torch.json --micronet-json $O/mine/*.json 2>/dev/null | tee $O/table.md
for m in m0 m3; do tail -1 $O/profile_${m}_b1_before.txt $O/profile_${m}_b1_after.txt; done
tar czf $OUT/r3.tgz -C $OUT r3; rm -rf $O
