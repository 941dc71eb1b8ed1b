// GPU schedule (cuda, opencl) of the 1x1 group conv kernel.
//
// One thread computes one position x `oc_block` output channels of a group (accumulators
// in registers, each input value loaded once for the block); a block of threads covers
// `threads_x` consecutive positions (coalesced loads along the contiguous spatial dim)
// times all channel blocks of the group; blocks run over position tiles and
// (group, image) pairs.
#include "schedules/gpu/common.h"
#include "schedules/knob_space.h"
#include "schedules/schedule.h"

namespace micronet::sched::gpu {

using namespace Halide;

namespace {
// oc_block is a cap: the block is its largest divisor of the group's channels, widened
// until at most 32 channel blocks share a thread block (<= 1024 threads).
int channel_block(int cout_pg, int cap) {
  int ob = largest_divisor_at_most(cout_pg, cap);
  while (cout_pg / ob > 32 && ob < cout_pg) ob = largest_divisor_at_most(cout_pg, ob * 2);
  return ob;
}
}  // namespace

KnobSpace gconv_space(const ConvShape& sh, const Target& /*t*/) {
  const int cout_pg = sh.out_channels / sh.groups;
  KnobSpace s;
  s.define("oc_block", {1, 2, 4, 8, 16}, 4, "cap on output channels per thread (registers)");
  s.define("threads_x", {8, 16, 32, 64}, cout_pg / channel_block(cout_pg, 4) > 8 ? 16 : 32,
           "consecutive positions per thread block (coalesced loads)");
  // Shift-Max in one launch per image (shift_max.cpp): pays up to ~100 channels (H100).
  if (sh.act == gen::kActShiftMax)
    s.define("fuse_shift_max", {0, 1}, sh.out_channels <= 96 ? 1 : 0,
             "Shift-Max in one launch, a block per image (1) or three multi-block stages (0)");
  s.require("at most 1024 threads per block", [=](const Knobs& k) {
    return k.get("threads_x", 32) * (cout_pg / channel_block(cout_pg, k.get("oc_block", 4))) <= 1024;
  });
  return s;
}

void schedule_gconv(GconvStages& s, const ConvShape& sh, const Target& t, const Knobs& tuned) {
  const Knobs k = gpu::gconv_space(sh, t).resolve(tuned);
  const int cout_pg = sh.out_channels / sh.groups;
  const int ob = channel_block(cout_pg, k.get("oc_block", 4));
  const int tx = k.get("threads_x", 32);
  const TailStrategy guard = TailStrategy::GuardWithIf;

  Var io("io"), ii("ii"), oco("oco"), oci("oci"), gn("gn");
  auto tile_loops = [&](Func f) {
    f.split(s.oi, oco, oci, ob)
        .split(s.i, io, ii, tx, guard)
        .reorder(oci, ii, oco, io, s.gi, s.n)
        .fuse(s.gi, s.n, gn)
        .unroll(oci)
        .gpu_blocks(io, gn)
        .gpu_threads(ii, oco);
  };
  auto accumulate_in_registers = [&](Func consumer) {
    s.acc.compute_at(consumer, ii).unroll(s.oi);
    s.acc.update().reorder(s.i, s.oi, s.r).unroll(s.oi);
  };

  if (!sh.conv_at_root()) {
    tile_loops(s.output);
    accumulate_in_registers(s.output);
    return;
  }
  s.zg.compute_root();
  tile_loops(s.zg);
  accumulate_in_registers(s.zg);
  Var cn("cn"), og("og");
  s.output.fuse(s.oi, s.gi, og).fuse(og, s.n, cn);
  launch_1d(s.output, s.i, 64, cn);
  if (sh.act == gen::kActShiftMax) {
    if (k.get("fuse_shift_max", 0))
      schedule_shift_max_fused(s.epi);
    else
      schedule_shift_max(s.epi, t);
  }
}

}  // namespace micronet::sched::gpu
