// GPU schedule (cuda, opencl) of the factorized spatial convs (stem, depthwise kx1 + 1xk).
//
// Every stage is a 2-D launch: threads over a `threads_x` x `threads_y` tile of (x, y) of
// one plane, blocks over tiles and (plane, image). The vertical conv `mid` is staged in
// shared memory per block (knob stage_mid, default on): the block first computes the
// ((tx-1)*stride + k) x ty region of `mid` its tile reads, with its own threads, then the k
// horizontal taps read it from shared memory instead of global memory (the separable-blur
// pattern of Halide's GPU apps; k-1 columns of `mid` are recomputed per tile edge).
// stage_mid=0: `mid` is its own launch through global memory (the first version).
// Unmeasured on a real GPU (none was lent to this project yet): correctness is tested on
// PoCL; the knob lets a tuning record turn it off where it does not pay.
#include "schedules/gpu/common.h"
#include "schedules/knob_space.h"
#include "schedules/schedule.h"

namespace micronet::sched::gpu {

using namespace Halide;

KnobSpace spatial_conv_space(const ConvShape& sh, const Target& /*t*/) {
  const int out_w = (sh.est_w + 2 * (sh.kernel / 2) - sh.kernel) / sh.stride + 1;
  const int tx = out_w >= 32 ? 32 : out_w >= 16 ? 16 : 8;
  KnobSpace s;
  s.define("threads_x", {8, 16, 32, 64}, tx, "threads along a row per block");
  s.define("threads_y", {1, 2, 4, 8}, 64 / tx < 1 ? 1 : 64 / tx > 8 ? 8 : 64 / tx,
           "rows per block");
  s.define("stage_mid", {0, 1}, 1, "1: the vertical conv staged in shared memory per block");
  return s;
}

void schedule_spatial_conv(SpatialConvStages& s, const ConvShape& sh, const Target& t,
                           const Knobs& tuned) {
  const Knobs k = gpu::spatial_conv_space(sh, t).resolve(tuned);
  const int tx = k.get("threads_x", 32);
  const int ty = k.get("threads_y", 2);
  const TailStrategy guard = TailStrategy::GuardWithIf;
  // Returns the innermost block variable (where a per-block stage is computed).
  auto tile2d = [&](Func f) {
    Var xo, xi, yo, yi, cn;
    f.split(s.x, xo, xi, tx, guard)
        .split(s.y, yo, yi, ty, guard)
        .fuse(s.c, s.n, cn)
        .reorder(xi, yi, xo, yo, cn)
        .gpu_blocks(xo, yo, cn)
        .gpu_threads(xi, yi);
    return xo;
  };
  Func reader = s.output;  // the stage whose taps read `mid`
  Var reader_block = tile2d(s.output);
  if (sh.conv_at_root()) {
    s.z.compute_root();
    reader_block = tile2d(s.z);
    reader = s.z;
    if (sh.act == gen::kActShiftMax) schedule_shift_max(s.epi, t);
  }
  if (k.get("stage_mid", 1)) {
    // In shared memory, computed by the block's tx x ty threads (x in tx-wide passes).
    Var mxo("mxo"), mxi("mxi");
    s.mid.compute_at(reader, reader_block)
        .split(s.x, mxo, mxi, tx, guard)
        .reorder(mxi, s.y, mxo, s.c, s.n)
        .gpu_threads(mxi, s.y);
  } else {
    s.mid.compute_root();
    tile2d(s.mid);
  }
}

}  // namespace micronet::sched::gpu
