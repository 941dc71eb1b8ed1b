#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>

#include <nlohmann/json.hpp>

#include "tools/activity.h"
#include "tools/backend.h"
#include "tools/commands.h"
#include "tools/memory_budget.h"
#include "runtime/threading.h"

namespace micronet::cli {

namespace {

struct Timing {
  std::string backend;
  double median_ms, min_ms, max_ms;
};

// The same backend at 1 thread (same batch), at batch 1 (same threads) and at both, against
// which a run's images/s are compared (each measured like the run itself).
struct Scaling {
  double one_thread = 0, batch_one = 0, one_thread_batch_one = 0;  // images/s
};

double images_per_s(const Timing& t, int batch) { return batch * 1000.0 / t.median_ms; }

// Every call reads images no earlier call has left in the cache, as a stream of requests
// would: the calls cycle through a pool of distinct inputs of at least kPoolImages images and
// kPoolBytes (more than a core's L2), in whole batches. Timing one image repeated made batch 1
// look ~5% faster per image than any batch, whose images come from L3 (M0 at 224x224, 1 thread:
// 0.234 ms for one image repeated, 0.250 ms per image for 32 different ones).
constexpr int kPoolImages = 16;
constexpr size_t kPoolBytes = size_t(4) << 20;

// Images in the pool for batches of `batch` images of `image_floats` floats each: a whole
// number of batches, at least one.
int64_t pool_images(int64_t batch, size_t image_floats) {
  const int64_t by_bytes = int64_t((kPoolBytes / sizeof(float) + image_floats - 1) / image_floats);
  const int64_t want = std::max<int64_t>(kPoolImages, by_bytes);
  return std::max<int64_t>(1, (want + batch - 1) / batch) * batch;
}

Timing time_backend(Backend& b, const std::vector<float>& pool, size_t image_floats, int batch,
                    int iters, int warmup) {
  const size_t rounds = std::max<size_t>(1, pool.size() / image_floats / batch);
  size_t next = 0;
  auto call = [&] {
    b.run(pool.data() + (next++ % rounds) * batch * image_floats, batch);
  };
  for (int i = 0; i < warmup; ++i) call();
  std::vector<double> ms;
  for (int i = 0; i < iters; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    call();
    const auto t1 = std::chrono::steady_clock::now();
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return {b.name(), ms[ms.size() / 2], ms.front(), ms.back()};
}

}  // namespace

// micronet bench [--arch A] [--weights W] [--backend halide|libtorch|all] [--threads N]
//                [--batch N] [--iters N] [--warmup N] [--height H] [--width W] [--json] [--profile]
// --arch, the classes and the input size default to the weights file's metadata.
// Timings are wall-clock per call (median of `iters`), after `warmup` untimed calls, each call
// on images the previous calls did not read (a pool larger than L2, cycled). With
// --threads > 1 or --batch > 1 the same backend is also timed at 1 thread, at batch 1 and at
// both, and the images/s compared ("scaling").
// --profile adds a per-kernel time table (Halide backend) on stderr.
int cmd_bench(const BenchArgs& args) {
  BenchArgs a = args;
  a.threads = threads_for_target(a.target, a.threads, a.threads_given);
  ModelFiles files = open_files(a.package, a.weights);
  const ModelMetadata& meta = files.meta;
  // A package without weights has no metadata, but its manifest says the size it was
  // compiled for: timing it at 224x224 instead made a 64x64 package look 10x slower.
  const ModelPackage* pkg = files.package.get();
  const int h = a.height > 0 ? a.height : meta.input_h > 0 ? meta.input_h : pkg ? pkg->input_h() : 224;
  const int w_ = a.width > 0 ? a.width : meta.input_w > 0 ? meta.input_w : pkg ? pkg->input_w() : 224;
  const ModelPlan plan = plan_files(files, a.arch, h, w_);
  const size_t image_floats = size_t(3) * plan.input_h * plan.input_w;
  const int64_t pool = pool_images(a.batch, image_floats);
  check_batch_fits(plan, a.batch, "--batch", size_t(pool - a.batch) * image_floats * sizeof(float));
  std::string source;
  const TensorMap w = take_cli_weights(files, plan, &source);
  std::vector<float> input;  // `pool` distinct images: the calls cycle through them
  {
    Activity doing("allocating the input of --batch " + std::to_string(a.batch) + " (" +
                   std::to_string(pool) + " distinct images, cycled)");
    input.resize(size_t(pool) * image_floats);
  }
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  for (float& v : input) v = normal(rng);

  const std::vector<std::string> names =
      a.backend == "all" ? available_backends() : std::vector<std::string>{a.backend};
  std::vector<Timing> results;
  std::vector<Scaling> scaling;
  const std::string& target = a.target;
  // Runs backend n at (threads, batch) and returns its timing (input holds --batch images).
  auto measure = [&](const std::string& n, int threads, int batch) {
    auto b = make_backend(n, plan, w, source, threads, files, n == "halide" ? target : "host");
    Activity doing("running " + n + " on --batch " + std::to_string(batch) + " with " +
                   std::to_string(threads) + " thread(s)");
    return time_backend(*b, input, image_floats, batch, a.iters, a.warmup);
  };
  std::string device_input;  // GPU targets: how the input went up (DeviceRun::input_path)
  for (const std::string& n : names) {
    {
      auto b = make_backend(n, plan, w, source, a.threads, files, n == "halide" ? a.target : "host");
      Activity doing("running " + n + " on --batch " + std::to_string(a.batch));
      results.push_back(time_backend(*b, input, image_floats, a.batch, a.iters, a.warmup));
      if (n == "halide" && a.target != "host") device_input = b->device_input(a.batch);
      if (a.profile) {
        const std::string table = b->profile(input.data(), a.batch, a.iters);
        if (!table.empty())
          std::cerr << "per-kernel time (" << n << ")"
                    << (a.threads > 1 && a.batch > 1 ? ", summed over the threads' image tasks" : "")
                    << ":\n" << table;
      }
    }
    const double here = images_per_s(results.back(), a.batch);
    Scaling sc;
    sc.one_thread = a.threads == 1 ? here : images_per_s(measure(n, 1, a.batch), a.batch);
    sc.batch_one = a.batch == 1 ? here : images_per_s(measure(n, a.threads, 1), 1);
    sc.one_thread_batch_one = a.threads == 1 ? sc.batch_one
                              : a.batch == 1 ? sc.one_thread
                                             : images_per_s(measure(n, 1, 1), 1);
    scaling.push_back(sc);
  }
  // The worker threads the Halide runtime used: --threads, at most the CPUs this process may use.
  const int threads_used = a.backend == "libtorch" ? a.threads : std::min(a.threads, available_cpus());
  const int batch = a.batch;
  auto scaling_json = [&](size_t i) {
    const Scaling& sc = scaling[i];
    const double here = images_per_s(results[i], batch);
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "\"scaling\": {\"one_thread_images_per_s\": %.2f, \"vs_one_thread\": %.3f, "
                  "\"batch_one_images_per_s\": %.2f, \"vs_batch_one\": %.3f, "
                  "\"one_thread_batch_one_images_per_s\": %.2f, \"vs_one_thread_batch_one\": %.3f}",
                  sc.one_thread, here / sc.one_thread, sc.batch_one, here / sc.batch_one,
                  sc.one_thread_batch_one, here / sc.one_thread_batch_one);
    return std::string(buf);
  };
  if (a.json) {
    // One object; with --backend all, the first backend's figures at top level and all in "results".
    // scaling: images/s against the same backend at 1 thread, at batch 1, and at both.
    const Timing& t = results.front();
    std::printf("{\"arch\": \"%s\", \"backend\": \"%s\", \"threads\": %d, \"threads_used\": %d, "
                "\"cpus\": %d, \"batch\": %d, \"iters\": %d, "
                "\"input\": [%d, %d], \"median_ms\": %.4f, \"min_ms\": %.4f, \"max_ms\": %.4f, "
                "\"images_per_s\": %.2f, %s, ",
                plan.arch.c_str(), t.backend.c_str(), a.threads, threads_used, available_cpus(), batch,
                a.iters, plan.input_h, plan.input_w, t.median_ms, t.min_ms, t.max_ms,
                images_per_s(t, batch), scaling_json(0).c_str());
    if (!device_input.empty()) std::printf("\"device_input\": %s, ", nlohmann::json(device_input).dump().c_str());
    std::printf("\"results\": [");
    for (size_t i = 0; i < results.size(); ++i)
      std::printf("%s{\"backend\": \"%s\", \"median_ms\": %.4f, \"min_ms\": %.4f, \"max_ms\": %.4f, "
                  "\"images_per_s\": %.2f, %s}",
                  i ? ", " : "", results[i].backend.c_str(), results[i].median_ms, results[i].min_ms,
                  results[i].max_ms, images_per_s(results[i], batch), scaling_json(i).c_str());
    std::printf("]}\n");
    return 0;
  }
  std::printf("MicroNet-%s  batch %d  %dx%d  threads %d  iters %d%s\n", plan.arch.c_str(), batch,
              plan.input_h, plan.input_w, a.threads, a.iters,
              device_input.empty() ? "" : ("  input " + device_input).c_str());
  std::printf("%-10s %10s %10s %10s %12s\n", "backend", "median_ms", "min_ms", "max_ms", "images/s");
  for (const Timing& t : results)
    std::printf("%-10s %10.3f %10.3f %10.3f %12.1f\n", t.backend.c_str(), t.median_ms, t.min_ms,
                t.max_ms, batch * 1000.0 / t.median_ms);
  if (results.size() == 2)
    std::printf("speedup %s / %s: %.2fx\n", results[1].backend.c_str(), results[0].backend.c_str(),
                results[1].median_ms / results[0].median_ms);
  if (a.threads > 1 || batch > 1)
    for (size_t i = 0; i < results.size(); ++i) {
      const Scaling& sc = scaling[i];
      const double here = images_per_s(results[i], batch);
      std::printf("%s scaling: %.2fx 1 thread at batch %d (%.1f images/s); %.2fx batch 1 at %d threads "
                  "(%.1f images/s); %.2fx 1 thread at batch 1 (%.1f images/s)\n",
                  results[i].backend.c_str(), here / sc.one_thread, batch, sc.one_thread,
                  here / sc.batch_one, a.threads, sc.batch_one, here / sc.one_thread_batch_one,
                  sc.one_thread_batch_one);
    }
  return 0;
}

}  // namespace micronet::cli
