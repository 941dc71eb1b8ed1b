#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>

#include "tools/activity.h"
#include "tools/backend.h"
#include "tools/commands.h"
#include "tools/package_loading.h"
#include "tools/memory_budget.h"

namespace micronet::cli {

namespace {

struct Timing {
  std::string backend;
  double median_ms, min_ms, max_ms;
};

Timing time_backend(Backend& b, const std::vector<float>& input, int batch, int iters, int warmup) {
  for (int i = 0; i < warmup; ++i) b.run(input.data(), batch);
  std::vector<double> ms;
  for (int i = 0; i < iters; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    b.run(input.data(), batch);
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
// Timings are wall-clock per call (median of `iters`), after `warmup` untimed calls.
// --profile adds a per-kernel time table (Halide backend) on stderr.
int cmd_bench(const BenchArgs& a) {
  const std::string weights = select_package(a.package, a.weights);
  const ModelMetadata meta = read_weights_metadata(weights);
  const int h = a.height > 0 ? a.height : meta.input_h > 0 ? meta.input_h : 224;
  const int w_ = a.width > 0 ? a.width : meta.input_w > 0 ? meta.input_w : 224;
  const ModelPlan plan = plan_for_weights(a.arch, meta, weights, h, w_);
  check_batch_fits(plan, a.batch, "--batch");
  std::string source;
  const TensorMap w = load_weights_or_random(weights, plan, &source);
  std::vector<float> input;
  {
    Activity doing("allocating the input of --batch " + std::to_string(a.batch));
    input.resize(size_t(a.batch) * 3 * plan.input_h * plan.input_w);
  }
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  for (float& v : input) v = normal(rng);

  const std::vector<std::string> names =
      a.backend == "all" ? available_backends() : std::vector<std::string>{a.backend};
  std::vector<Timing> results;
  for (const std::string& n : names) {
    auto b = make_backend(n, plan, w, source, a.threads, n == "halide" ? a.target : "host");
    Activity doing("running " + n + " on --batch " + std::to_string(a.batch));
    results.push_back(time_backend(*b, input, a.batch, a.iters, a.warmup));
    if (a.profile) {
      const std::string table = b->profile(input.data(), a.batch, a.iters);
      if (!table.empty()) std::cerr << "per-kernel time (" << n << "):\n" << table;
    }
  }
  const int batch = a.batch;
  if (a.json) {
    // One object; with --backend all, the first backend's figures at top level and all in "results".
    const Timing& t = results.front();
    std::printf("{\"arch\": \"%s\", \"backend\": \"%s\", \"threads\": %d, \"batch\": %d, \"iters\": %d, "
                "\"input\": [%d, %d], \"median_ms\": %.4f, \"min_ms\": %.4f, \"max_ms\": %.4f, "
                "\"images_per_s\": %.2f, \"results\": [",
                plan.arch.c_str(), t.backend.c_str(), a.threads, batch, a.iters, plan.input_h, plan.input_w,
                t.median_ms, t.min_ms, t.max_ms, batch * 1000.0 / t.median_ms);
    for (size_t i = 0; i < results.size(); ++i)
      std::printf("%s{\"backend\": \"%s\", \"median_ms\": %.4f, \"min_ms\": %.4f, \"max_ms\": %.4f, \"images_per_s\": %.2f}",
                  i ? ", " : "", results[i].backend.c_str(), results[i].median_ms, results[i].min_ms,
                  results[i].max_ms, batch * 1000.0 / results[i].median_ms);
    std::printf("]}\n");
    return 0;
  }
  std::printf("MicroNet-%s  batch %d  %dx%d  threads %d  iters %d\n", plan.arch.c_str(), batch,
              plan.input_h, plan.input_w, a.threads, a.iters);
  std::printf("%-10s %10s %10s %10s %12s\n", "backend", "median_ms", "min_ms", "max_ms", "images/s");
  for (const Timing& t : results)
    std::printf("%-10s %10.3f %10.3f %10.3f %12.1f\n", t.backend.c_str(), t.median_ms, t.min_ms,
                t.max_ms, batch * 1000.0 / t.median_ms);
  if (results.size() == 2)
    std::printf("speedup %s / %s: %.2fx\n", results[1].backend.c_str(), results[0].backend.c_str(),
                results[1].median_ms / results[0].median_ms);
  return 0;
}

}  // namespace micronet::cli
