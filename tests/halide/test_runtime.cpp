// The Halide runtime without the reference: memory plan, arena reuse, thread safety and
// errors for bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <cmath>
#include <limits>
#include <mutex>
#include <thread>

#include "models/random_weights.h"
#include "runtime/arena.h"
#include "runtime/finite_copy.h"
#include "runtime/halide_model.h"
#include "runtime/scratch_allocator.h"
#include "runtime/threading.h"

namespace micronet {
namespace {

TEST(Arena, TensorsAliveTogetherNeverOverlap) {
  // A chain with one long-lived tensor (a residual source).
  std::vector<ArenaRequest> req = {{1000, 0, 1}, {4000, 1, 2}, {2000, 2, 5}, {3000, 3, 4}, {500, 4, 5}};
  const ArenaPlan p = plan_arena(req);
  for (size_t i = 0; i < req.size(); ++i)
    for (size_t j = i + 1; j < req.size(); ++j) {
      const bool alive_together = !(req[i].last_use < req[j].first_use || req[j].last_use < req[i].first_use);
      if (!alive_together) continue;
      const bool disjoint = p.offsets[i] + req[i].bytes <= p.offsets[j] || p.offsets[j] + req[j].bytes <= p.offsets[i];
      EXPECT_TRUE(disjoint) << i << " and " << j;
    }
  size_t sum = 0;
  for (auto& r : req) sum += r.bytes;
  EXPECT_LT(p.total_bytes, sum);  // reuse happened
}

TEST(Arena, OffsetsAreAligned) {
  const ArenaPlan p = plan_arena({{13, 0, 0}, {7, 0, 1}, {100, 1, 1}});
  for (size_t o : p.offsets) EXPECT_EQ(o % 64, 0u);
}

HalideModel make_model(const std::string& arch, int h = 224, int w = 224) {
  const ModelPlan plan = plan_model(model_config(arch), h, w);
  return HalideModel(plan, random_weights(plan, 3), "random");
}

TEST(ScratchAllocator, BlocksAreAlignedWritableAndReusedBySizeClass) {
  void* a = scratch_malloc(nullptr, 1000);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % 64, 0u);
  std::memset(static_cast<char*>(a) - 8, 1, 1000 + 16);  // Halide may touch 8 bytes either side
  scratch_free(nullptr, a);
  void* b = scratch_malloc(nullptr, 1010);  // the same class: the cached block comes back
  EXPECT_EQ(a, b);
  void* c = scratch_malloc(nullptr, 1010);  // none cached now: a new one
  EXPECT_NE(b, c);
  scratch_free(nullptr, b);
  scratch_free(nullptr, c);
  scratch_free(nullptr, nullptr);
  // Larger than any class: passes through to the C allocator.
  void* big = scratch_malloc(nullptr, size_t(3) << 20);
  ASSERT_NE(big, nullptr);
  std::memset(big, 2, size_t(3) << 20);
  scratch_free(nullptr, big);
  // More frees than a class caches, and frees on another thread (its cache, freed at its exit).
  std::vector<void*> many;
  for (int i = 0; i < 40; ++i) many.push_back(scratch_malloc(nullptr, 5000));
  std::thread t([&] {
    for (int i = 0; i < 20; ++i) scratch_free(nullptr, many[size_t(i)]);
  });
  t.join();
  for (size_t i = 20; i < many.size(); ++i) scratch_free(nullptr, many[i]);
}

TEST(HalideModel, PeakArenaIsReportedAndDoesNotGrowAcrossRuns) {
  HalideModel m = make_model("m0");
  const size_t peak = m.arena_bytes(1);
  // The largest single activation of M0 at 224 is the stem output, 4 x 112 x 112 floats;
  // the arena must hold at least that and far less than the sum of all activations.
  EXPECT_GE(peak, size_t(4) * 112 * 112 * 4);
  std::vector<float> x(3 * 224 * 224, 0.5f);
  const std::vector<float> first = m.run(x.data(), 1);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(m.run(x.data(), 1), first);
  EXPECT_EQ(m.arenas_allocated(), 1u);
  EXPECT_EQ(m.arena_bytes(1), peak);
  EXPECT_GT(m.arena_bytes(4), 3 * peak);  // a batch-4 plan is bigger, planned separately
}

TEST(HalideModel, ConcurrentCallsGiveTheSameResult) {
  HalideModel m = make_model("m1");
  std::vector<float> x(3 * 224 * 224);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(float(i) * 0.01f);
  const std::vector<float> want = m.run(x.data(), 1);
  std::vector<std::vector<float>> got(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back([&, t] { got[t] = m.run(x.data(), 1); });
  for (auto& t : threads) t.join();
  for (auto& g : got) EXPECT_EQ(g, want);
}

// Two models, two batch sizes, several rounds from four threads: the arena pool hands out
// and takes back arenas of different batches concurrently (the TSan run's main target).
TEST(HalideModel, ConcurrentCallsOfTwoModelsAndBatchesGiveTheSameResults) {
  const HalideModel a = make_model("m0", 64, 64), b = make_model("m2", 48, 80);
  std::vector<float> xa(2 * 3 * 64 * 64), xb(2 * 3 * 48 * 80);
  for (size_t i = 0; i < xa.size(); ++i) xa[i] = std::cos(float(i) * 0.003f);
  for (size_t i = 0; i < xb.size(); ++i) xb[i] = std::sin(float(i) * 0.007f);
  const std::vector<float> want_a1 = a.run(xa.data(), 1), want_a2 = a.run(xa.data(), 2);
  const std::vector<float> want_b1 = b.run(xb.data(), 1), want_b2 = b.run(xb.data(), 2);
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round) {
        const int batch = 1 + (t + round) % 2;
        const bool first = t % 2 == 0;
        const std::vector<float> got = first ? a.run(xa.data(), batch) : b.run(xb.data(), batch);
        const std::vector<float>& want = first ? (batch == 1 ? want_a1 : want_a2) : (batch == 1 ? want_b1 : want_b2);
        if (got != want) ++mismatches[t];
      }
    });
  for (auto& t : threads) t.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
  EXPECT_LE(a.arenas_allocated(), 4u);  // reused, not one per call
}

TEST(HalideModel, NaNInputIsAnErrorNamingTheIndex) {
  HalideModel m = make_model("m0");
  std::vector<float> x(3 * 224 * 224, 0.f);
  x[1234] = std::numeric_limits<float>::quiet_NaN();
  try {
    m.run(x.data(), 1);
    FAIL() << "expected RunError";
  } catch (const RunError& e) {
    EXPECT_NE(std::string(e.what()).find("1234"), std::string::npos) << e.what();
    // 1234 = y 5, x 114 of channel 0 at 224x224.
    EXPECT_NE(std::string(e.what()).find("(n=0, c=0, y=5, x=114)"), std::string::npos) << e.what();
  }
}

// The input check is vectorized over chunks of 2048 values: a non-finite value is found, with
// its index, at either end of a chunk and of the input, whatever its sign and payload; the
// largest, smallest and subnormal finite values pass.
TEST(HalideModel, NonFiniteInputIsFoundWhereverItIsAndExtremeFiniteValuesPass) {
  HalideModel m = make_model("m0", 64, 64);
  const size_t n = 2 * 3 * 64 * 64;  // batch 2: 24576 values, 12 chunks
  std::vector<float> x(n, 0.25f);
  for (float ok : {std::numeric_limits<float>::max(), -std::numeric_limits<float>::max(),
                   std::numeric_limits<float>::denorm_min(), -std::numeric_limits<float>::min(), -0.f}) {
    x[2047] = x[2048] = x[n - 1] = ok;
    EXPECT_NO_THROW(m.run(x.data(), 2)) << ok;
  }
  std::fill(x.begin(), x.end(), 0.25f);
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  for (float bad : {nan, -nan, inf, -inf, std::numeric_limits<float>::signaling_NaN()})
    for (size_t at : {size_t(0), size_t(2047), size_t(2048), size_t(12287), size_t(12288), n - 1}) {
      x[at] = bad;
      try {
        m.run(x.data(), 2);
        ADD_FAILURE() << "no error for " << bad << " at " << at;
      } catch (const RunError& e) {
        EXPECT_NE(std::string(e.what()).find("flat index " + std::to_string(at) + " "), std::string::npos)
            << e.what();
      }
      x[at] = 0.25f;
    }
}

// Numerically invalid weights ran silently before (1000 NaN logits, exit 0): they are
// refused at load, naming the tensor.
TEST(HalideModel, NonFiniteWeightIsAnErrorNamingTheKey) {
  const ModelPlan plan = plan_model(model_config("m0"));
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    TensorMap w = random_weights(plan, 1);
    w.at("features.2.layers.0.conv.0.weight").f32_data()[3] = bad;
    try {
      HalideModel m(plan, w, "w.safetensors");
      FAIL() << "expected FormatError";
    } catch (const FormatError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("w.safetensors"), std::string::npos) << msg;
      EXPECT_NE(msg.find("features.2.layers.0.conv.0.weight"), std::string::npos) << msg;
      EXPECT_NE(msg.find("non-finite"), std::string::npos) << msg;
    }
  }
}

// The chunked check-and-copy of the GPU input path (DeviceRun::upload_input_checked): on the
// pool, every chunk copied exactly and handed to ready() once; with non-finite values in
// several chunks, the first one of the whole input is reported and its chunk not handed on.
TEST(FiniteCopy, ChunkedCopyOnThePoolReportsTheFirstNonFiniteValueOfTheWholeInput) {
  const int previous = worker_threads();
  set_worker_threads(2);
  const size_t n = 100003, chunk = 4096;  // 25 chunks, the last one short
  std::vector<float> in(n), out(n, -1.f);
  for (size_t i = 0; i < n; ++i) in[i] = float(i) * 0.5f - 7.f;
  std::mutex mu;
  std::vector<std::pair<size_t, size_t>> handed;
  auto ready = [&](size_t off, size_t count) {
    std::lock_guard<std::mutex> lock(mu);
    handed.emplace_back(off, count);
  };
  EXPECT_EQ(copy_checking_finite_chunked(in.data(), out.data(), n, chunk, ready), n);
  EXPECT_EQ(in, out);
  std::sort(handed.begin(), handed.end());
  ASSERT_EQ(handed.size(), (n + chunk - 1) / chunk);
  for (size_t c = 0; c < handed.size(); ++c) {
    EXPECT_EQ(handed[c].first, c * chunk);
    EXPECT_EQ(handed[c].second, std::min(chunk, n - c * chunk));
  }
  handed.clear();
  in[3 * chunk + 17] = std::numeric_limits<float>::infinity();
  in[9 * chunk + 1] = std::numeric_limits<float>::quiet_NaN();
  in[n - 1] = -std::numeric_limits<float>::infinity();
  EXPECT_EQ(copy_checking_finite_chunked(in.data(), out.data(), n, chunk, ready), 3 * chunk + 17);
  for (const auto& h : handed) EXPECT_NE(h.first, 3 * chunk) << "the chunk holding the bad value went on";
  EXPECT_EQ(copy_checking_finite_chunked(in.data(), nullptr, 0, chunk, ready), 0u);
  set_worker_threads(previous);
}

TEST(HalideModel, NegativeRunningVarianceIsAnErrorNamingTheKey) {
  const ModelPlan plan = plan_model(model_config("m0"));
  TensorMap w = random_weights(plan, 1);
  w.at("features.1.layers.0.conv.3.running_var").f32_data()[0] = -0.5f;
  try {
    HalideModel m(plan, w, "w.safetensors");
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("features.1.layers.0.conv.3.running_var"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("negative"), std::string::npos) << e.what();
  }
}

// A batch whose tensors outgrow Halide's int32 indexing is refused before anything is
// allocated or any stride computed (65536 x 3 x 224 x 224 values overflow int32).
TEST(HalideModel, BatchBeyondInt32IndexingIsAnError) {
  HalideModel m = make_model("m0");
  const float dummy = 0.f;  // never read: the check comes first
  try {
    m.run(&dummy, 65536);
    FAIL() << "expected RunError";
  } catch (const RunError& e) {
    EXPECT_NE(std::string(e.what()).find("batch 65536"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("at most"), std::string::npos) << e.what();
  }
  // The fuzzer's case: 65536 x 3 x 1 x 1 is small, but a 256-channel layer read through the
  // row halo spans (1 + 2 x 64) x 256 values per image: past 2^31 at that batch (the
  // kernel's own Halide check caught it only after the strides were computed).
  HalideModel tiny = make_model("m0", 1, 1);
  const std::vector<float> x(size_t(65536) * 3, 0.f);
  EXPECT_THROW(tiny.run(x.data(), 65536), RunError);
  EXPECT_NO_THROW(tiny.run(x.data(), 2));
}

TEST(HalideModel, MissingWeightIsAnErrorNamingTheKey) {
  const ModelPlan plan = plan_model(model_config("m2"));
  TensorMap w = random_weights(plan, 1);
  w.erase("features.3.layers.1.fc.2.bias");
  try {
    HalideModel m(plan, w, "w.safetensors");
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("features.3.layers.1.fc.2.bias"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("w.safetensors"), std::string::npos);
  }
}

TEST(HalideModel, WrongShapedWeightIsAnError) {
  const ModelPlan plan = plan_model(model_config("m0"));
  TensorMap w = random_weights(plan, 1);
  w["features.1.layers.4.conv.0.weight"] = Tensor::f32({8, 4, 1, 1}, std::vector<float>(32, 0.f));
  EXPECT_THROW(HalideModel(plan, w, "w"), FormatError);
}

TEST(HalideModel, OtherInputSizesRunThroughTheSameKernels) {
  HalideModel m = make_model("m3", 256, 192);
  std::vector<float> x(2 * 3 * 256 * 192, 0.25f);
  const std::vector<float> y = m.run(x.data(), 2);
  ASSERT_EQ(y.size(), 2000u);
  for (float v : y) ASSERT_TRUE(std::isfinite(v));
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(y[i], y[1000 + i]);  // batch rows are independent
}

TEST(HalideModel, BadBatchIsAnError) {
  HalideModel m = make_model("m0");
  std::vector<float> x(3 * 224 * 224, 0.f);
  EXPECT_THROW(m.run(x.data(), 0), RunError);
}

// ---- Execution over the worker threads (HalideModel::execution_plan, runtime/threading.h) ----

// Sets the worker threads for one test and puts the previous count back.
struct WorkerThreads {
  const int before = HalideModel::num_threads();
  explicit WorkerThreads(int n) { HalideModel::set_num_threads(n); }
  ~WorkerThreads() { HalideModel::set_num_threads(before); }
};

std::vector<float> wavy_input(int batch, int h, int w, float freq) {
  std::vector<float> x(size_t(batch) * 3 * h * w);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(float(i) * freq) + 0.1f * float(i % 7);
  return x;
}

// Each image of `x` run alone (batch 1) on one thread, the logits concatenated.
std::vector<float> images_alone(const HalideModel& m, const std::vector<float>& x, int batch) {
  WorkerThreads one(1);
  const size_t image = size_t(3) * m.plan().input_h * m.plan().input_w;
  std::vector<float> all;
  for (int i = 0; i < batch; ++i) {
    const std::vector<float> y = m.run(x.data() + i * image, 1);
    all.insert(all.end(), y.begin(), y.end());
  }
  return all;
}

// The logits of a batch do not depend on how it runs: every execution, with 1 and 2 worker
// threads, gives bit for bit the logits of its images run alone (the same kernels do the
// same arithmetic in the same order; only where and when they run differs).
TEST(HalideModel, BatchEqualsItsImagesRunAloneWithEveryExecutionAndThreadCount) {
  using E = HalideModel::Execution;
  for (const std::string arch : {"m0", "m1", "m2", "m3"}) {
    HalideModel m = make_model(arch, 64, 64);
    const int batch = 5;  // 2 rounds of 2 tasks and one image left over with 2 threads
    const std::vector<float> x = wavy_input(batch, 64, 64, 0.013f);
    const std::vector<float> want = images_alone(m, x, batch);
    for (int threads : {1, 2}) {
      WorkerThreads t(threads);
      for (E e : {E::Auto, E::ImageTasks, E::KernelLoops, E::WholeBatch}) {
        m.set_execution(e);
        EXPECT_EQ(m.run(x.data(), batch), want) << arch << ", " << threads << " threads, execution " << int(e);
      }
    }
  }
  // The full-size input, through the default execution.
  HalideModel m0 = make_model("m0");
  const std::vector<float> x = wavy_input(3, 224, 224, 0.002f);
  const std::vector<float> want = images_alone(m0, x, 3);
  for (int threads : {1, 2}) {
    WorkerThreads t(threads);
    EXPECT_EQ(m0.run(x.data(), 3), want) << threads << " threads";
  }
}

TEST(HalideModel, ExecutionPlanCoversTheBatchOnTheThreadsAvailable) {
  HalideModel m = make_model("m0", 64, 64);
  {
    WorkerThreads t(100000);  // more than any machine has: capped at its CPUs
    EXPECT_EQ(HalideModel::num_threads(), m.execution_plan(1).threads);
    EXPECT_GE(HalideModel::num_threads(), 1);
    EXPECT_LE(HalideModel::num_threads(), int(std::max(1u, std::thread::hardware_concurrency())));
  }
  for (int threads : {1, 2, 4}) {
    for (int batch : {1, 2, 3, 8, 9, 32}) {
      const HalideModel::ExecutionPlan p = m.execution_plan(batch, threads);
      EXPECT_LE(p.threads, threads);
      EXPECT_EQ(p.tasks + p.tail_images, batch) << threads << " threads, batch " << batch;
      EXPECT_FALSE(p.whole_batch);
      if (p.threads == 1) EXPECT_EQ(p.tail_images, 0);  // one thread: no loops to share
      // Images beyond whole rounds of tasks only: never a round with idle threads but one.
      EXPECT_LT(p.tail_images, std::max(p.threads, 2)) << threads << " threads, batch " << batch;
      if (p.threads > 1 && batch >= p.threads) EXPECT_GE(p.tasks, batch - batch % p.threads);
    }
  }
}

// The single-image choice between the kernels' loops on all threads and one thread: both
// ways are tried first, then the faster one runs, the slower one once in a while; a new
// thread count starts over.
TEST(LoopSpeedup, TriesBothWaysThenKeepsTheFasterAndRechecksTheOther) {
  LoopSpeedup s;
  EXPECT_EQ(s.speedup(2), 0.0);
  int loops = 0;
  for (int i = 0; i < 2 * LoopSpeedup::kSamples; ++i) {
    const bool l = s.next_uses_loops(2);
    loops += l;
    s.record(2, l, l ? 0.5 : 1.0);
  }
  EXPECT_EQ(loops, LoopSpeedup::kSamples);
  EXPECT_DOUBLE_EQ(s.speedup(2), 2.0);
  int inline_runs = 0;
  for (int i = 0; i < 4 * LoopSpeedup::kRecheck; ++i) inline_runs += !s.next_uses_loops(2);
  EXPECT_EQ(inline_runs, 4);  // the slower way, rechecked
  // The load changes: the loops get slow; three slow samples of them turn the choice.
  for (int i = 0; i < LoopSpeedup::kSamples; ++i) s.record(2, true, 3.0);
  EXPECT_NEAR(s.speedup(2), 1.0 / 3.0, 1e-12);
  EXPECT_FALSE(s.next_uses_loops(2));
  // Another thread count: unmeasured again.
  EXPECT_EQ(s.speedup(4), 0.0);
  EXPECT_FALSE(s.next_uses_loops(4));  // inline first
  EXPECT_EQ(s.speedup(2), 0.0);
}

// A non-finite value is reported for the first image that has one, whichever thread's task
// found it first; the model keeps working afterwards (every arena went back to its pool).
TEST(HalideModel, NaNInABatchNamesTheFirstImageWithOne) {
  HalideModel m = make_model("m1", 64, 64);
  const int batch = 6;
  std::vector<float> x = wavy_input(batch, 64, 64, 0.01f);
  const std::vector<float> want = images_alone(m, x, batch);
  const size_t image = 3 * 64 * 64;
  std::vector<float> bad = x;
  bad[4 * image + 77] = std::numeric_limits<float>::infinity();
  bad[1 * image + 4096 + 5] = std::numeric_limits<float>::quiet_NaN();  // c=1, y=0, x=5
  for (int threads : {1, 2}) {
    WorkerThreads t(threads);
    try {
      m.run(bad.data(), batch);
      FAIL() << "expected RunError";
    } catch (const RunError& e) {
      EXPECT_NE(std::string(e.what()).find("(n=1, c=1, y=0, x=5)"), std::string::npos) << e.what();
    }
    EXPECT_EQ(m.run(x.data(), batch), want) << threads << " threads";
  }
}

// Several callers at once, batches of 1..4 on two models, while another thread switches the
// worker threads between 1 and 2: every result equals the images run alone (the TSan run's
// target for the thread pool, the image tasks and the arena pool).
TEST(HalideModel, ConcurrentBatchedRunsOnTheWorkerThreadsGiveTheSameResults) {
  const HalideModel a = make_model("m0", 64, 64), b = make_model("m3", 48, 64);
  const std::vector<float> xa = wavy_input(4, 64, 64, 0.004f), xb = wavy_input(4, 48, 64, 0.009f);
  const std::vector<float> want_a = images_alone(a, xa, 4), want_b = images_alone(b, xb, 4);
  WorkerThreads two(2);
  std::atomic<bool> stop{false};
  std::thread switcher([&] {
    for (int i = 0; !stop.load(); ++i) {
      HalideModel::set_num_threads(1 + i % 2);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t)
    callers.emplace_back([&, t] {
      for (int round = 0; round < 4; ++round) {
        const int batch = 1 + (t + round) % 4;
        const bool first = t % 2 == 0;
        const HalideModel& m = first ? a : b;
        const std::vector<float>& x = first ? xa : xb;
        const std::vector<float>& want = first ? want_a : want_b;
        const std::vector<float> got = m.run(x.data(), batch);
        if (!std::equal(got.begin(), got.end(), want.begin(), want.begin() + got.size())) ++mismatches[t];
      }
    });
  for (auto& c : callers) c.join();
  stop = true;
  switcher.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(mismatches[t], 0) << "caller " << t;
}

// The pool's loops (each thread owns a block of indices and takes over what is left of the
// others'): every index runs exactly once whatever the count against the threads (fewer
// indices than threads, one, a prime, many), over many loops back to back, as a model issues
// them; and an error is the lowest-numbered failing task's, with no task before it skipped.
TEST(WorkerPool, EveryIndexRunsOnceAndTheLowestFailingTaskIsReported) {
  for (int threads : {1, 2, 3}) {
    WorkerThreads t(threads);
    for (int n : {1, 2, 3, 7, 64, 1000}) {
      for (int round = 0; round < 50; ++round) {
        std::vector<std::atomic<int>> runs(n);
        run_tasks(n, [&](int i) { runs[i].fetch_add(1); });
        for (int i = 0; i < n; ++i) ASSERT_EQ(runs[i].load(), 1) << "index " << i << " of " << n;
      }
    }
    std::vector<std::atomic<int>> ran(40);
    try {
      run_tasks(40, [&](int i) {
        ran[i].fetch_add(1);
        if (i == 31 || i == 12) throw std::runtime_error("task " + std::to_string(i));
      });
      FAIL() << "no exception";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "task 12") << threads << " threads";
    }
    for (int i = 0; i <= 12; ++i) EXPECT_EQ(ran[i].load(), 1) << "task " << i << " was skipped";
  }
}

}  // namespace
}  // namespace micronet
