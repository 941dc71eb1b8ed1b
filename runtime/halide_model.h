// A MicroNet compiled by the Halide path, ready to run: the lowered kernel steps, their
// prepared weights, and activation arenas planned per batch size. Links only the AOT
// kernels and the Halide runtime (no LibTorch, no LLVM).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "models/kernel_plan.h"
#include "models/plan.h"
#include "runtime/arena.h"
#include "runtime/prepared_weights.h"
#include "formats/tensor.h"
#include "runtime/threading.h"

namespace micronet {

struct KernelEntry;
class DeviceRun;
class KernelSource;

struct RunError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class HalideModel {
 public:
  // Validates `weights` against the official layout of `plan` (naming `source` in errors),
  // folds BatchNorm, and resolves every kernel (a missing one is an error naming it).
  // target: "host" (the CPU kernels) or a GPU API this build compiled ("opencl", "cuda";
  // runtime/device_targets.h). A GPU target without a usable device is a RunError.
  // kernels: where the kernels come from (a model package, runtime/package.h); null: the
  // ones compiled into this build. The model keeps the source alive.
  HalideModel(ModelPlan plan, const TensorMap& weights, const std::string& source,
              const std::string& target = "host", std::shared_ptr<const KernelSource> kernels = nullptr);
  ~HalideModel();
  HalideModel(const HalideModel&) = delete;
  HalideModel& operator=(const HalideModel&) = delete;

  // input: N x 3 x H x W float32, C order, H x W = the plan's input size.
  // Returns N x num_classes logits, the same whatever the batch size, the worker threads or
  // the execution plan. Thread-safe: concurrent calls use separate arenas.
  std::vector<float> run(const float* input, int batch) const;
  // Same, adding each step's wall time (ms) to step_ms[i] (sized steps().size()).
  std::vector<float> run_profiled(const float* input, int batch, std::vector<double>* step_ms) const;

  const ModelPlan& plan() const { return plan_; }
  const std::string& target() const { return target_; }
  // GPU targets: how a batch's input goes up (DeviceRun::input_path); "" on the host.
  std::string device_input_path(int batch) const;
  const std::vector<KernelStep>& steps() const { return steps_; }
  // Bytes of the activation arena planned for `batch` images in one call of each kernel.
  // run() gives each image in flight an arena of its own (execution_plan), so one run's
  // activation memory is at most min(batch, threads) x arena_bytes(1) (WholeBatch: the
  // batch's arena).
  size_t arena_bytes(int batch) const;
  // Number of arenas allocated so far (grows only with new batch sizes, threads or concurrency).
  size_t arenas_allocated() const;

  // The worker threads of every model (process-wide): min(threads, the CPUs this process may
  // use), the caller included; threads <= 0: HL_NUM_THREADS, else all those CPUs.
  static void set_num_threads(int threads);
  static int num_threads();

  // How run() spreads a batch over the worker threads (runtime/threading.h;
  // docs/performance.md, "Threads and batches on the CPU"): first `tasks` images as parallel tasks, one image per task, each running
  // the whole network on one thread with its kernels' loops inline (its activations stay in
  // that core's cache, and threads never wait for each other inside a kernel); then
  // `tail_images` images one at a time, each either with every kernel's parallel loops spread
  // over the threads or inline on one, whichever this model has measured faster on this
  // machine (LoopSpeedup). Images beyond whole rounds of tasks go to the tail when they are
  // fewer than that speedup (or just one), else they are tasks too. A single image is the tail.
  // whole_batch: the batch in one call per kernel (the runtime before image tasks; measurement).
  struct ExecutionPlan {
    int threads = 1;
    int tasks = 0;
    int tail_images = 0;
    bool whole_batch = false;
  };
  // threads <= 0: the worker threads set now (HalideModel::set_num_threads).
  ExecutionPlan execution_plan(int batch, int threads = 0) const;
  // Auto: as above. The others force one way for every batch, for measurements (default
  // from the environment variable MICRONET_EXECUTION=tasks|loops|batch): ImageTasks, every
  // image a task; KernelLoops, every image alone with the kernels' loops on all threads;
  // WholeBatch, the batch in one call per kernel. Results are the same whichever runs.
  enum class Execution { Auto, ImageTasks, KernelLoops, WholeBatch };
  void set_execution(Execution e) { execution_.store(e); }
  Execution execution() const { return execution_.load(); }

 private:
  struct Arena;
  std::unique_ptr<Arena> acquire_arena(int batch) const;
  void release_arena(std::unique_ptr<Arena> a) const;
  std::vector<size_t> tensor_bytes(int batch) const;
  void check_batch_fits(int batch) const;  // RunError when a tensor outgrows int32 indexing
  ArenaPlan plan_for(int batch) const;

  // Images [first, first + n) of `input` through the network on this thread, in one arena.
  void run_images(const float* input, int first, int n, float* logits, std::vector<double>* step_ms) const;
  std::vector<float> run_device(const float* input, int batch, std::vector<double>* step_ms) const;
  DeviceRun* device_run(int batch) const;  // device_mu_ held; made on first use

  ModelPlan plan_;
  std::string target_ = "host";
  std::vector<KernelStep> steps_;
  std::vector<PreparedStep> prepared_;
  std::shared_ptr<const KernelSource> kernel_source_;
  std::vector<const KernelEntry*> kernels_;
  std::atomic<Execution> execution_{Execution::Auto};
  mutable LoopSpeedup loop_speedup_;  // single images: kernels' loops on all threads vs inline
  int64_t largest_tensor_values_ = 0;  // one image's largest tensor as Halide indexes it (halo rows)
  mutable std::mutex mu_;
  mutable std::vector<std::unique_ptr<Arena>> free_arenas_;
  mutable size_t arenas_allocated_ = 0;
  // GPU targets: device buffers per batch size (runs on one device are serialized).
  mutable std::mutex device_mu_;
  mutable std::vector<std::unique_ptr<DeviceRun>> device_runs_;
  mutable std::vector<int> device_run_batch_;
};

}  // namespace micronet
