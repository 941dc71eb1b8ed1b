// Threads of the CPU runtime. One pool for everything: Halide's own thread pool, sized by
// set_worker_threads(). A model run uses it in one of two ways (HalideModel::run picks):
//   * intra-kernel: each kernel's parallel loops spread over the pool (one image at a time);
//   * image tasks: the batch split into images, each image a task on the pool that runs the
//     whole network on one thread, its kernels' parallel loops inline (InlineKernelLoops):
//     that image's activations stay in that core's cache, and no kernel waits for others.
// Halide's parallel loops all go through halide_do_par_for, which this file replaces (once,
// process-wide) by a handler that runs the loop inline on threads inside an
// InlineKernelLoops scope and hands every other loop to Halide's default pool.
#pragma once

#include <functional>

namespace micronet {

// CPUs this process may run on (sched_getaffinity; at least 1).
int available_cpus();

// Sets Halide's pool (process-wide) to min(requested, available_cpus()) threads, the caller
// included, and returns that count: threads beyond the CPUs only take turns on them.
// requested <= 0: the default (HL_NUM_THREADS when set, else available_cpus()).
int set_worker_threads(int requested);
// The count set last (the default until set_worker_threads is called).
int worker_threads();

// While one lives on a thread, Halide kernels called from that thread run their parallel
// loops inline, in order, on that thread. Scopes nest.
class InlineKernelLoops {
 public:
  InlineKernelLoops();
  ~InlineKernelLoops();
  InlineKernelLoops(const InlineKernelLoops&) = delete;
  InlineKernelLoops& operator=(const InlineKernelLoops&) = delete;
  static bool active();  // on this thread
};

// Runs fn(0) .. fn(n - 1) as tasks on Halide's pool, the calling thread taking part, and
// returns when all are done. Tasks are claimed in index order. When a task throws, tasks
// numbered after it are skipped (those before it still run) and the exception of the
// lowest-numbered failing task is rethrown. Called inside an InlineKernelLoops scope, or while
// the pool runs another caller's loop, the tasks run inline on the calling thread, in order.
void run_tasks(int n, const std::function<void(int)>& fn);

}  // namespace micronet
