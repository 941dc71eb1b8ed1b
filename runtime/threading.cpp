#include "runtime/threading.h"

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "HalideRuntime.h"
#include "runtime/scratch_allocator.h"

namespace micronet {

namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

// One parallel loop: f(user_context, min + i, closure) for i in [0, n), shared by `parts`
// threads. Each thread owns one contiguous block of the indices (the caller the first,
// worker w block w + 1) and runs it first, then takes what is left of the others' blocks.
// Owning a block makes consecutive loops over the same range run index k on the same core
// as far as the load allows: a kernel's stage that reads what the previous stage wrote for
// the same channels (a depthwise layer's Shift-Max apply after its conv, the head's partial
// sums) finds it in its own L2 instead of the other core's.
struct Job {
  struct alignas(64) Block {
    std::atomic<int> next{0};
    int end = 0;
  };
  Job(int n_, int parts_) : n(n_), parts(std::max(1, std::min(parts_, n_))), blocks(new Block[parts]) {
    for (int q = 0; q < parts; ++q) {
      blocks[q].next.store(int(int64_t(n) * q / parts), std::memory_order_relaxed);
      blocks[q].end = int(int64_t(n) * (q + 1) / parts);
    }
  }
  halide_task_t f = nullptr;
  void* user_context = nullptr;
  uint8_t* closure = nullptr;
  int min = 0;
  const int n, parts;
  std::unique_ptr<Block[]> blocks;
  std::atomic<int> done{0};  // indices finished
  std::atomic<int> rc{0};    // the first non-zero return
};

// Runs indices of `job` until none is left to claim: participant p's own block first. Only
// the owner touches a block's counter until it is stolen from, and the finished count is
// published once per participant: a shared counter touched per index moved its cache line
// between the cores ~100 ns each time, which on the 7x7 and 14x14 group convs (8-16 indices
// of a few hundred ns) made two threads slower than one.
void work_on(Job& job, int p) {
  int finished = 0;
  for (int k = 0; k < job.parts; ++k) {
    Job::Block& b = job.blocks[(p + k) % job.parts];
    for (int i = b.next.fetch_add(1, std::memory_order_relaxed); i < b.end;
         i = b.next.fetch_add(1, std::memory_order_relaxed)) {
      const int rc = job.f(job.user_context, job.min + i, job.closure);
      if (rc != 0) {
        int zero = 0;
        job.rc.compare_exchange_strong(zero, rc);
      }
      ++finished;
    }
  }
  if (finished) job.done.fetch_add(finished, std::memory_order_release);
}

// The pool that runs every parallel loop of the runtime: `threads - 1` workers and the caller.
// Workers spin for a short while after a job before they sleep: a model run issues one
// parallel loop every few to few tens of microseconds (one or more per kernel), and waking a
// sleeping thread through the kernel costs about that much, so a sleeping pool (Halide's own)
// loses most of what the second core brings at batch 1. One job runs at a time; a loop
// submitted while another runs (from a worker inside a job, or from another caller's thread)
// runs inline on its own thread.
class Pool {
 public:
  // How long an idle worker keeps polling for the next job before it sleeps.
  static constexpr auto kSpin = std::chrono::microseconds(300);

  void resize(int threads) {
    std::lock_guard<std::mutex> lock(mu_);
    wanted_ = std::max(0, threads - 1);
    team_.store(wanted_ + 1, std::memory_order_relaxed);
    while (int(workers_.size()) < wanted_) {
      const int index = int(workers_.size());
      workers_.emplace_back([this, index] { worker(index); });
      workers_.back().detach();  // the pool lives as long as the process (never destroyed)
    }
    cv_.notify_all();  // workers past `wanted_` go to sleep, others re-check
  }

  int threads() const {
    std::lock_guard<std::mutex> lock(mu_);
    return wanted_ + 1;
  }

  int run(void* user_context, halide_task_t f, int min, int n, uint8_t* closure) {
    // Built before taking the lock the workers wait on, blocks for the current team; a team
    // resized meanwhile (rare) runs this loop inline.
    auto job = std::make_shared<Job>(n, team_.load(std::memory_order_relaxed));
    job->f = f;
    job->user_context = user_context;
    job->closure = closure;
    job->min = min;
    bool pooled = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!current_ && wanted_ > 0 && job->parts == std::min(wanted_ + 1, n)) {
        current_ = job;
        generation_.fetch_add(1, std::memory_order_release);
        pooled = true;
        if (sleeping_ > 0) cv_.notify_all();
      }
    }
    work_on(*job, 0);
    if (pooled) {
      // Every index is claimed; wait for the ones workers are still running.
      for (int spins = 0; job->done.load(std::memory_order_acquire) < n; ++spins) {
        if (spins < 4096) cpu_relax();
        else std::this_thread::yield();  // a worker was descheduled (more threads than CPUs)
      }
      std::lock_guard<std::mutex> lock(mu_);
      current_.reset();
    }
    return job->rc.load();
  }

 private:
  void worker(int index) {
    uint64_t seen = 0;
    for (;;) {
      std::shared_ptr<Job> job;
      const auto idle_since = std::chrono::steady_clock::now();
      for (int spins = 0;; ++spins) {
        if (generation_.load(std::memory_order_acquire) != seen) break;
        if ((spins & 255) == 255 && std::chrono::steady_clock::now() - idle_since > kSpin) break;
        cpu_relax();
      }
      {
        std::unique_lock<std::mutex> lock(mu_);
        ++sleeping_;
        cv_.wait(lock, [&] { return index < wanted_ && generation_.load() != seen; });
        --sleeping_;
        seen = generation_.load();
        job = current_;
      }
      if (job) work_on(*job, index + 1);
    }
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::thread> workers_;
  int wanted_ = 0;    // workers that take jobs (threads - 1)
  std::atomic<int> team_{1};  // wanted_ + 1, readable without the lock
  int sleeping_ = 0;  // workers waiting on cv_
  std::shared_ptr<Job> current_;
  std::atomic<uint64_t> generation_{0};  // bumped per pooled job
};

Pool& pool() {
  static Pool* p = new Pool;  // never destroyed: detached workers may still poll it at exit
  return *p;
}

thread_local int t_inline_depth = 0;

// Every parallel loop of every Halide kernel of this process comes here.
int do_par_for(void* user_context, halide_task_t f, int min, int size, uint8_t* closure) {
  if (t_inline_depth > 0 || size <= 1) {
    for (int i = min; i < min + size; ++i)
      if (const int rc = f(user_context, i, closure)) return rc;
    return 0;
  }
  return pool().run(user_context, f, min, size, closure);
}

int default_threads() {
  for (const char* var : {"HL_NUM_THREADS", "HL_NUMTHREADS"})
    if (const char* v = std::getenv(var)) {
      const int n = std::atoi(v);
      if (n > 0) return std::min(n, available_cpus());
    }
  return available_cpus();
}

std::once_flag g_install_once;

void install() {
  std::call_once(g_install_once, [] {
    halide_set_custom_do_par_for(do_par_for);
    install_scratch_allocator();  // done at load already; the call links its object in
    const int n = default_threads();
    pool().resize(n);
    halide_set_num_threads(n);  // Halide's own pool serves only halide_do_parallel_tasks
  });
}

struct Tasks {
  const std::function<void(int)>* fn;
  std::vector<std::exception_ptr>* errors;
  std::atomic<int>* first_failed;  // lowest failing index so far (n: none)
};

int run_task(void*, int i, uint8_t* closure) {
  const Tasks& t = *reinterpret_cast<const Tasks*>(closure);
  // Tasks after a failed one are skipped; earlier ones still run, so the error reported is
  // the lowest-numbered task's whatever order the threads took them in.
  if (i > t.first_failed->load(std::memory_order_relaxed)) return 0;
  try {
    (*t.fn)(i);
  } catch (...) {
    (*t.errors)[i] = std::current_exception();  // each task writes only its own slot
    int seen = t.first_failed->load();
    while (i < seen && !t.first_failed->compare_exchange_weak(seen, i)) {
    }
  }
  return 0;  // run_tasks rethrows
}

}  // namespace

int available_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

int set_worker_threads(int requested) {
  install();
  const int n = requested > 0 ? std::min(requested, available_cpus()) : default_threads();
  pool().resize(n);
  halide_set_num_threads(n);
  return n;
}

int worker_threads() {
  install();
  return pool().threads();
}

InlineKernelLoops::InlineKernelLoops() { ++t_inline_depth; }
InlineKernelLoops::~InlineKernelLoops() { --t_inline_depth; }
bool InlineKernelLoops::active() { return t_inline_depth > 0; }

void run_tasks(int n, const std::function<void(int)>& fn) {
  if (n <= 0) return;
  install();
  std::vector<std::exception_ptr> errors(n);
  std::atomic<int> first_failed{n};
  Tasks t{&fn, &errors, &first_failed};
  do_par_for(nullptr, run_task, 0, n, reinterpret_cast<uint8_t*>(&t));
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
}

namespace {
// The fastest of the recent samples: a run is only ever slowed (a cold first run of the
// pool, another process for a moment), so the minimum is what the way can do now. The
// median could let two slow early samples of the loops (a cold pool) pick inline and keep it for
// 128 runs: M2 at batch 1 on two threads averaged 1.24x one thread against 1.37x with the
// loops forced; with the fastest, 1.41x (forced 1.39x; five alternating runs each).
double fastest(const std::deque<double>& v) { return *std::min_element(v.begin(), v.end()); }
}  // namespace

void LoopSpeedup::reset_if(int threads) {
  if (threads == threads_) return;
  threads_ = threads;
  ms_[0].clear();
  ms_[1].clear();
  runs_ = 0;
}

bool LoopSpeedup::next_uses_loops(int threads) {
  std::lock_guard<std::mutex> lock(mu_);
  reset_if(threads);
  if (int(ms_[0].size()) < kSamples || int(ms_[1].size()) < kSamples)
    return ms_[1].size() < ms_[0].size();  // alternate, inline first
  const bool loops_faster = fastest(ms_[1]) < fastest(ms_[0]);
  return ++runs_ % kRecheck == 0 ? !loops_faster : loops_faster;
}

void LoopSpeedup::record(int threads, bool loops, double ms) {
  std::lock_guard<std::mutex> lock(mu_);
  reset_if(threads);
  std::deque<double>& d = ms_[loops ? 1 : 0];
  d.push_back(ms);
  if (int(d.size()) > kSamples) d.pop_front();
}

double LoopSpeedup::speedup(int threads) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (threads != threads_ || int(ms_[0].size()) < kSamples || int(ms_[1].size()) < kSamples) return 0;
  return fastest(ms_[0]) / fastest(ms_[1]);
}

}  // namespace micronet
