// ARM schedule of the Dynamic Shift-Max hyper-function: tiny next to the conv, each stage
// computed once before the fusion (as on x86).
#include "schedules/schedule.h"

namespace micronet::sched::arm {

void schedule_shift_max(gen::EpilogueStages& e, const Halide::Target& t) {
  const int V = t.natural_vector_size<float>();
  e.pooled.compute_root();
  e.hidden.compute_root();
  e.coef.compute_root().vectorize(e.coef.args()[0], V, Halide::TailStrategy::GuardWithIf);
}

}  // namespace micronet::sched::arm
