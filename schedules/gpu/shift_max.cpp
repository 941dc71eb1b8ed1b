// GPU schedules of the Dynamic Shift-Max hyper-function (the pooled sums, the hidden units,
// the coefficients). Two ways, picked per kernel by the gconv knob `fuse_shift_max`:
//
// schedule_shift_max: three separate stages, each over several thread blocks: a thread per
//   pooled channel summing its plane, one per hidden unit, one per coefficient (pooled and
//   hidden each an init and an update launch: 5 launches and 3 device buffers).
// schedule_shift_max_fused: one launch, a thread block per image, the stages one after
//   another on the block's threads, pooled sums and hidden units in shared memory; the
//   pooled sums shared by `lanes` threads per channel (rfactor) instead of one. Measured on
//   an H100 at batch 1 (results/gpu/h100-2026-11-27/README.md, "Shift-Max in one launch"): M0's early group convs
//   (8-16 channels, 56x56 .. 14x14 planes) 131 -> 30 us, 59 -> 27 us, 46 -> 29 us; but with
//   hundreds of channels, and on every depthwise step, one block per image is too little
//   parallelism (M3's depthwise steps 2-3x slower), so it is used for group convs with at
//   most 96 channels only.
#include <algorithm>

#include "schedules/gpu/common.h"
#include "schedules/schedule.h"

namespace micronet::sched::gpu {

void schedule_shift_max(gen::EpilogueStages& e, const Halide::Target& /*t*/) {
  for (Halide::Func f : {e.pooled, e.hidden}) {
    const Halide::Var v = f.args()[0], n = f.args()[1];
    f.compute_root();
    launch_1d(f, v, 32, n);
    launch_1d(f.update(), v, 32, n);
  }
  const Halide::Var j = e.coef.args()[0], n = e.coef.args()[1];
  e.coef.compute_root();
  launch_1d(e.coef, j, 64, n);
}

void schedule_shift_max_fused(gen::EpilogueStages& e) {
  using namespace Halide;
  constexpr int kThreads = 128;
  const TailStrategy guard = TailStrategy::GuardWithIf;
  const Var j = e.coef.args()[0], n = e.coef.args()[1];
  Var jo("jo"), ji("ji");
  e.coef.compute_root().split(j, jo, ji, kThreads, guard).reorder(ji, jo, n).gpu_blocks(n).gpu_threads(ji);

  // Pooled sums in two steps. A thread per channel summing its whole plane was the slowest
  // part of the early layers (a 56x56 plane: 3136 dependent adds, loads strided a plane
  // apart across the warp): now `lanes` threads share a channel's plane, consecutive threads
  // reading consecutive positions, into partial sums (rfactor), and a thread per channel
  // adds its lanes. The partial sums of all channels stay in shared memory: at most 8192
  // floats (32 KiB).
  const int channels = int(*as_const_int(e.fc1_r.x.extent()));
  const int lanes = std::clamp(8192 / channels, 1, 32);
  const int per_pass = std::max(1, kThreads / lanes);  // channels summed at once
  const Var c = e.pooled.args()[0];
  RVar ro("pool_ro"), ri("pool_ri");
  Var u("u"), co("co"), ci("ci"), uc("uc");
  Func partial = e.pooled.update().split(e.pool_r[0], ro, ri, lanes).rfactor(ri, u);
  partial.compute_at(e.coef, n)
      .split(c, co, ci, per_pass, guard)
      .reorder(u, ci, co, n)
      .fuse(u, ci, uc)
      .gpu_threads(uc);
  std::vector<VarOrRVar> order = {ro};
  for (int d = 1; d < e.pool_r.dimensions(); ++d) order.emplace_back(e.pool_r[d]);
  for (const VarOrRVar& v : {VarOrRVar(u), VarOrRVar(ci), VarOrRVar(co), VarOrRVar(n)}) order.push_back(v);
  partial.update().split(c, co, ci, per_pass, guard).reorder(order).fuse(u, ci, uc).gpu_threads(uc);

  // A per-image stage at the block level: its pure definition and its reduction both a
  // thread per element (kThreads-wide passes), the reduction's loop serial inside a thread.
  auto per_block = [&](Func f, const std::vector<RVar>& r) {
    const Var v = f.args()[0];
    Var vo, vi;
    f.compute_at(e.coef, n).split(v, vo, vi, kThreads, guard).reorder(vi, vo).gpu_threads(vi);
    std::vector<VarOrRVar> inner(r.begin(), r.end());
    inner.emplace_back(vi);
    inner.emplace_back(vo);
    f.update().split(v, vo, vi, kThreads, guard).reorder(inner).gpu_threads(vi);
  };
  per_block(e.pooled, {ri});  // after rfactor its update sums the lanes
  per_block(e.hidden, {e.fc1_r.x});
}

}  // namespace micronet::sched::gpu
