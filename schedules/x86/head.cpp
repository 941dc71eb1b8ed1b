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
  s.define("r_tasks", {1, 2, 4, 8}, 4,
           "parallel blocks of the inputs, each streaming its own rows of the weights");
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

  // At batch 1 the weight stream is the whole cost, and one core cannot pull it from L3 as
  // fast as two. The rows (inputs) are cut into `r_tasks` contiguous blocks, each a
  // parallel task that sums its block into partial outputs (rfactor), then one pass adds
  // the partials. Every task streams one contiguous stretch of the weights, as one thread
  // does (slicing the outputs instead made each task read short strided pieces of every row:
  // slower on one thread). M2's head in the model (`bench --profile`): 0.088 ms on one thread,
  // 0.057 on two; before, 0.083-0.093 and 0.079-0.104 (no parallel loop).
  const int tasks = k.get("r_tasks", 4);
  auto linear = [&](Func f, RDom r, int inputs) {
    f.compute_root().vectorize(s.o, V, guard);
    RVar ro("ro"), ri("ri");
    auto stream = [&](Stage u) {
      u.split(r.x, ro, ri, rows, TailStrategy::GuardWithIf)
          .reorder(ri, s.o, ro)
          .vectorize(s.o, V, guard)
          .unroll(ri);
    };
    const int block = (inputs + tasks - 1) / tasks;
    if (tasks <= 1 || block < rows) {
      stream(f.update());
      return;
    }
    RVar rto("rto"), rti("rti");
    Var blk("blk");
    Func partial = f.update().split(r.x, rto, rti, block, TailStrategy::GuardWithIf).rfactor(rto, blk);
    f.update().vectorize(s.o, V, guard);
    partial.compute_root().vectorize(s.o, V, guard);
    partial.update()
        .split(rti, ro, ri, rows, TailStrategy::GuardWithIf)
        .reorder(ri, s.o, ro, blk)
        .vectorize(s.o, V, guard)
        .unroll(ri)
        .parallel(blk);
  };
  linear(s.fc1, s.fc1_r, in_channels);
  linear(s.fc2, s.fc2_r, hidden);
  s.output.vectorize(s.o, V, guard);
}

}  // namespace micronet::sched::x86
