// ARM (NEON) schedule of the head: like x86, each Linear streams transposed weight rows
// into a block of outputs held in registers; with 32 q registers the default block is
// 8 vectors (32 outputs).
#include "schedules/knob_space.h"
#include "schedules/schedule.h"

namespace micronet::sched::arm {

using namespace Halide;

KnobSpace head_space(int /*in_channels*/, int /*hidden*/, int /*classes*/, const Target& /*t*/) {
  KnobSpace s;
  s.define("fc_vectors", {1, 2, 4, 8, 16}, 8, "outputs per parallel block, in vectors");
  s.define("parallel", {0, 1}, 1, "output blocks as parallel tasks");
  return s;
}

void schedule_head(HeadStages& s, int in_channels, int hidden, int classes, const Target& t,
                   const Knobs& tuned) {
  const Knobs k = arm::head_space(in_channels, hidden, classes, t).resolve(tuned);
  const int V = t.natural_vector_size<float>();
  const int block = V * k.get("fc_vectors", 8);
  const bool par = k.get("parallel", 1) != 0;
  const TailStrategy guard = TailStrategy::GuardWithIf;
  Var oo("oo"), oi("oi");

  s.pooled.compute_root();
  s.pooled.update().reorder(s.pool_r, s.c);

  s.act1.compute_root().split(s.o, oo, oi, block, guard).vectorize(oi, V, guard);
  if (par) s.act1.parallel(oo);
  s.fc1.compute_at(s.act1, oo).vectorize(s.o, V, guard);
  s.fc1.update().reorder(s.o, s.fc1_r).vectorize(s.o, V, guard);

  s.output.split(s.o, oo, oi, block, guard).vectorize(oi, V, guard);
  if (par) s.output.parallel(oo);
  s.fc2.compute_at(s.output, oo).vectorize(s.o, V, guard);
  s.fc2.update().reorder(s.o, s.fc2_r).vectorize(s.o, V, guard);
}

}  // namespace micronet::sched::arm
