// GPU schedule (cuda, opencl) of the factorized spatial convs (stem, depthwise kx1 + 1xk).
//
// Every stage is a 2-D launch: threads over a `threads_x` x `threads_y` tile of (x, y) of
// one plane, blocks over tiles and (plane, image). The vertical conv `mid` is its own
// launch (computed whole, like x86 does with expansion): each of its values is then read
// by the k horizontal taps from device memory / cache instead of being recomputed.
#include "schedules/gpu/common.h"
#include "schedules/schedule.h"

namespace micronet::sched::gpu {

using namespace Halide;

void schedule_spatial_conv(SpatialConvStages& s, const ConvShape& sh, const Target& t,
                           const Knobs& k) {
  const int out_w = (sh.est_w + 2 * (sh.kernel / 2) - sh.kernel) / sh.stride + 1;
  const int tx = k.get("threads_x", out_w >= 32 ? 32 : out_w >= 16 ? 16 : 8);
  const int ty = k.get("threads_y", 64 / tx < 1 ? 1 : 64 / tx > 8 ? 8 : 64 / tx);
  const TailStrategy guard = TailStrategy::GuardWithIf;
  auto tile2d = [&](Func f) {
    Var xo, xi, yo, yi, cn;
    f.split(s.x, xo, xi, tx, guard)
        .split(s.y, yo, yi, ty, guard)
        .fuse(s.c, s.n, cn)
        .reorder(xi, yi, xo, yo, cn)
        .gpu_blocks(xo, yo, cn)
        .gpu_threads(xi, yi);
  };
  tile2d(s.output);
  if (sh.conv_at_root()) {
    s.z.compute_root();
    tile2d(s.z);
    if (sh.act == gen::kActShiftMax) schedule_shift_max(s.epi, t);
  }
  s.mid.compute_root();
  tile2d(s.mid);
}

}  // namespace micronet::sched::gpu
