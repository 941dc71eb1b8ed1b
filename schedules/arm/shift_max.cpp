// ARM schedule of the Dynamic Shift-Max hyper-function: tiny next to the conv, each stage
// computed once before the fusion, FC2 in axpy order over its contiguous outputs j (as on
// x86, where it took FC2 from 12-15 us to 1 us at C=256; not timed on ARM hardware).
#include "schedules/schedule.h"

namespace micronet::sched::arm {

void schedule_shift_max(gen::EpilogueStages& e, const Halide::Target& t) {
  const int V = t.natural_vector_size<float>();
  e.pooled.compute_root();
  e.hidden.compute_root();
  const Halide::Var j = e.fc2.args()[0];
  e.fc2.compute_root().vectorize(j, V, Halide::TailStrategy::GuardWithIf);
  e.fc2.update().reorder(j, e.fc2_r.x).vectorize(j, V, Halide::TailStrategy::GuardWithIf);
  e.coef.compute_root().vectorize(e.coef.args()[0], V, Halide::TailStrategy::GuardWithIf);
}

}  // namespace micronet::sched::arm
