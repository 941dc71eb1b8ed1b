// x86 schedule of the Dynamic Shift-Max hyper-function. It is tiny (C*S + S*2KC MACs per
// image) next to the conv, so each stage is simply computed once, before the fusion.
#include "schedules/schedule.h"

namespace micronet::sched::x86 {

void schedule_shift_max(gen::EpilogueStages& e, const Halide::Target& t) {
  const int V = t.natural_vector_size<float>();
  e.pooled.compute_root();
  e.hidden.compute_root();
  e.coef.compute_root().vectorize(e.coef.args()[0], V, Halide::TailStrategy::GuardWithIf);
}

}  // namespace micronet::sched::x86
