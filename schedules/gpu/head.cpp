// GPU schedule of the head: pooling one thread per channel; each Linear one thread per
// output (weights stored transposed, so neighbouring threads read neighbouring weights:
// coalesced), the reduction over inputs serial in the thread; blocks over output tiles
// and images.
#include "schedules/gpu/common.h"
#include "schedules/knob_space.h"
#include "schedules/schedule.h"

namespace micronet::sched::gpu {

using namespace Halide;

KnobSpace head_space(int /*in_channels*/, int /*hidden*/, int /*classes*/, const Target& /*t*/) {
  KnobSpace s;
  s.define("threads", {32, 64, 128, 256}, 64, "outputs per thread block");
  return s;
}

void schedule_head(HeadStages& s, int in_channels, int hidden, int classes, const Target& t,
                   const Knobs& tuned) {
  const Knobs k = gpu::head_space(in_channels, hidden, classes, t).resolve(tuned);
  const int threads = k.get("threads", 64);
  s.pooled.compute_root();
  launch_1d(s.pooled, s.c, 32, s.n);
  launch_1d(s.pooled.update(), s.c, 32, s.n);

  Var oo("oo"), oi("oi");
  s.act1.compute_root().split(s.o, oo, oi, threads, TailStrategy::GuardWithIf)
      .gpu_blocks(oo, s.n).gpu_threads(oi);
  s.fc1.compute_at(s.act1, oi);
  s.output.split(s.o, oo, oi, threads, TailStrategy::GuardWithIf)
      .gpu_blocks(oo, s.n).gpu_threads(oi);
  s.fc2.compute_at(s.output, oi);
}

}  // namespace micronet::sched::gpu
