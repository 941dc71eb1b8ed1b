// Issue 30: `micronet tune --verify` re-measures the winners; a record it just found wrong
// must not be printed as the best (it printed "3377.00x" for a broken schedule).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <sstream>

#include "Halide.h"
#include "autotune/kernel_space.h"
#include "autotune/tuner.h"
#include "autotune/tuning_db.h"
#include "autotune/workloads.h"

namespace micronet::tune {
namespace {

namespace fs = std::filesystem;

TEST(Verify, ABrokenWinnerIsNotShownAsTheBest) {
  const fs::path dir = fs::temp_directory_path() / ("micronet_test_verify_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "generators");
  // A generator that miscompiles every candidate with knobs (tests/autotune/data).
  fs::copy_file(MICRONET_TEST_DATA_DIR "/wrong_generator.sh", dir / "generators" / "micronet_gconv.generator");
  setenv("MICRONET_REAL_GENERATORS", MICRONET_TEST_GENERATOR_DIR, 1);
  Workload w;
  for (const Workload& x : workloads_for(shipped_models(), 1))
    if (x.step.spec.name() == "gconv_c144x32_g4") w = x;
  ASSERT_EQ(w.step.spec.name(), "gconv_c144x32_g4");
  TuneOptions o;
  o.budget = 1;
  o.strategy = "random";
  o.baselines = false;
  o.db = (dir / "db.jsonl").string();
  o.generator_dir = (dir / "generators").string();
  o.measure.repeats = 2;
  o.measure.repeat_seconds = 0.002;
  std::ostringstream progress;
  tune({w}, o, progress);
  // A lucky old record of a knob point (a harness that did not catch it): 3377x the default.
  const std::vector<TuningRecord> db = read_db(o.db);
  const TuningRecord* def = nullptr;
  for (const TuningRecord& r : db)
    if (is_default_point(r) && r.status == Status::Ok) def = &r;
  ASSERT_NE(def, nullptr);
  TuningRecord lucky = *def;
  const sched::KnobSpace space = kernel_space(w.step.spec, Halide::Target(def->target));
  const std::vector<sched::Knobs> points = space.valid_points();
  ASSERT_GE(points.size(), 2u);
  for (const auto& [k, v] : points[1].values()) lucky.knobs[k] = v;
  lucky.min_us = lucky.median_us = def->min_us / 3377;
  lucky.strategy = "random";
  append_record(o.db, lucky);
  o.verify = true;
  std::ostringstream verify_progress;
  const std::vector<KernelSummary> s = tune({w}, o, verify_progress);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].replaced, 1) << verify_progress.str();
  EXPECT_EQ(s[0].best, "defaults") << verify_progress.str();
  EXPECT_EQ(verify_progress.str().find("3377"), std::string::npos) << verify_progress.str();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace micronet::tune
