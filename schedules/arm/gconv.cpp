// ARM (NEON, AArch64) schedule of the 1x1 group conv kernel.
//
// Same structure as x86: a register tile of `tile_vectors` x 4-lane vectors of positions
// times `oc_block` output channels of one group, each input vector reused by every channel
// of the block. AArch64 has 32 q registers, so the default block is twice x86's:
// 2 vectors x 8 channels = 16 accumulators + 2 inputs + broadcast weights.
#include "schedules/arm/common.h"
#include "schedules/knob_space.h"
#include "schedules/schedule.h"

namespace micronet::sched::arm {

using namespace Halide;

KnobSpace gconv_space(const ConvShape& sh, const Target& /*t*/) {
  const int cout_pg = sh.out_channels / sh.groups;
  KnobSpace s;
  s.define("tile_vectors", {1, 2, 3, 4}, 2, "spatial positions per register tile, in vectors");
  s.define("oc_block", {1, 2, 4, 8}, 8,
           "cap on output channels per register tile (the largest divisor of the group's channels)");
  s.define("parallel", {0, 1}, 1, "groups as parallel tasks");
  // NEON has 32 q registers: accumulators + an input and a weight vector must fit.
  s.require("accumulators + 2 operand vectors must fit the 32 NEON registers", [=](const Knobs& k) {
    return k.get("tile_vectors", 1) * std::min(cout_pg, k.get("oc_block", 1)) + 2 <= 32;
  });
  return s;
}

void schedule_gconv(GconvStages& s, const ConvShape& sh, const Target& t, const Knobs& tuned) {
  const Knobs k = arm::gconv_space(sh, t).resolve(tuned);
  const int V = t.natural_vector_size<float>();
  const int cout_pg = sh.out_channels / sh.groups;
  const int tile = V * k.get("tile_vectors", 2);
  const int ob = largest_divisor_at_most(cout_pg, k.get("oc_block", 8));
  const bool par = k.get("parallel", 1) != 0;
  const TailStrategy guard = TailStrategy::GuardWithIf;

  Var io("io"), ii("ii"), oco("oco"), oci("oci");
  auto tile_loops = [&](Func f) {
    f.split(s.oi, oco, oci, ob)
        .split(s.i, io, ii, tile, guard)
        .reorder(ii, oci, io, oco, s.gi, s.n)
        .vectorize(ii, V, guard)
        .unroll(oci);
    if (par) f.parallel(s.gi);
  };
  auto accumulate_in_registers = [&](Func consumer) {
    // At most one tile of positions: a fixed size keeps the block on the stack (planes
    // smaller than a tile otherwise sized it by the plane, a heap allocation per tile).
    s.acc.compute_at(consumer, io).bound_storage(s.i, tile).vectorize(s.i, V, guard).unroll(s.oi);
    s.acc.update().reorder(s.i, s.oi, s.r).vectorize(s.i, V, guard).unroll(s.oi);
  };

  if (!sh.conv_at_root()) {
    tile_loops(s.output);
    accumulate_in_registers(s.output);
    return;
  }
  s.zg.compute_root();
  tile_loops(s.zg);
  accumulate_in_registers(s.zg);
  s.output.split(s.i, io, ii, V, guard).vectorize(ii);
  if (par) s.output.parallel(s.gi);
  if (sh.act == gen::kActShiftMax) schedule_shift_max(s.epi, t);
}

}  // namespace micronet::sched::arm
