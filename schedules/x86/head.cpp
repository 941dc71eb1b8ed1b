// x86 schedule of the head, and its tuning space. At batch 1 the two Linear layers stream
// 3.6-7.6 MB of weights once per image: memory-bound. Weights are stored transposed (output
// index contiguous), and each Linear runs in "axpy" order: for each group of `fc_rows`
// inputs, one pass over all outputs, so the weight matrix is read as one sequential stream
// (an output-blocked order jumps a 4 KB row per input and measured slower: M3 head 1.44 ->
// 0.82 ms, M0 0.44 -> 0.30 ms on the 2-core Zen 3 dev machine under load, same run).
#include "schedules/knob_space.h"
#include "schedules/schedule.h"

namespace micronet::sched::x86 {

using namespace Halide;

KnobSpace head_space(int /*in_channels*/, int /*hidden*/, int /*classes*/, const Target& t) {
  KnobSpace s;
  s.define("fc_rows", {1, 2, 4, 8, 16}, 4, "inputs folded into one pass over the outputs");
  s.define("o_vector", {4, 8, 16, 32, 64}, t.natural_vector_size<float>(),
           "floats per vector over the outputs (wider than native = several registers per step)");
  return s;
}

void schedule_head(HeadStages& s, int in_channels, int hidden, int classes, const Target& t,
                   const Knobs& tuned) {
  const Knobs k = x86::head_space(in_channels, hidden, classes, t).resolve(tuned);
  const int V = k.get("o_vector", 8);
  const int rows = k.get("fc_rows", 4);
  const TailStrategy guard = TailStrategy::GuardWithIf;

  s.pooled.compute_root();
  s.pooled.update().reorder(s.pool_r, s.c);

  RVar ro("ro"), ri("ri");
  auto linear = [&](Func f, RDom r) {
    f.compute_root().vectorize(s.o, V, guard);
    f.update()
        .split(r.x, ro, ri, rows, TailStrategy::GuardWithIf)
        .reorder(ri, s.o, ro)
        .vectorize(s.o, V, guard)
        .unroll(ri);
  };
  linear(s.fc1, s.fc1_r);
  linear(s.fc2, s.fc2_r);
  s.output.vectorize(s.o, V, guard);
}

}  // namespace micronet::sched::x86
