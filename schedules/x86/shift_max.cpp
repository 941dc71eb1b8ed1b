// x86 schedule of the Dynamic Shift-Max hyper-function: per image a pool over the conv
// result, FC1 (C x S) and FC2 (S x 2KC). FC2 is the big one (e.g. 127K MACs for C=720,
// K=2, S=44): left to Halide's default it ran as a scalar dot product per coefficient, so
// FC2 runs in "axpy" order, vectorized over its outputs j: the runtime stores fc2_w
// transposed (j contiguous), so each s is one dense vector pass over j.
// The pool reads the whole conv result (`channels` planes) once; with `pool_tasks_of` > 0 it
// is a parallel loop over tasks of that many channels. The depthwise layers' pools gain on
// two cores (M2's dwsep_c16_e2x2_k3s1, 28x28: 34 -> 23 us). The group convs pool one group's
// channels per task: the pool's threads own blocks of indices (runtime/threading.h), so task
// g runs where group g of the conv was computed and finds it in that core's L2 (M2's
// Shift-Max group convs summed, two threads: 203 -> 184 us, one thread the same; tasks of
// 16 channels under the earlier shared-counter pool gained nothing and cost ~10% on one).
#include "schedules/schedule.h"

namespace micronet::sched::x86 {

void schedule_shift_max(gen::EpilogueStages& e, const Halide::Target& t, int pool_tasks_of,
                        int channels) {
  using namespace Halide;
  const int V = t.natural_vector_size<float>();
  const TailStrategy guard = TailStrategy::GuardWithIf;
  e.pooled.compute_root();
  if (pool_tasks_of > 0) {
    // Only pools of 8K values and more (M2 at 224x224: all of them): on the small planes of
    // small inputs (a 64x64 image's 4x4..8x8) the tasks cost more than they share.
    Expr values = channels;
    for (int d = 0; d < e.pool_r.dimensions(); ++d) values *= e.pool_r[d].extent();
    Var c = e.pooled.args()[0], co("co"), ci("ci");
    e.pooled.update().specialize(values >= 8192).split(c, co, ci, pool_tasks_of, guard).parallel(co);
  }
  e.hidden.compute_root();
  e.fc2.compute_root().vectorize(e.fc2.args()[0], V, guard);
  e.fc2.update().reorder(e.fc2.args()[0], e.fc2_r.x).vectorize(e.fc2.args()[0], V, guard);
  e.coef.compute_root().vectorize(e.coef.args()[0], V, guard);
}

}  // namespace micronet::sched::x86
