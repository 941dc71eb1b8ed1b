// x86 schedule of the head. At batch 1 the two Linear layers stream 3.6-7.6 MB of weights
// once per image: memory-bound. Weights are stored transposed (output index contiguous) so
// the loop over inputs streams rows of `block` outputs whose accumulators stay in registers.
#include "schedules/schedule.h"

namespace micronet::sched::x86 {

using namespace Halide;

void schedule_head(HeadStages& s, int /*in_channels*/, int /*hidden*/, int /*classes*/,
                   const Target& t, const Knobs& k) {
  const int V = t.natural_vector_size<float>();
  const int block = V * k.get("fc_vectors", 4);
  const bool par = k.get("parallel", 1) != 0;
  const TailStrategy guard = TailStrategy::GuardWithIf;
  Var oo("oo"), oi("oi");

  s.pooled.compute_root();
  s.pooled.update().reorder(s.pool_r, s.c);

  // Each Linear: its consumer walks blocks of `block` outputs; a block's accumulators live
  // in registers while the loop over inputs streams the weight rows.
  s.act1.compute_root().split(s.o, oo, oi, block, guard).vectorize(oi, V, guard);
  if (par) s.act1.parallel(oo);
  s.fc1.compute_at(s.act1, oo).vectorize(s.o, V, guard);
  s.fc1.update().reorder(s.o, s.fc1_r).vectorize(s.o, V, guard);

  s.output.split(s.o, oo, oi, block, guard).vectorize(oi, V, guard);
  if (par) s.output.parallel(oo);
  s.fc2.compute_at(s.output, oo).vectorize(s.o, V, guard);
  s.fc2.update().reorder(s.o, s.fc2_r).vectorize(s.o, V, guard);
}

}  // namespace micronet::sched::x86
