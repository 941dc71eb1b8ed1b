#include "runtime/halide_model.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <optional>

#include "HalideRuntime.h"
#include "models/kernel_abi.h"
#include "runtime/kernel_call.h"
#include "models/state_dict_layout.h"
#include "runtime/arena.h"
#include "runtime/device_targets.h"
#include "runtime/finite_copy.h"
#include "runtime/kernel_registry.h"
#include "runtime/kernel_source.h"
#include "runtime/threading.h"

namespace micronet {

namespace {
// Names the value's (n, c, y, x) position too: the flat index alone means little to a user.
[[noreturn]] void throw_non_finite(const float* input, size_t i, int h, int w) {
  const size_t x = i % w, y = i / w % h, c = i / (size_t(w) * h) % 3, n = i / (size_t(w) * h * 3);
  throw RunError("input contains a non-finite value (" + std::to_string(input[i]) +
                 ") at flat index " + std::to_string(i) + " (n=" + std::to_string(n) + ", c=" +
                 std::to_string(c) + ", y=" + std::to_string(y) + ", x=" + std::to_string(x) + ")");
}

// MICRONET_EXECUTION=tasks|loops|batch forces one execution (HalideModel::Execution).
HalideModel::Execution execution_from_env() {
  const char* v = std::getenv("MICRONET_EXECUTION");
  const std::string e = v ? v : "";
  if (e == "tasks") return HalideModel::Execution::ImageTasks;
  if (e == "loops") return HalideModel::Execution::KernelLoops;
  if (e == "batch") return HalideModel::Execution::WholeBatch;
  return HalideModel::Execution::Auto;
}
}  // namespace

struct HalideModel::Arena {
  int batch = 0;
  std::vector<size_t> offsets;  // per tensor id (0 unused: the caller's input)
  size_t bytes = 0;
  float* base = nullptr;
  ~Arena() { std::free(base); }
  // Each tensor sits kRowHalo floats into its slot (see tensor_bytes).
  float* tensor(int id) {
    return reinterpret_cast<float*>(reinterpret_cast<uint8_t*>(base) + offsets[id]) + kRowHalo;
  }
};

HalideModel::HalideModel(ModelPlan plan, const TensorMap& weights, const std::string& source,
                         const std::string& target, std::shared_ptr<const KernelSource> kernels)
    : plan_(std::move(plan)), target_(target), kernel_source_(std::move(kernels)) {
  execution_.store(execution_from_env());
  if (target_ != "host") {
    const std::string why = probe_target(target_);
    if (!why.empty()) throw RunError("target " + target_ + ": " + why);
  }
  validate_state_dict(weights, state_dict_layout(plan_), source);
  steps_ = lower_plan(plan_);
  prepared_ = prepare_weights(plan_, steps_, weights);
  for (const KernelStep& s : steps_) {
    const KernelEntry* k = kernel_source_ ? kernel_source_->find(s.spec.name()) : find_kernel(s.spec.name(), target_);
    if (!k && kernel_source_)
      throw RunError("kernel '" + s.spec.name() + "' is not in " + kernel_source_->describe() +
                     ": the package was compiled for another network");
    if (!k)
      throw RunError("kernel '" + s.spec.name() + "' (" + s.spec.generator_params() +
                     ") is not compiled into this build; add the model to the kernel list "
                     "(generators/kernels.cmake) and rebuild");
    kernels_.push_back(k);
  }
  // Kernels that read rows through the halo see each row kRowHalo wider on both sides.
  const auto values = [](int64_t c, int64_t h, int64_t w) { return c * h * (w + 2 * kRowHalo); };
  largest_tensor_values_ = values(3, plan_.input_h, plan_.input_w);
  for (const KernelStep& s : steps_)
    largest_tensor_values_ = std::max(largest_tensor_values_, values(s.spec.out_channels, s.out_h, s.out_w));
}

HalideModel::~HalideModel() = default;

void HalideModel::set_num_threads(int threads) { set_worker_threads(threads); }
int HalideModel::num_threads() { return worker_threads(); }

std::vector<size_t> HalideModel::tensor_bytes(int batch) const {
  std::vector<size_t> bytes(steps_.size() + 1, 0);
  for (size_t i = 0; i < steps_.size(); ++i) {
    const KernelStep& s = steps_[i];
    // Readable slack on both sides for kernels that read rows through a halo (layout.h).
    bytes[i + 1] = sizeof(float) * (size_t(batch) * s.spec.out_channels * s.out_h * s.out_w + 2 * kRowHalo);
  }
  return bytes;
}

// Each step's output lives from the step that writes it to the last step that reads it
// (as input or as residual source).
ArenaPlan HalideModel::plan_for(int batch) const {
  const std::vector<size_t> bytes = tensor_bytes(batch);
  std::vector<ArenaRequest> req(steps_.size() + 1);
  for (size_t i = 1; i < bytes.size(); ++i) req[i] = {bytes[i], int(i) - 1, int(i) - 1};
  for (size_t i = 0; i < steps_.size(); ++i) {
    req[steps_[i].input].last_use = std::max(req[steps_[i].input].last_use, int(i));
    if (steps_[i].residual >= 0)
      req[steps_[i].residual].last_use = std::max(req[steps_[i].residual].last_use, int(i));
  }
  // The caller's input is staged into the arena (with row slack, see layout.h) while it is
  // checked for non-finite values: one pass over it either way.
  req[0] = {sizeof(float) * (size_t(batch) * 3 * plan_.input_h * plan_.input_w + 2 * kRowHalo), 0, 0};
  req.back().bytes = 0;  // logits go to the caller's vector
  return plan_arena(req);
}

// Halide indexes every buffer with int32: batch x one image's largest tensor (plus the row
// halo slack) must stay below 2^31 elements, or the strides would overflow.
void HalideModel::check_batch_fits(int batch) const {
  const int64_t limit = 2147483647, largest = largest_tensor_values_;
  if (int64_t(batch) * largest > limit)
    throw RunError("batch " + std::to_string(batch) + " at " + std::to_string(plan_.input_h) + "x" +
                   std::to_string(plan_.input_w) + " is too large: a tensor indexed over " +
                   std::to_string(largest) + " values per image (rows with their halo) would span " +
                   std::to_string(int64_t(batch) * largest) +
                   " values, over the 2^31 a Halide buffer can index; use a batch of at most " +
                   std::to_string(limit / largest));
}

size_t HalideModel::arena_bytes(int batch) const { return plan_for(batch).total_bytes; }

std::unique_ptr<HalideModel::Arena> HalideModel::acquire_arena(int batch) const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = free_arenas_.begin(); it != free_arenas_.end(); ++it)
      if ((*it)->batch == batch) {
        std::unique_ptr<Arena> a = std::move(*it);
        free_arenas_.erase(it);
        return a;
      }
  }
  const ArenaPlan ap = plan_for(batch);
  auto a = std::make_unique<Arena>();
  a->batch = batch;
  a->offsets = ap.offsets;
  a->bytes = ap.total_bytes;
  a->base = static_cast<float*>(std::aligned_alloc(64, std::max<size_t>(64, (ap.total_bytes + 63) / 64 * 64)));
  if (!a->base) throw RunError("out of memory allocating a " + std::to_string(ap.total_bytes) + "-byte activation arena");
  std::lock_guard<std::mutex> lock(mu_);
  ++arenas_allocated_;
  return a;
}

void HalideModel::release_arena(std::unique_ptr<Arena> a) const {
  std::lock_guard<std::mutex> lock(mu_);
  free_arenas_.push_back(std::move(a));
}

size_t HalideModel::arenas_allocated() const {
  std::lock_guard<std::mutex> lock(mu_);
  return arenas_allocated_;
}

std::vector<float> HalideModel::run(const float* input, int batch) const {
  return run_profiled(input, batch, nullptr);
}

HalideModel::ExecutionPlan HalideModel::execution_plan(int batch, int threads) const {
  ExecutionPlan p;
  p.threads = threads > 0 ? std::min(threads, available_cpus()) : worker_threads();
  switch (execution_.load()) {
    case Execution::WholeBatch:
      p.whole_batch = true;
      return p;
    case Execution::KernelLoops:
      p.tail_images = batch;
      return p;
    case Execution::ImageTasks:
      p.tasks = batch;
      return p;
    case Execution::Auto:
      break;
  }
  // Images beyond whole rounds of tasks (fewer than the threads): as parallel tasks they take
  // one image's time on one thread; one after another with the kernels' loops on all threads,
  // `rest` times that divided by the measured speedup of the loops: the tail when it is
  // smaller. A lone leftover image always goes to the tail, where each run takes the way
  // measured faster (both ways are tried first).
  const int rest = p.threads > 1 ? batch % p.threads : 0;
  p.tail_images = rest == 1 || rest < loop_speedup_.speedup(p.threads) ? rest : 0;
  p.tasks = batch - p.tail_images;
  return p;
}

std::vector<float> HalideModel::run_profiled(const float* input, int batch,
                                             std::vector<double>* step_ms) const {
  if (batch < 1) throw RunError("batch must be >= 1, got " + std::to_string(batch));
  check_batch_fits(batch);
  if (target_ != "host") return run_device(input, batch, step_ms);
  std::vector<float> logits(size_t(batch) * plan_.num_classes);
  const ExecutionPlan ep = execution_plan(batch);
  std::mutex profile_mu;
  // Images [first, first + n) through the network; with inline_loops, on this thread alone.
  auto images = [&](int first, int n, bool inline_loops) {
    std::vector<double> ms(step_ms ? steps_.size() : 0, 0.0);
    std::optional<InlineKernelLoops> scope;
    if (inline_loops) scope.emplace();
    run_images(input, first, n, logits.data() + size_t(first) * plan_.num_classes, step_ms ? &ms : nullptr);
    if (step_ms) {
      std::lock_guard<std::mutex> lock(profile_mu);
      for (size_t i = 0; i < ms.size(); ++i) (*step_ms)[i] += ms[i];
    }
  };
  if (ep.whole_batch) {
    images(0, batch, ep.threads == 1);
    return logits;
  }
  run_tasks(ep.tasks, [&](int i) { images(i, 1, true); });
  const bool forced = execution_.load() == Execution::KernelLoops;
  for (int i = ep.tasks; i < batch; ++i) {
    const bool loops = ep.threads > 1 && (forced || loop_speedup_.next_uses_loops(ep.threads));
    const auto t0 = std::chrono::steady_clock::now();
    images(i, 1, !loops);
    if (ep.threads > 1 && !forced)
      loop_speedup_.record(ep.threads, loops,
                           std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  return logits;
}

// The kernels' parallel loops run inline or on the pool, as the caller set.
void HalideModel::run_images(const float* input, int first, int n, float* logits,
                             std::vector<double>* step_ms) const {
  std::unique_ptr<Arena> arena = acquire_arena(n);
  auto tensor = [&](int id) -> const float* { return arena->tensor(id); };
  try {
    // Checked for non-finite values while staged into the arena (with the row slack the
    // first kernel reads through, layout.h): one pass over the input.
    const size_t image = size_t(3) * plan_.input_h * plan_.input_w;
    const size_t begin = size_t(first) * image, count = size_t(n) * image;
    const size_t bad = copy_checking_finite(input + begin, arena->tensor(0), count);
    if (bad != count) throw_non_finite(input, begin + bad, plan_.input_h, plan_.input_w);
    for (size_t si = 0; si < steps_.size(); ++si) {
      const KernelStep& s = steps_[si];
      float* out = si + 1 == steps_.size() ? logits : arena->tensor(int(si) + 1);
      const auto t0 = std::chrono::steady_clock::now();
      call_kernel(*kernels_[si], s, prepared_[si], n, tensor(s.input),
                  s.residual >= 0 ? tensor(s.residual) : nullptr, out);
      if (step_ms)
        (*step_ms)[si] += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    }
  } catch (...) {
    release_arena(std::move(arena));
    throw;
  }
  release_arena(std::move(arena));
}

// GPU targets: every activation stays in its device buffer; only the input goes up and
// the logits come down. Weights are uploaded on the first run (DeviceRun::bind).
std::vector<float> HalideModel::run_device(const float* input, int batch,
                                           std::vector<double>* step_ms) const {
  const size_t in_count = size_t(batch) * 3 * plan_.input_h * plan_.input_w;
  std::lock_guard<std::mutex> lock(device_mu_);
  DeviceRun* dev = device_run(batch);
  const size_t bad = dev->upload_input_checked(input, in_count);
  if (bad != in_count) throw_non_finite(input, bad, plan_.input_h, plan_.input_w);
  dev->run_kernels([&] {
    for (size_t si = 0; si < steps_.size(); ++si) {
      const KernelStep& s = steps_[si];
      float* out = si + 1 == steps_.size() ? dev->logits() : dev->tensor(int(si) + 1);
      const auto t0 = std::chrono::steady_clock::now();
      call_kernel(*kernels_[si], s, prepared_[si], batch, dev->tensor(s.input),
                  s.residual >= 0 ? dev->tensor(s.residual) : nullptr, out, dev);
      if (step_ms) {
        dev->sync();
        (*step_ms)[si] += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      }
    }
  });
  std::vector<float> logits(size_t(batch) * plan_.num_classes);
  dev->download_logits(logits.data(), logits.size());
  return logits;
}

// device_mu_ held.
DeviceRun* HalideModel::device_run(int batch) const {
  for (size_t i = 0; i < device_runs_.size(); ++i)
    if (device_run_batch_[i] == batch) return device_runs_[i].get();
  const size_t in_count = size_t(batch) * 3 * plan_.input_h * plan_.input_w;
  std::vector<size_t> bytes = tensor_bytes(batch);
  bytes[0] = sizeof(float) * (in_count + 2 * kRowHalo);
  bytes.pop_back();  // the last step writes the logits buffer
  device_runs_.push_back(std::make_unique<DeviceRun>(target_, bytes, size_t(batch) * plan_.num_classes));
  device_run_batch_.push_back(batch);
  return device_runs_.back().get();
}

std::string HalideModel::device_input_path(int batch) const {
  if (target_ == "host") return "";
  std::lock_guard<std::mutex> lock(device_mu_);
  return device_run(batch)->input_path();
}

}  // namespace micronet
