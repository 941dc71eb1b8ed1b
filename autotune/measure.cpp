#include "autotune/measure.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <random>

#include "HalideRuntime.h"
#include "models/kernel_abi.h"
#include "runtime/device_targets.h"
#include "runtime/kernel_call.h"
#include "runtime/threading.h"

namespace micronet::tune {

namespace {

// A tensor with the kRowHalo floats of readable slack the kernels may touch on each side
// (models/kernel_abi.h), as the runtime's arena provides.
struct Slab {
  std::vector<float> data;
  explicit Slab(size_t n) : data(n + 2 * size_t(kRowHalo), 0.0f) {}
  float* get() { return data.data() + kRowHalo; }
};

size_t input_floats(const KernelStep& s) {
  const int c = s.spec.family == KernelFamily::Stem ? 3 : s.spec.in_channels;
  return size_t(c) * s.in_h * s.in_w;
}

size_t output_floats(const KernelStep& s) {
  if (s.spec.family == KernelFamily::Head) return size_t(s.spec.classes);
  return size_t(s.spec.out_channels) * s.out_h * s.out_w;
}

void fill(Slab& s, std::mt19937_64& rng) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (float& v : s.data) v = u(rng);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

namespace {

// One call of the kernel on `s` for `batch` images of seeded inputs; the timing loop when
// `timing` is non-null. Returns the output.
std::vector<float> run_step(const KernelEntry& kernel, const Workload& w, const KernelStep& s,
                            const MeasureOptions& o, int batch, Timing* timing);

}  // namespace

Timing measure_kernel(const KernelEntry& kernel, const Workload& w, const MeasureOptions& o) {
  // Kernels run the way the runtime runs them (runtime/threading.h): its parallel-loop pool
  // with `threads` threads, and with one thread the loops inline on the caller, as a model's
  // image task runs them. Halide's own pool costs microseconds per parallel loop, which is
  // the whole kernel at the 2x2 planes of a 64x64 network.
  set_worker_threads(o.threads);
  std::optional<InlineKernelLoops> inline_loops;
  if (o.threads == 1 && o.device.empty()) inline_loops.emplace();
  Timing t;
  t.output = run_step(kernel, w, w.step, o, o.batch, &t);
  if (o.check_odd_size) t.odd_output = run_step(kernel, w, w.odd_step, o, 2, nullptr);
  return t;
}

namespace {

std::vector<float> run_step(const KernelEntry& kernel, const Workload& w, const KernelStep& s,
                            const MeasureOptions& o, int batch, Timing* timing) {
  std::mt19937_64 rng(o.seed);
  Slab in(input_floats(s) * batch), res(output_floats(s) * batch), out(output_floats(s) * batch);
  fill(in, rng);
  fill(res, rng);
  std::unique_ptr<DeviceRun> dev;
  if (!o.device.empty()) {
    // Device tensors 0 (input), 1 (residual), 2 (output), each with the arena's slack.
    const size_t f = sizeof(float);
    dev = std::make_unique<DeviceRun>(o.device, std::vector<size_t>{in.data.size() * f, res.data.size() * f,
                                                                    out.data.size() * f}, 1);
    dev->upload_region(0, in.data.data(), in.data.size());
    dev->upload_region(1, res.data.data(), res.data.size());
  }
  auto call = [&] {
    if (dev) {
      call_kernel(kernel, s, w.prepared, batch, dev->tensor(0), s.spec.residual ? dev->tensor(1) : nullptr,
                  dev->tensor(2), dev.get());
      dev->sync();  // launches are asynchronous: time the kernel, not its launch
    } else {
      call_kernel(kernel, s, w.prepared, batch, in.get(), s.spec.residual ? res.get() : nullptr, out.get());
    }
  };
  if (!timing) {
    call();
    if (dev) dev->download_region(2, out.data.data(), out.data.size());
    return std::vector<float>(out.get(), out.get() + output_floats(s) * batch);
  }
  using clock = std::chrono::steady_clock;
  // Warm-up: first-call dispatch, page faults, caches.
  const auto warm_end = clock::now() + std::chrono::duration<double>(o.repeat_seconds);
  int warm = 0;
  do {
    call();
  } while (++warm < 2 || clock::now() < warm_end);

  Timing& t = *timing;
  std::vector<double> medians;
  for (int r = 0; r < std::max(1, o.repeats); ++r) {
    std::vector<double> calls;
    const auto end = clock::now() + std::chrono::duration<double>(o.repeat_seconds);
    do {
      const auto a = clock::now();
      call();
      calls.push_back(std::chrono::duration<double, std::micro>(clock::now() - a).count());
    } while (calls.size() < 3 || clock::now() < end);
    medians.push_back(median(calls));
  }
  t.median_us = median(medians);
  t.min_us = *std::min_element(medians.begin(), medians.end());
  t.repeats = int(medians.size());
  if (dev) dev->download_region(2, out.data.data(), out.data.size());
  return std::vector<float>(out.get(), out.get() + output_floats(s) * batch);
}

}  // namespace

double relative_l2(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size() || a.empty()) return std::numeric_limits<double>::infinity();
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!std::isfinite(a[i]) || !std::isfinite(b[i])) return std::numeric_limits<double>::infinity();
    const double d = double(a[i]) - b[i];
    num += d * d;
    den += double(b[i]) * b[i];
  }
  return den > 0 ? std::sqrt(num / den) : (num > 0 ? std::numeric_limits<double>::infinity() : 0.0);
}

}  // namespace micronet::tune
