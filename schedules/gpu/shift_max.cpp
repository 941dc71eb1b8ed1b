// GPU schedule of the Dynamic Shift-Max hyper-function: three small device stages (one
// thread per pooled channel summing its plane, one per hidden unit, one per coefficient),
// blocks over images. Tiny next to the conv; it only has to stay on the device.
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

}  // namespace micronet::sched::gpu
