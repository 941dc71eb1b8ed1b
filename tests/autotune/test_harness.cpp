// The tuner end to end on one small kernel: spaces prune, candidates compile with the AOT
// build's generators and load into this process, a wrong candidate is rejected, a rerun
// resumes, shards partition the kernel list.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "Halide.h"
#include "autotune/candidate_compiler.h"
#include "autotune/candidate_library.h"
#include "autotune/kernel_space.h"
#include "autotune/tuner.h"
#include "autotune/tuning_db.h"
#include "autotune/workloads.h"
#include "models/config_json.h"

namespace micronet::tune {
namespace {

namespace fs = std::filesystem;

const std::vector<Workload>& all_workloads() {
  static const std::vector<Workload> w = workloads_for(shipped_models(), 1);
  return w;
}

const Workload& workload(const std::string& name) {
  for (const Workload& w : all_workloads())
    if (w.step.spec.name() == name) return w;
  throw std::runtime_error("no workload " + name);
}

fs::path scratch(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("micronet_test_harness_" + name + "_" + std::to_string(getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

const Halide::Target kAvx512("x86-64-linux-avx512_skylake");
const Halide::Target kAvx2("x86-64-linux-avx2-fma");

TEST(KernelSpace, PrunesPointsThatCannotBeValid) {
  // 32 output channels in 4 groups: 8 per group, so oc_block 3, 6, 12, 16 cannot tile them.
  const sched::KnobSpace s = kernel_space(workload("gconv_c144x32_g4").step.spec, kAvx512);
  const std::vector<sched::Knobs> valid = s.valid_points();
  ASSERT_FALSE(valid.empty());
  EXPECT_LT(valid.size(), s.size());
  for (const sched::Knobs& k : valid) {
    EXPECT_EQ(8 % k.get("oc_block", 0), 0) << sched::to_string(k);
    EXPECT_LE(k.get("tile_vectors", 0) * k.get("oc_block", 0) + 2, 32) << sched::to_string(k);
  }
  // AVX2 has 16 vector registers: fewer register tiles are valid than with AVX-512's 32.
  EXPECT_LT(kernel_space(workload("gconv_c144x32_g4").step.spec, kAvx2).valid_points().size(), valid.size());
  // A 7-wide row: no 16- or 32-float row vectors.
  const sched::KnobSpace narrow = kernel_space(workload("dwsep_c720_e1x1_k3s1_sm2x2q44").step.spec, kAvx512);
  for (const sched::Knobs& k : narrow.valid_points()) EXPECT_LE(k.get("x_vector", 0) * k.get("x_unroll", 0), 8);
  EXPECT_TRUE(s.violation(s.default_point()).empty());
}

TEST(KernelSpace, LargestFamiliesAreARealSearch) {
  // The group convs and the factorized depthwise + Shift-Max kernels hold most of the time.
  for (const char* k : {"gconv_c144x32_g4_sm2x1q8", "gconv_c120x720_g12_relu6", "dwsep_c128_e1x1_k5s2_sm2x2q16",
                        "dwsep_c384_e1x1_k5s1_sm2x2q24"})
    EXPECT_GE(kernel_space(workload(k).step.spec, kAvx512).valid_points().size(), 200u) << k;
}

TEST(KernelSpace, RecordsOutsideTheSpaceAreErrors) {
  const sched::KnobSpace s = kernel_space(workload("gconv_c144x32_g4").step.spec, kAvx512);
  sched::Knobs bad;
  bad.set("tile_vectors", 5);
  EXPECT_THROW(s.resolve(bad), std::invalid_argument);
  sched::Knobs unknown;
  unknown.set("bogus", 1);
  try {
    s.resolve(unknown);
    FAIL() << "an unknown knob was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("bogus"), std::string::npos) << e.what();
  }
}

TEST(Harness, CompilesLoadsAndRunsACandidate) {
  const fs::path dir = scratch("compile");
  CompileOptions o;
  o.target = "host";
  o.work_dir = dir.string();
  o.generator_dir = MICRONET_TEST_GENERATOR_DIR;
  const Workload& w = workload("gconv_c144x32_g4");
  sched::Knobs k;
  k.set("tile_vectors", 1);
  k.set("oc_block", 8);
  const CompileResult a = compile_candidate(w.step.spec, Candidate{}, o, "a");
  const CompileResult b = compile_candidate(w.step.spec, Candidate{k, ""}, o, "b");
  ASSERT_TRUE(a.ok) << a.error;
  ASSERT_TRUE(b.ok) << b.error;
  CandidateLibrary la(a.library, a.function), lb(b.library, b.function);
  MeasureOptions mo;
  mo.repeats = 2;
  mo.repeat_seconds = 0.002;
  const Timing ta = measure_kernel(la.entry(), w, mo), tb = measure_kernel(lb.entry(), w, mo);
  EXPECT_GT(ta.min_us, 0);
  EXPECT_LE(relative_l2(tb.output, ta.output), 1e-5);
  fs::remove_all(dir);
}

TEST(Harness, RejectsAWrongScheduleAndResumes) {
  // A generator that miscompiles every non-default candidate (tests/autotune/data).
  const fs::path dir = scratch("wrong");
  const fs::path gens = dir / "generators";
  fs::create_directories(gens);
  for (const char* f : {"micronet_gconv.generator"})
    fs::copy_file(MICRONET_TEST_DATA_DIR "/wrong_generator.sh", gens / f);
  setenv("MICRONET_REAL_GENERATORS", MICRONET_TEST_GENERATOR_DIR, 1);
  TuneOptions o;
  o.budget = 3;
  o.strategy = "random";
  o.baselines = false;
  o.db = (dir / "db.jsonl").string();
  o.generator_dir = gens.string();
  o.measure.repeats = 2;
  o.measure.repeat_seconds = 0.002;
  std::ostringstream progress;
  const std::vector<Workload> w = {workload("gconv_c144x32_g4")};
  const std::vector<KernelSummary> s = tune(w, o, progress);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].failed, 3) << progress.str();
  EXPECT_EQ(s[0].best, "defaults");
  std::vector<TuningRecord> db = read_db(o.db);
  ASSERT_EQ(db.size(), 4u);
  int wrong = 0;
  for (const TuningRecord& r : db) {
    if (r.status == Status::Wrong) {
      ++wrong;
      EXPECT_GT(r.rel_l2, 1e-5);
      EXPECT_NE(r.error.find("rel L2"), std::string::npos) << r.error;
    }
  }
  EXPECT_EQ(wrong, 3);
  // Resume: the same run again measures nothing new (the default is re-run for its output
  // only), and a larger budget measures only the difference.
  const std::vector<KernelSummary> again = tune(w, o, progress);
  EXPECT_EQ(read_db(o.db).size(), 4u);
  EXPECT_EQ(again[0].skipped, 1);
  o.budget = 4;
  tune(w, o, progress);
  EXPECT_EQ(read_db(o.db).size(), 5u);
  fs::remove_all(dir);
}

TEST(Harness, ANewerRecordOfAPointReplacesItsVerdict) {
  // --verify appends a re-measurement; a winner that now fails stops being chosen.
  auto rec = [](int tile, double us, Status st) {
    TuningRecord r;
    r.kernel = "gconv_c144x32_g4";
    r.family = "gconv";
    r.target = "x86-64-linux-avx512_skylake";
    r.target_family = "x86";
    r.machine = "m";
    r.knobs = {{"tile_vectors", tile}};
    r.min_us = r.median_us = us;
    r.status = st;
    return r;
  };
  std::vector<TuningRecord> db = {rec(1, 10, Status::Ok), rec(2, 8, Status::Ok)};
  EXPECT_EQ(best_records(db, "m").at(0).knobs.at("tile_vectors"), 2);
  db.push_back(rec(2, 0, Status::RunError));
  EXPECT_EQ(best_records(db, "m").at(0).knobs.at("tile_vectors"), 1);
  EXPECT_EQ(latest_per_point(db).size(), 2u);
}

TEST(Harness, ChecksEveryCandidateAtAnOddSizeToo) {
  const Workload& w = workload("dwsep_c16_e2x2_k3s2_sm2x2q8");
  EXPECT_NE(w.odd_step.in_w, w.step.in_w);
  EXPECT_EQ(w.odd_step.spec.name(), w.step.spec.name());
  // Mullapudi2016's schedule of this kernel assumes a plane at least a tile wide: it runs at
  // the tuning size and fails at the odd one, so the harness must refuse it.
  const fs::path dir = scratch("odd");
  TuneOptions o;
  o.budget = 1;
  o.strategy = "random";
  o.db = (dir / "db.jsonl").string();
  o.generator_dir = MICRONET_TEST_GENERATOR_DIR;
  o.measure.repeats = 1;
  o.measure.repeat_seconds = 0.002;
  std::ostringstream progress;
  tune({w}, o, progress);
  bool seen = false;
  for (const TuningRecord& r : read_db(o.db))
    if (r.autoscheduler == "Mullapudi2016") {
      seen = true;
      EXPECT_EQ(r.status, Status::RunError) << r.error;
      EXPECT_NE(r.error.find("Output buffer output is accessed at"), std::string::npos) << r.error;
    }
  EXPECT_TRUE(seen) << progress.str();
  fs::remove_all(dir);
}

// The x86 factorized depthwise with `mid` one row per output row (mid_at=0), stride 2 and
// 4-float vectors crashed the tuner (a misaligned aligned load: Halide 14 peeled each row's
// first vector into constant-index strided loads of `mid`, which its codegen claims 64-byte
// aligned; generators/dwsep_generator.cpp). The layer of the searched network it came from
// (results/search/search-fashion64/s3eedff043a92.json: its first three rows and its last): 8x8 in, 4x4 out at 64x64.
TEST(Harness, OneRowMidAtStrideTwoRunsAndMatchesTheDefaults) {
  const fs::path dir = scratch("midrow");
  const fs::path file = dir / "net.json";
  std::ofstream(file) << R"({"name": "midrow", "stem_ch": 6, "stem_groups": [3, 2], "out_ch": 160,
    "init_a": [1.0, 1.0], "init_b": [0.0, 0.0], "init_a_block3": [1.0, 0.0], "act_max": 2.0,
    "reduction": 8, "dropout": 0.05, "classes": 10, "input_size": [64, 64], "rows": [
    {"s": 2, "n": 1, "c": 8, "ks": 7, "c1": 2, "c2": 2, "g1": 0, "g2": 12, "c3": 8, "g3": 4, "g4": 4, "y1": 2, "y2": 2, "y3": 2, "r": 1},
    {"s": 2, "n": 1, "c": 24, "ks": 5, "c1": 1, "c2": 2, "g1": 0, "g2": 4, "c3": 24, "g3": 8, "g4": 8, "y1": 2, "y2": 2, "y3": 0, "r": 2, "J": 1},
    {"s": 2, "n": 1, "c": 24, "ks": 7, "c1": 1, "c2": 2, "g1": 0, "g2": 12, "c3": 24, "g3": 4, "g4": 4, "y1": 0, "y2": 0, "y3": 1, "r": 1, "J": 1},
    {"s": 1, "n": 1, "c": 288, "ks": 7, "c1": 1, "c2": 6, "g1": 4, "g2": 4, "c3": 0, "g3": 0, "g4": 0, "y1": 2, "y2": 1, "y3": 0, "r": 1, "J": 1}]})";
  const std::vector<Workload> all = workloads_for({ModelChoice{file.string(), 64, 64, 10}}, 1);
  const auto it = std::find_if(all.begin(), all.end(), [](const Workload& w) {
    return w.step.spec.name() == "dwsep_c24_e1x2_k7s2_relu6";
  });
  ASSERT_NE(it, all.end());
  const Workload& w = *it;
  EXPECT_EQ(w.step.in_w, 8);
  EXPECT_EQ(w.step.out_w, 4);
  sched::Knobs k;
  k.set("mid_at", 0);
  k.set("planes_per_task", 16);
  k.set("x_unroll", 1);
  k.set("x_vector", 4);
  k.set("y_unroll", 1);
  // In the space again (it was left out while the cause was unknown).
  EXPECT_EQ(kernel_space(w.step.spec, Halide::get_host_target()).violation(k), "");
  CompileOptions o;
  o.target = "host";  // with Halide's assertions, as the tuner compiles candidates
  o.work_dir = dir.string();
  o.generator_dir = MICRONET_TEST_GENERATOR_DIR;
  const CompileResult def = compile_candidate(w.step.spec, Candidate{}, o, "def");
  const CompileResult row = compile_candidate(w.step.spec, Candidate{k, ""}, o, "row");
  ASSERT_TRUE(def.ok) << def.error;
  ASSERT_TRUE(row.ok) << row.error;
  CandidateLibrary ld(def.library, def.function), lr(row.library, row.function);
  MeasureOptions mo;
  mo.repeats = 1;
  mo.repeat_seconds = 0.002;
  mo.batch = 2;
  const Timing td = measure_kernel(ld.entry(), w, mo), tr = measure_kernel(lr.entry(), w, mo);
  ASSERT_FALSE(td.output.empty());
  EXPECT_LE(relative_l2(tr.output, td.output), 1e-5);
  EXPECT_LE(relative_l2(tr.odd_output, td.odd_output), 1e-5);  // the 75x61 plan's layer too
  fs::remove_all(dir);
}

TEST(Harness, ShardsPartitionTheKernels) {
  const std::vector<Workload>& all = all_workloads();
  std::multiset<std::string> seen;
  for (int i = 0; i < 3; ++i)
    for (const Workload& w : shard(all, i, 3)) seen.insert(w.step.spec.name());
  std::multiset<std::string> expected;
  for (const Workload& w : all) expected.insert(w.step.spec.name());
  EXPECT_EQ(seen, expected);
  // Deterministic: the same split every time, whatever the input order.
  std::vector<Workload> reversed(all.rbegin(), all.rend());
  std::set<std::string> a, b;
  for (const Workload& w : shard(all, 1, 3)) a.insert(w.step.spec.name());
  for (const Workload& w : shard(reversed, 1, 3)) b.insert(w.step.spec.name());
  EXPECT_EQ(a, b);
  EXPECT_THROW(shard(all, 3, 3), std::invalid_argument);
}

// `micronet tune --config FILE`: a network from a config file (what `micronet search` writes)
// is a model like M0..M3. Its label carries the file's path and size to micronet-measure,
// which plans it again from the label; a bad file is an error naming it.
TEST(Workloads, AConfigFileIsAModelTheMeasurerCanPlanAgain) {
  const fs::path dir = scratch("config");
  const fs::path file = dir / "net@v1.json";  // an '@' in the path must not cut the label
  std::ofstream(file) << config_to_json(model_config("m0"));
  const ModelChoice m{file.string(), 64, 64, 10};
  const ModelChoice back = parse_model_label(m.label());
  EXPECT_EQ(back.arch, file.string());
  EXPECT_EQ(back.height, 64);
  EXPECT_EQ(back.width, 64);
  EXPECT_EQ(back.classes, 10);
  EXPECT_EQ(kernel_names(back), kernel_names(ModelChoice{"m0", 64, 64, 10}));
  const std::vector<Workload> w = workloads_for({back}, 1);
  ASSERT_EQ(w.size(), kernel_names(back).size());
  EXPECT_EQ(w.front().model, m.label());
  EXPECT_EQ(w.back().step.spec.name(), "head_c384_h640_n10");
  const ModelChoice at224{file.string()};  // default size and classes: still labelled with both
  EXPECT_EQ(parse_model_label(at224.label()).arch, file.string());

  std::ofstream(dir / "bad.json") << "{\"name\": \"x\"}";
  try {
    parse_model_label((dir / "bad.json").string() + "@64x64");
    FAIL() << "a config without rows was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.json"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_model_label("m9"), std::invalid_argument);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace micronet::tune
