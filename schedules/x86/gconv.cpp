// x86 schedule of the 1x1 group conv kernel, and its tuning space.
//
// The conv accumulates a tile of `tile` spatial positions x `oc_block` output channels
// of one group in registers: each input vector loaded for a group is reused by all
// oc_block output channels (the reason the algorithm indexes the conv by group).
// Defaults: tile = 2 vectors, oc_block = 4 -> 8 accumulators, within AVX2's 16 ymm.
#include "schedules/knob_space.h"
#include "schedules/schedule.h"
#include "schedules/x86/common.h"

namespace micronet::sched::x86 {

using namespace Halide;

KnobSpace gconv_space(const ConvShape& sh, const Target& t) {
  const int cout_pg = sh.out_channels / sh.groups;
  const int cin_pg = sh.in_channels / sh.groups;
  const int regs = vector_registers(t);
  KnobSpace s;
  s.define("tile_vectors", {1, 2, 3, 4, 6, 8}, 2,
           "spatial positions per register tile, in vectors");
  s.define("oc_block", {1, 2, 3, 4, 6, 8, 12, 16}, largest_divisor_at_most(cout_pg, 4),
           "output channels of one group per register tile");
  s.define("half_vectors", {0, 1}, 0,
           "1: vectors of half the native width (8 floats on AVX-512), twice as many registers' worth");
  s.define("r_unroll", {1, 2, 4}, 1, "input channels per unrolled step of the reduction");
  s.define("tiles_outer", {0, 1}, 0,
           "0: all position tiles of a channel block, then the next block (weights stay in "
           "registers' reach); 1: all channel blocks of a position tile (inputs stay in L1)");
  s.require("oc_block must divide the output channels per group (" + std::to_string(cout_pg) + ")",
            [=](const Knobs& k) { return cout_pg % k.get("oc_block", 1) == 0; });
  s.require("accumulators + 2 operand vectors must fit the " + std::to_string(regs) +
                " vector registers",
            [=](const Knobs& k) { return k.get("tile_vectors", 1) * k.get("oc_block", 1) + 2 <= regs; });
  s.require("r_unroll must not exceed the input channels per group (" + std::to_string(cin_pg) + ")",
            [=](const Knobs& k) { return k.get("r_unroll", 1) <= cin_pg; });
  return s;
}

void schedule_gconv(GconvStages& s, const ConvShape& sh, const Target& t, const Knobs& tuned) {
  const Knobs k = x86::gconv_space(sh, t).resolve(tuned);
  const int V = std::max(4, t.natural_vector_size<float>() >> k.get("half_vectors", 0));
  const int cout_pg = sh.out_channels / sh.groups;
  const int tile = V * k.get("tile_vectors", 2);
  const int ob = largest_divisor_at_most(cout_pg, k.get("oc_block", 4));
  const int ru = k.get("r_unroll", 1);
  const bool tiles_outer = k.get("tiles_outer", 0) != 0;
  const bool par = true;  // groups are the parallel loop (a no-op at one thread)

  Var io("io"), ii("ii"), oco("oco"), oci("oci");
  auto order = [&](auto& f) {
    if (tiles_outer)
      f.reorder(ii, oci, oco, io, s.gi, s.n);
    else
      f.reorder(ii, oci, io, oco, s.gi, s.n);
  };
  // The tiles of `f`: `tile` positions x `ob` channels of one group. With a constant tile
  // (ShiftInwards: the last tile overlaps its neighbour) the accumulator block is a fixed
  // set of registers and each input vector is loaded once for all `ob` channels; a
  // guarded (variable) tile made LLVM keep the block in memory and reload the input per
  // channel (measured 3-4x slower on 7x7 layers). Planes smaller than a tile take the
  // guarded fallback.
  auto tile_loops = [&](Func f, TailStrategy tail) {
    f.split(s.oi, oco, oci, ob).split(s.i, io, ii, tile, tail);
    order(f);
    f.vectorize(ii, V, TailStrategy::GuardWithIf).unroll(oci);
    if (par) f.parallel(s.gi);
  };
  // The accumulator block's reduction: one input vector per step, FMA'd into `ob` channels.
  auto accumulate = [&](Stage update, int width) {
    if (ru > 1) {
      RVar ro("ro"), ri("ri");
      update.split(s.r.x, ro, ri, ru, TailStrategy::GuardWithIf).reorder(s.i, s.oi, ri, ro).unroll(ri);
    } else {
      update.reorder(s.i, s.oi, s.r);
    }
    update.vectorize(s.i, width, TailStrategy::GuardWithIf).unroll(s.oi);
  };
  auto schedule_tiles = [&](Func f) {
    // specialize() copies the schedule so far: take it before scheduling the fallback.
    Stage big = f.specialize(s.spatial_extent >= tile);
    big.split(s.oi, oco, oci, ob).split(s.i, io, ii, tile, TailStrategy::ShiftInwards);
    order(big);
    big.vectorize(ii, V).unroll(oci);
    if (par) big.parallel(s.gi);
    // Planes narrower than one vector (the 2x2 planes of a 64x64 input): 4-float vectors.
    // V-wide ones ran no vector iteration and did all positions in the scalar tail (M0's
    // gconv_c256x96_g8_sm2x1q12 at 2x2: 7.2 -> 2.1 us).
    const Expr narrow = s.spatial_extent < V;
    if (V > 4) {
      Stage small = f.specialize(narrow);
      small.split(s.oi, oco, oci, ob).split(s.i, io, ii, 4, TailStrategy::GuardWithIf);
      order(small);
      small.vectorize(ii, 4, TailStrategy::GuardWithIf).unroll(oci);
      if (par) small.parallel(s.gi);
    }
    tile_loops(f, TailStrategy::GuardWithIf);
    // At most one tile of positions: a fixed size keeps the accumulator block on the stack.
    // Planes smaller than a tile left its size to the plane, so it was heap-allocated once per
    // tile (M0's 2x2 group convs at 64x64: 128 halide_malloc/free pairs per call, a third of
    // the kernel's time in Halide's profiler).
    s.acc.compute_at(f, io).bound_storage(s.i, tile);
    if (V > 4) {
      s.acc.specialize(narrow).vectorize(s.i, 4, TailStrategy::GuardWithIf).unroll(s.oi);
      accumulate(s.acc.update().specialize(narrow), 4);
    }
    s.acc.vectorize(s.i, V, TailStrategy::GuardWithIf).unroll(s.oi);
    accumulate(s.acc.update(), V);
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
  // The pool in tasks of one group, like the conv's loop over groups above (shift_max.cpp).
  if (sh.act == gen::kActShiftMax) schedule_shift_max(s.epi, t, cout_pg, sh.out_channels);
}

}  // namespace micronet::sched::x86
