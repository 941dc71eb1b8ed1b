// Threads of the CPU runtime: one pool of worker threads (the caller plus threads - 1
// workers), sized by set_worker_threads(). A model run uses it in two ways (HalideModel picks,
// execution_plan):
//   * image tasks (run_tasks): each image a task that runs the whole network on one thread,
//     its kernels' parallel loops inline (InlineKernelLoops): that image's activations stay
//     in that core's cache, and no thread waits for another inside a kernel;
//   * kernel loops: one image at a time, each kernel's parallel loops spread over the pool.
// Every parallel loop of every Halide kernel goes through halide_do_par_for, which this file
// replaces once per process: inside an InlineKernelLoops scope the loop runs inline, else on
// the pool. The pool's workers poll for a short while (~300 us) after a loop before they
// sleep: a model issues a parallel loop every few microseconds, and waking a sleeping
// thread costs about as much (Halide's own pool sleeps at once). Each thread owns a block of
// a loop's indices (no shared counter per index: its cache line moving between cores cost
// more than a small kernel's work). One loop runs on the pool at a time; a loop submitted
// meanwhile (another caller's, or one nested in a task) runs inline.
// Halide's own pool is sized alike and serves only halide_do_parallel_tasks (unused by the
// current schedules).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>

namespace micronet {

// CPUs this process may run on (sched_getaffinity; at least 1).
int available_cpus();

// Sets the pool (process-wide) to min(requested, available_cpus()) threads, the caller
// included, and returns that count: threads beyond the CPUs would only take turns on them.
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

// Runs fn(0) .. fn(n - 1) as tasks on the pool, the calling thread taking part, and
// returns when all are done. Each thread owns a contiguous block of the indices (the caller
// the first) and runs it in order, then helps with what is left of the others'. When a task
// throws, tasks numbered after it are skipped (those before it still run) and the exception
// of the lowest-numbered failing task is rethrown. Called inside an InlineKernelLoops scope, or while
// the pool runs another caller's loop, the tasks run inline on the calling thread, in order.
void run_tasks(int n, const std::function<void(int)>& fn);

// Whether one image runs faster with the kernels' loops on all the worker threads than
// inline on one thread, and by how much, measured on the owner's own single-image runs (it
// depends on the model, the machine and its load). The first kSamples runs of each way
// alternate; then the faster way runs, the slower one once every kRecheck runs so that the
// estimate follows a changing load. Estimates restart when the thread count changes.
class LoopSpeedup {
 public:
  static constexpr int kSamples = 3;     // per way before choosing (the fastest of the last ones)
  static constexpr int kRecheck = 64;    // runs between two samples of the slower way
  // Which way the next single image runs: true = the kernels' loops on the pool.
  bool next_uses_loops(int threads);
  void record(int threads, bool loops, double ms);
  // inline time / loops time (the fastest of the last kSamples each); 0 while unmeasured.
  double speedup(int threads) const;

 private:
  void reset_if(int threads);  // mu_ held
  mutable std::mutex mu_;
  int threads_ = 0;
  std::deque<double> ms_[2];  // [0] inline, [1] loops: the last kSamples of each
  uint64_t runs_ = 0;
};

}  // namespace micronet
