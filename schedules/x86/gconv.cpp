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
  const TailStrategy guard = TailStrategy::GuardWithIf;

  Var io("io"), ii("ii"), oco("oco"), oci("oci");
  // The output's tiles: `tile` positions x `ob` channels of one group.
  auto tile_loops = [&](Func f) {
    f.split(s.oi, oco, oci, ob)
        .split(s.i, io, ii, tile, guard)
        .reorder(ii, oci, io, oco, s.gi, s.n)
        .vectorize(ii, V, guard)
        .unroll(oci);
    if (par) f.parallel(s.gi);
  };
  auto accumulate_in_registers = [&](Func consumer) {
    s.acc.compute_at(consumer, io).vectorize(s.i, V, guard).unroll(s.oi);
    s.acc.update().reorder(s.i, s.oi, s.r).vectorize(s.i, V, guard).unroll(s.oi);
  };

  if (!sh.conv_at_root()) {
    tile_loops(s.output);
    accumulate_in_registers(s.output);
    return;
  }
  // Shift-Max pools the whole conv result and reads it at shifted channels: store it.
  s.zg.compute_root();
  tile_loops(s.zg);
  accumulate_in_registers(s.zg);
  s.output.split(s.i, io, ii, V, guard).vectorize(ii);
  if (par) s.output.parallel(s.gi);
  if (sh.act == gen::kActShiftMax) schedule_shift_max(s.epi, t);
}

}  // namespace micronet::sched::x86
