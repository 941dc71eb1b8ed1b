// Every kernel of every model on its real 224x224 layer shape, batch 1, one thread,
// reporting GMAC/s; and, for one layer per op family, the same layer compiled by Halide's
// Mullapudi2016 autoscheduler (the baseline the manual x86 schedules must beat).
//   build/bin/bench_kernels [--threads=N] [--benchmark_filter=m0/]
// --threads=N runs each kernel's parallel loops on the runtime's pool of N threads (as a
// model's single image does with `--threads N`): which kernels scale, and which do not.
// Inputs rotate over several copies so caches are not warm by accident across layers.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "HalideRuntime.h"
#include "models/kernel_abi.h"
#include "models/cost.h"
#include "models/kernel_plan.h"
#include "models/random_weights.h"
#include "runtime/kernel_call.h"
#include "runtime/prepared_weights.h"
#include "runtime/threading.h"

#include "baselines.inc"

namespace micronet {
namespace {

struct LayerCase {
  KernelStep step;
  PreparedStep prepared;
  int64_t madds = 0;
};

// Tensors with the arena's slack around them (kernel_call.h).
struct Slab {
  std::vector<float> data;
  explicit Slab(size_t n) : data(n + 2 * kRowHalo, 0.5f) {}
  float* get() { return data.data() + kRowHalo; }
};

size_t elems(int c, int h, int w) { return size_t(c) * h * w; }

void run_layer(benchmark::State& state, const LayerCase& lc, const KernelEntry& kernel) {
  const KernelStep& s = lc.step;
  const size_t in_n = elems(s.spec.family == KernelFamily::Stem ? 3 : s.spec.in_channels, s.in_h, s.in_w);
  const size_t out_n = s.spec.family == KernelFamily::Head ? size_t(s.spec.classes)
                                                           : elems(s.spec.out_channels, s.out_h, s.out_w);
  constexpr int kCopies = 4;
  std::vector<std::unique_ptr<Slab>> ins;
  for (int i = 0; i < kCopies; ++i) ins.push_back(std::make_unique<Slab>(in_n));
  Slab out(out_n), res(out_n);
  int i = 0;
  for (auto _ : state) {
    call_kernel(kernel, s, lc.prepared, 1, ins[i++ % kCopies]->get(),
                s.spec.residual ? res.get() : nullptr, out.get());
    benchmark::ClobberMemory();
  }
  state.counters["GMAC/s"] = benchmark::Counter(double(lc.madds) * state.iterations() * 1e-9,
                                                benchmark::Counter::kIsRate);
}

std::vector<LayerCase> layers_of(const std::string& arch) {
  const ModelPlan plan = plan_model(model_config(arch));
  const std::vector<KernelStep> steps = lower_plan(plan);
  const std::vector<PreparedStep> prepared = prepare_weights(plan, steps, random_weights(plan, 1));
  std::vector<LayerCase> out;
  for (size_t i = 0; i < steps.size(); ++i) {
    LayerCase lc{steps[i], prepared[i], 0};
    const Block& b = plan.blocks[steps[i].block];
    lc.madds = op_cost(b.ops[steps[i].conv_op]).madds();
    if (steps[i].act_op >= 0) lc.madds += op_cost(b.ops[steps[i].act_op]).madds();
    out.push_back(lc);
  }
  return out;
}

void register_all() {
  static std::vector<std::vector<LayerCase>> keep;
  for (const std::string& arch : known_archs()) {
    keep.push_back(layers_of(arch));
    for (size_t i = 0; i < keep.back().size(); ++i) {
      const LayerCase* lc = &keep.back()[i];
      const KernelEntry* k = find_kernel(lc->step.spec.name());
      const std::string name = arch + "/" + std::to_string(i) + "/" + lc->step.spec.name();
      benchmark::RegisterBenchmark((name + "/manual").c_str(),
                                   [lc, k](benchmark::State& st) { run_layer(st, *lc, *k); });
      for (const auto& b : kBaselines) {
        if (arch != "m0" || lc->step.spec.name() != b.name) continue;
        static std::vector<KernelEntry> entries;
        entries.reserve(16);
        entries.push_back(KernelEntry{b.name, b.argv, nullptr});
        const KernelEntry* e = &entries.back();
        benchmark::RegisterBenchmark((name + "/mullapudi2016").c_str(),
                                     [lc, e](benchmark::State& st) { run_layer(st, *lc, *e); });
      }
    }
  }
}

}  // namespace
}  // namespace micronet

int main(int argc, char** argv) {
  // Our one flag, taken out before Google Benchmark parses (and refuses) the rest.
  int threads = 1, kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--threads=", 0) == 0) {
      char* end = nullptr;
      const long n = std::strtol(arg.c_str() + 10, &end, 10);
      if (*end != '\0' || n < 1 || n > 1024) {
        std::fprintf(stderr, "bench_kernels: --threads wants an integer in [1, 1024], got '%s'\n",
                     arg.c_str() + 10);
        return 2;
      }
      threads = int(n);
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  const int used = micronet::set_worker_threads(threads);
  benchmark::AddCustomContext("threads", std::to_string(used));
  micronet::register_all();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
