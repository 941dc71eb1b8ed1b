// The latency predictor: a network's prediction is exactly the sum of its steps' cached
// kernel measurements plus the overhead model fitted on the calibration networks; the
// latency table round-trips and names a bad line.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "models/config_json.h"
#include "models/cost.h"
#include "models/kernel_plan.h"
#include "models/plan.h"
#include "search/latency_predictor.h"
#include "search/latency_table.h"
#include "search/search_space.h"

namespace fs = std::filesystem;

namespace micronet::search {
namespace {

std::string temp_dir(const std::string& name) {
  const std::string d = fs::temp_directory_path().string() + "/micronet_test_search_" + name + "_" +
                        std::to_string(::getpid());
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

TEST(OverheadModel, LeastSquaresRecoversAnExactModel) {
  std::vector<NetworkTiming> cal;
  for (int i = 0; i < 9; ++i) {
    NetworkTiming t;
    t.steps = 15 + 3 * (i % 4);
    t.params = 100000 + 70000 * i;
    t.kernel_sum_us = 100.0 + 37.0 * i;
    t.measured_us = t.kernel_sum_us + 4.0 + 0.25 * t.steps + 9.0 * double(t.params) / 1e6;
    t.role = "calibration";
    cal.push_back(t);
  }
  const OverheadModel m = fit_overhead(cal);
  EXPECT_EQ(m.fitted_on, 9);
  EXPECT_NEAR(m.per_network_us, 4.0, 1e-3);
  EXPECT_NEAR(m.per_step_us, 0.25, 1e-4);
  EXPECT_NEAR(m.per_mparam_us, 9.0, 1e-3);
  EXPECT_EQ(fit_overhead({}).at(20, 1000000), 0.0);
  // One network: the constant takes the whole residual, the slopes stay ~0.
  const OverheadModel one = fit_overhead({cal[0]});
  EXPECT_NEAR(one.at(cal[0].steps, cal[0].params), cal[0].measured_us - cal[0].kernel_sum_us, 1e-3);
}

TEST(OverheadModel, PredictionsFromRecordsAreTheirKernelSumsPlusTheModel) {
  OverheadModel m;
  m.per_network_us = 2.0;
  m.per_step_us = 0.5;
  m.per_mparam_us = 10.0;
  NetworkTiming a, b;
  a.kernel_sum_us = 40.0;
  a.steps = 18;
  a.params = 200000;
  b.kernel_sum_us = 95.5;
  b.steps = 24;
  b.params = 1500000;
  const std::vector<double> p = predict_from_records({a, b}, m);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_DOUBLE_EQ(p[0], 40.0 + 2.0 + 0.5 * 18 + 10.0 * 0.2);
  EXPECT_DOUBLE_EQ(p[1], 95.5 + 2.0 + 0.5 * 24 + 10.0 * 1.5);
  EXPECT_TRUE(predict_from_records({}, m).empty());
}

TEST(LatencyPredictor, PredictionIsTheSumOfCachedKernelsPlusTheOverheadModel) {
  const std::string dir = temp_dir("predict");
  LatencyTable table(dir + "/table.jsonl");
  PredictorOptions o;
  o.work_dir = dir + "/work";
  o.machine = "test-machine";
  LatencyPredictor pred(o, table);  // no tuning records: every kernel has its default schedule

  const ModelConfig cfg = load_config_file(MICRONET_TEST_CONFIG_DIR "/tiny.json");
  const int size = 64, classes = 10;
  const ModelPlan plan = plan_model(cfg, size, size, classes);
  const std::vector<KernelStep> steps = lower_plan(plan);
  EXPECT_FALSE(pred.predict_cached(cfg, size, classes)) << "nothing measured yet";

  // Made-up measurements of every step, and three calibration networks.
  double sum = 0;
  for (size_t i = 0; i < steps.size(); ++i) {
    const double us = 1.5 + 0.75 * double(i);
    table.add(pred.conditions(), KernelTiming{steps[i].spec.name(), "defaults", steps[i].in_h, steps[i].in_w, us + 0.1, us});
    sum += us;
  }
  // The same kernel at the same size, re-measured: the newest record counts.
  table.add(pred.conditions(), KernelTiming{steps[0].spec.name(), "defaults", steps[0].in_h, steps[0].in_w, 9.1, 9.0});
  sum += 9.0 - 1.5;
  // An earlier sweep's record of a calibration network: its newer record supersedes it (the
  // network counts once, with its newest record).
  table.add(pred.conditions(), NetworkTiming{"cal0", "calibration", size, 10, 200000, 100.0, 999.0});
  for (int i = 0; i < 3; ++i)
    table.add(pred.conditions(), NetworkTiming{"cal" + std::to_string(i), "calibration", size, 10 + 5 * i,
                                               200000 + 100000 * i, 100.0 * (i + 1), 100.0 * (i + 1) + 8 + 0.5 * (10 + 5 * i)});
  // Validation records never enter the model.
  table.add(pred.conditions(), NetworkTiming{"val", "validation", size, 12, 300000, 50, 500});
  // Records of other conditions are not this machine's.
  Conditions other = pred.conditions();
  other.machine = "another";
  table.add(other, NetworkTiming{"x", "calibration", size, 10, 1, 1, 1000});

  const OverheadModel model = pred.overhead();
  EXPECT_EQ(model.fitted_on, 3);
  for (int i = 0; i < 3; ++i)  // fitted on the newest records (the old cal0 would pull it off)
    EXPECT_NEAR(model.at(10 + 5 * i, 200000 + 100000 * i), 8 + 0.5 * (10 + 5 * i), 1e-3);
  EXPECT_EQ(pred.latest_networks("calibration").size(), 3u);
  EXPECT_DOUBLE_EQ(pred.latest_network("calibration", "cal0")->measured_us, 100.0 + 8 + 0.5 * 10);
  EXPECT_FALSE(pred.latest_network("calibration", "val"));
  const auto p = pred.predict_cached(cfg, size, classes);
  ASSERT_TRUE(p);
  ASSERT_EQ(p->steps.size(), steps.size());
  const int64_t params = cost_report(plan).params;
  EXPECT_NEAR(p->kernel_sum_us, sum, 1e-9);
  EXPECT_NEAR(p->overhead_us, model.at(int(steps.size()), params), 1e-9);
  EXPECT_NEAR(p->total_us, sum + model.at(int(steps.size()), params), 1e-9);
  // predict() answers from the table too (it would compile and measure only missing steps).
  std::ostringstream log;
  const Prediction q = pred.predict(cfg, size, classes, log);
  EXPECT_EQ(q.measured_now, 0);
  EXPECT_DOUBLE_EQ(q.total_us, p->total_us);
  EXPECT_TRUE(log.str().empty());

  // A fresh table read from the file gives the same prediction.
  LatencyTable reread(dir + "/table.jsonl");
  LatencyPredictor again(o, reread);
  const auto r = again.predict_cached(cfg, size, classes);
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(r->total_us, p->total_us);
  fs::remove_all(dir);
}

// A record answers only for the kernel compiler it was taken with: another build's generators
// (other algorithms or schedules), or a record from before the field existed, must be
// measured again, not reused (the small-plane group-conv fix made a whole table wrong).
TEST(LatencyTable, RecordsOfAnotherKernelCompilerDoNotAnswer) {
  const std::string dir = temp_dir("identity");
  LatencyTable table(dir + "/table.jsonl");
  PredictorOptions o;
  o.work_dir = dir + "/work";
  o.machine = "test-machine";
  LatencyPredictor pred(o, table);
  ASSERT_EQ(pred.conditions().kernels.size(), 16u);
  EXPECT_EQ(pred.conditions().kernels, kernel_compiler_identity(MICRONET_TEST_GENERATOR_DIR));
  EXPECT_EQ(kernel_compiler_identity(dir), "") << "no generators there";

  Conditions older = pred.conditions();
  older.kernels = "0123456789abcdef";
  table.add(older, KernelTiming{"gconv_c16x8_g2", "defaults", 4, 4, 2.0, 1.9});
  EXPECT_FALSE(table.kernel(pred.conditions(), "gconv_c16x8_g2", "defaults", 4, 4));
  EXPECT_TRUE(table.kernel(older, "gconv_c16x8_g2", "defaults", 4, 4));
  // Written before the field existed: no "kernels" in the line.
  std::ofstream(dir + "/table.jsonl", std::ios::app)
      << "{\"kind\": \"kernel\", \"machine\": \"test-machine\", \"target\": \"" << pred.conditions().target
      << "\", \"batch\": 1, \"threads\": 1, \"kernel\": \"gconv_c16x8_g4\", \"schedule\": \"defaults\", "
         "\"in\": [4, 4], \"median_us\": 1.5, \"min_us\": 1.4}\n";
  table.add(pred.conditions(), KernelTiming{"gconv_c16x8_g8", "defaults", 4, 4, 3.0, 2.9});
  LatencyTable reread(dir + "/table.jsonl");
  EXPECT_FALSE(reread.kernel(pred.conditions(), "gconv_c16x8_g4", "defaults", 4, 4));
  Conditions unversioned = pred.conditions();
  unversioned.kernels.clear();
  EXPECT_TRUE(reread.kernel(unversioned, "gconv_c16x8_g4", "defaults", 4, 4));
  EXPECT_TRUE(reread.kernel(older, "gconv_c16x8_g2", "defaults", 4, 4));
  const auto mine = reread.kernel(pred.conditions(), "gconv_c16x8_g8", "defaults", 4, 4);
  ASSERT_TRUE(mine);
  EXPECT_DOUBLE_EQ(mine->min_us, 2.9);
  fs::remove_all(dir);
}

TEST(LatencyTable, ABadLineNamesTheFileLineAndField) {
  const std::string dir = temp_dir("table");
  const std::string path = dir + "/t.jsonl";
  std::ofstream(path) << "\n{\"kind\": \"kernel\", \"machine\": \"m\", \"target\": \"t\", \"batch\": 1, \"threads\": 1, "
                         "\"kernel\": \"k\", \"schedule\": \"defaults\", \"in\": [4, 4], \"median_us\": -1, \"min_us\": 1}\n";
  try {
    LatencyTable t(path);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ":2: median_us"), std::string::npos) << e.what();
  }
  std::ofstream(path) << "{\"kind\": \"network\", \"machine\": \"m\"}\n";
  EXPECT_THROW(LatencyTable{path}, std::runtime_error);
  std::ofstream(path) << "not json\n";
  EXPECT_THROW(LatencyTable{path}, std::runtime_error);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace micronet::search
