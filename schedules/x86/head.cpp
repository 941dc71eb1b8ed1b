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
  const TailStrategy guard = TailStrategy::GuardWithIf;
  Var oo("oo"), oi("oi");

  s.pooled.compute_root();
  s.pooled.update().reorder(s.pool_r, s.c);

  // fc1 feeds every fc2 output, so it is stored whole; its update walks inputs in the
  // middle loop and a block of outputs innermost.
  s.fc1.compute_root().vectorize(s.o, V, guard);
  s.fc1.update()
      .split(s.o, oo, oi, block, guard)
      .reorder(oi, s.fc1_r, oo)
      .vectorize(oi, V, guard);

  s.output.split(s.o, oo, oi, block, guard).vectorize(oi, V, guard);
  s.fc2.compute_at(s.output, oo).vectorize(s.o, V, guard);
  s.fc2.update().reorder(s.o, s.fc2_r).vectorize(s.o, V, guard);
}

}  // namespace micronet::sched::x86
