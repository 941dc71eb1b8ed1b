// x86 schedule of the 1x1 group conv kernel.
//
// The conv accumulates a tile of `tile` spatial positions x `oc_block` output channels
// of one group in registers: each input vector loaded for a group is reused by all
// oc_block output channels (the reason the algorithm indexes the conv by group).
// Defaults: tile = 2 vectors, oc_block = 4 -> 8 accumulators, within AVX2's 16 ymm.
#include "schedules/schedule.h"
#include "schedules/x86/common.h"

namespace micronet::sched::x86 {

using namespace Halide;

void schedule_gconv(GconvStages& s, const ConvShape& sh, const Target& t, const Knobs& k) {
  const int V = t.natural_vector_size<float>();
  const int cout_pg = sh.out_channels / sh.groups;
  const int tile = V * k.get("tile_vectors", 2);
  const int ob = largest_divisor_at_most(cout_pg, k.get("oc_block", 4));
  const bool par = k.get("parallel", 1) != 0;

  Var io("io"), ii("ii"), oco("oco"), oci("oci");
  // The tiles of `f`: `tile` positions x `ob` channels of one group. With a constant tile
  // (ShiftInwards: the last tile overlaps its neighbour) the accumulator block is a fixed
  // set of registers and each input vector is loaded once for all `ob` channels; a
  // guarded (variable) tile made LLVM keep the block in memory and reload the input per
  // channel (measured 3-4x slower on 7x7 layers). Planes smaller than a tile take the
  // guarded fallback.
  auto tile_loops = [&](Func f, TailStrategy tail) {
    f.split(s.oi, oco, oci, ob)
        .split(s.i, io, ii, tile, tail)
        .reorder(ii, oci, io, oco, s.gi, s.n)
        .vectorize(ii, V, TailStrategy::GuardWithIf)
        .unroll(oci);
    if (par) f.parallel(s.gi);
  };
  auto schedule_tiles = [&](Func f) {
    // specialize() copies the schedule so far: take it before scheduling the fallback.
    Stage big = f.specialize(s.spatial_extent >= tile);
    big.split(s.oi, oco, oci, ob)
        .split(s.i, io, ii, tile, TailStrategy::ShiftInwards)
        .reorder(ii, oci, io, oco, s.gi, s.n)
        .vectorize(ii, V)
        .unroll(oci);
    if (par) big.parallel(s.gi);
    tile_loops(f, TailStrategy::GuardWithIf);
    s.acc.compute_at(f, io).vectorize(s.i, V, TailStrategy::GuardWithIf).unroll(s.oi);
    s.acc.update()
        .reorder(s.i, s.oi, s.r)
        .vectorize(s.i, V, TailStrategy::GuardWithIf)
        .unroll(s.oi);
  };

  if (!sh.conv_at_root()) {
    schedule_tiles(s.output);
    return;
  }
  // Shift-Max pools the whole conv result and reads it at shifted channels: store it.
  s.zg.compute_root();
  schedule_tiles(s.zg);
  s.output.split(s.i, io, ii, V, TailStrategy::GuardWithIf).vectorize(ii);
  if (par) s.output.parallel(s.gi);
  if (sh.act == gen::kActShiftMax) schedule_shift_max(s.epi, t);
}

}  // namespace micronet::sched::x86
