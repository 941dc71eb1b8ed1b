// Search strategies and the cost model, on knob spaces built here and a synthetic
// objective (no kernel is compiled): proposals are valid, new and distinct, exhaust a
// space exactly, reproduce for a seed; the model ranks held-out points; and model-guided
// search beats random search at the same budget.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <stdexcept>
#include <string>

#include "autotune/cost_model.h"
#include "autotune/search_strategy.h"

namespace micronet::tune {
namespace {

using sched::Knobs;
using sched::KnobSpace;

// 18 valid points of 24: small enough to exhaust.
KnobSpace small_space() {
  KnobSpace s;
  s.define("a", {1, 2, 4, 8}, 1, "");
  s.define("b", {1, 2, 3}, 1, "");
  s.define("c", {0, 1}, 0, "");
  s.require("a*b <= 8", [](const Knobs& k) { return k.get("a", 1) * k.get("b", 1) <= 8; });
  return s;
}

// Shaped like the x86 group conv's space (register tile x channel block, vector width,
// unrolling, loop order): 648 valid points of 864.
KnobSpace conv_like_space() {
  KnobSpace s;
  s.define("tile", {1, 2, 3, 4, 6, 8}, 2, "");
  s.define("block", {1, 2, 3, 4, 6, 8, 12, 16}, 4, "");
  s.define("vec", {4, 8, 16}, 8, "");
  s.define("unroll", {1, 2, 4}, 1, "");
  s.define("order", {0, 1}, 0, "");
  s.require("tile*block <= 32", [](const Knobs& k) { return k.get("tile", 1) * k.get("block", 1) <= 32; });
  return s;
}

uint64_t hash_point(const Knobs& k, uint64_t salt) {
  uint64_t h = 1469598103934665603ull ^ salt;
  for (const auto& [name, v] : k.values()) {
    for (char c : name) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
    h = (h ^ static_cast<uint64_t>(v + 1000)) * 1099511628211ull;
  }
  return h;
}

// A smooth time in us with interactions: the accumulator count (tile x block) has an
// optimum that depends on the vector width (wider vectors, fewer registers' worth), the
// row width (tile x vec) has its own optimum, unrolling helps only deep blocks, and the
// loop order pays off for large blocks only.
double true_us(const Knobs& k) {
  const double t = std::log2(k.get("tile", 1)), b = std::log2(k.get("block", 1));
  const double v = std::log2(k.get("vec", 4)), u = std::log2(k.get("unroll", 1));
  const double o = k.get("order", 0);
  const double acc_opt = 4.5 - 0.5 * (v - 2);
  double l = 0.35 * std::pow(t + b - acc_opt, 2) + 0.25 * std::pow(t + v - 5, 2) +
             0.15 * std::pow(u - b / 2, 2) + 0.3 * o * (2.5 - b);
  return 100 * std::exp(l);
}

// The measurement: the true time with 2% noise that depends on the run (salt), and a
// failure (compile error) for a fixed ~6% of the points.
Measurement measure(const Knobs& k, uint64_t salt) {
  const uint64_t h = hash_point(k, salt);
  const double noise = 1 + 0.02 * ((h >> 11) * 0x1.0p-53 * 2 - 1);
  const bool fails = hash_point(k, 0xfa11) % 16 == 0;
  return Measurement{k, fails ? 0 : true_us(k) * noise, !fails};
}

std::set<std::string> keys(const std::vector<Knobs>& points) {
  std::set<std::string> s;
  for (const Knobs& k : points) s.insert(sched::to_string(k));
  return s;
}

// Drives a strategy to exhaustion in batches of n and checks every batch.
void check_exhausts(SearchStrategy& strategy, const KnobSpace& space, int n) {
  std::vector<Measurement> history;
  std::set<std::string> measured;
  const std::set<std::string> valid = keys(space.valid_points());
  for (int round = 0; round < 100; ++round) {
    const std::vector<Knobs> batch = strategy.propose(n, history);
    const size_t left = valid.size() - measured.size();
    ASSERT_EQ(batch.size(), std::min<size_t>(n, left)) << strategy.name() << " round " << round;
    if (batch.empty()) break;
    std::set<std::string> in_batch;
    for (const Knobs& k : batch) {
      const std::string key = sched::to_string(k);
      EXPECT_EQ(space.violation(k), "") << strategy.name() << ": " << key;
      EXPECT_EQ(measured.count(key), 0u) << strategy.name() << " proposed a measured point: " << key;
      EXPECT_TRUE(in_batch.insert(key).second) << strategy.name() << " repeated " << key;
      history.push_back(measure(k, 1));
    }
    measured.insert(in_batch.begin(), in_batch.end());
  }
  EXPECT_EQ(measured, valid) << strategy.name();
}

TEST(SearchStrategy, EveryStrategyExhaustsASmallSpaceWithValidNewDistinctPoints) {
  const KnobSpace space = small_space();
  for (const char* name : {"grid", "random", "model"})
    for (int n : {1, 3, 5}) {
      auto s = make_strategy(name, space, 7);
      EXPECT_STREQ(s->name(), name);
      check_exhausts(*s, space, n);
    }
}

TEST(SearchStrategy, ModelEvolutionPathExhaustsToo) {
  // score_all_limit 0 forces the evolutionary search even on a small space, whose tight
  // constraint rejects many children.
  ModelSearchOptions o;
  o.score_all_limit = 0;
  o.population = 6;
  for (int n : {1, 3})
    for (const KnobSpace& space : {small_space(), conv_like_space()}) {
      auto s = make_model_strategy(space, 3, o);
      check_exhausts(*s, space, n * (space.size() > 100 ? 16 : 1));
    }
}

TEST(SearchStrategy, GridIsIndexOrder) {
  const KnobSpace space = small_space();
  const std::vector<Knobs> valid = space.valid_points();
  auto grid = make_strategy("grid", space, 0);
  std::vector<Measurement> history{{valid[0], 1, true}, {valid[2], 0, false}};
  const std::vector<Knobs> next = grid->propose(3, history);
  ASSERT_EQ(next.size(), 3u);
  EXPECT_EQ(sched::to_string(next[0]), sched::to_string(valid[1]));
  EXPECT_EQ(sched::to_string(next[1]), sched::to_string(valid[3]));
  EXPECT_EQ(sched::to_string(next[2]), sched::to_string(valid[4]));
}

TEST(SearchStrategy, HistoryIsReadLikeTuningRecords) {
  // A point missing a knob is that knob's default (the default point here); a point with
  // a knob this space lacks is from another space and excludes nothing.
  const KnobSpace space = small_space();
  Knobs partial;
  partial.set("a", 1);
  Knobs foreign = space.point_at(1);
  foreign.set("not_a_knob", 3);
  auto grid = make_strategy("grid", space, 0);
  const std::vector<Knobs> next = grid->propose(100, {{partial, 5, true}, {foreign, 5, true}});
  const std::set<std::string> got = keys(next);
  EXPECT_EQ(got.size(), space.valid_points().size() - 1);
  EXPECT_EQ(got.count(sched::to_string(space.default_point())), 0u);
  EXPECT_EQ(got.count(sched::to_string(space.point_at(1))), 1u);
}

TEST(SearchStrategy, RandomIsUniform) {
  const KnobSpace space = small_space();
  std::map<std::string, int> count;
  const int draws = 1800;  // 100 per valid point
  for (int seed = 0; seed < draws; ++seed) ++count[sched::to_string(make_strategy("random", space, seed)->propose(1, {})[0])];
  ASSERT_EQ(count.size(), 18u);
  for (const auto& [key, c] : count) {  // binomial sd ~ 9.7: 4.5 sd either side
    EXPECT_GT(c, 56) << key;
    EXPECT_LT(c, 144) << key;
  }
}

std::vector<Measurement> some_history(const KnobSpace& space, int n) {
  std::vector<Measurement> h;
  for (const Knobs& k : make_strategy("random", space, 99)->propose(n, {})) h.push_back(measure(k, 2));
  return h;
}

TEST(SearchStrategy, SeedsReproduceAndDiffer) {
  const KnobSpace space = conv_like_space();
  const std::vector<Measurement> history = some_history(space, 24);
  for (const char* name : {"random", "model"}) {
    for (const auto& h : {std::vector<Measurement>{}, history}) {
      const auto a = make_strategy(name, space, 11)->propose(8, h);
      const auto b = make_strategy(name, space, 11)->propose(8, h);
      const auto c = make_strategy(name, space, 12)->propose(8, h);
      std::vector<std::string> ka, kb, kc;
      for (const auto& k : a) ka.push_back(sched::to_string(k));
      for (const auto& k : b) kb.push_back(sched::to_string(k));
      for (const auto& k : c) kc.push_back(sched::to_string(k));
      EXPECT_EQ(ka, kb) << name;
      EXPECT_NE(ka, kc) << name;
    }
  }
}

TEST(SearchStrategy, UnknownNameIsAClearError) {
  try {
    make_strategy("bogus", small_space(), 0);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("bogus"), std::string::npos) << what;
    EXPECT_NE(what.find("model, random, grid"), std::string::npos) << what;
  }
}

double spearman(std::vector<double> x, std::vector<double> y) {
  auto ranks = [](const std::vector<double>& v) {
    std::vector<size_t> order(v.size());
    for (size_t i = 0; i < v.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
    std::vector<double> r(v.size());
    for (size_t i = 0; i < order.size();) {  // ties share their mean rank
      size_t j = i;
      while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
      for (size_t k = i; k <= j; ++k) r[order[k]] = (i + j) / 2.0;
      i = j + 1;
    }
    return r;
  };
  const std::vector<double> rx = ranks(x), ry = ranks(y);
  const double n = static_cast<double>(rx.size()), mean = (n - 1) / 2;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < rx.size(); ++i) {
    sxy += (rx[i] - mean) * (ry[i] - mean);
    sxx += (rx[i] - mean) * (rx[i] - mean);
    syy += (ry[i] - mean) * (ry[i] - mean);
  }
  return sxy / std::sqrt(sxx * syy);
}

TEST(CostModel, RanksHeldOutPointsAfterSixtySamples) {
  const KnobSpace space = conv_like_space();
  const std::vector<Knobs> valid = space.valid_points();
  for (auto objective : {CostModelOptions::Objective::Regression, CostModelOptions::Objective::Pairwise}) {
    double sum = 0;
    for (uint64_t seed = 0; seed < 5; ++seed) {
      const std::vector<Knobs> train = make_strategy("random", space, seed)->propose(60, {});
      std::vector<double> us;
      for (const Knobs& k : train) us.push_back(true_us(k) * (1 + 0.02 * ((hash_point(k, seed) % 1000) / 500.0 - 1)));
      CostModelOptions o;
      o.objective = objective;
      CostModel model(space, o);
      const auto t0 = std::chrono::steady_clock::now();
      model.fit(train, us);
      const double fit_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      const std::set<std::string> seen = keys(train);
      std::vector<Knobs> held_out;
      std::vector<double> speed;
      for (const Knobs& k : valid)
        if (!seen.count(sched::to_string(k))) held_out.push_back(k), speed.push_back(-true_us(k));
      const double rho = spearman(model.predict(held_out), speed);
      std::printf("  %s seed %d: Spearman %.3f on %zu held-out points (fit %.1f ms)\n",
                  objective == CostModelOptions::Objective::Pairwise ? "pairwise" : "regression",
                  static_cast<int>(seed), rho, held_out.size(), fit_ms);
      EXPECT_GE(rho, 0.8);
      sum += rho;
    }
    std::printf("  mean Spearman %.3f\n", sum / 5);
  }
}

TEST(CostModel, ErrorsAreClear) {
  const KnobSpace space = small_space();
  CostModel model(space);
  EXPECT_THROW(model.predict({space.default_point()}), std::logic_error);
  EXPECT_THROW(model.fit({space.default_point()}, {1.0, 2.0}), std::invalid_argument);
  EXPECT_THROW(model.fit({space.default_point()}, {0.0}), std::invalid_argument);
  Knobs outside;
  outside.set("a", 3);
  EXPECT_THROW(model.fit({outside}, {1.0}), std::invalid_argument);
}

// One tuning run in batches of 8 (the driver compiles a batch in parallel); best-so-far
// time (us) after each batch.
std::vector<double> tuning_curve(SearchStrategy& s, int budget, uint64_t salt) {
  std::vector<Measurement> history;
  std::vector<double> curve;
  double best = INFINITY;
  while (static_cast<int>(history.size()) < budget) {
    for (const Knobs& k : s.propose(std::min(8, budget - static_cast<int>(history.size())), history)) {
      history.push_back(measure(k, salt));
      if (history.back().ok) best = std::min(best, history.back().us);
    }
    curve.push_back(best);
  }
  return curve;
}

TEST(SearchStrategy, ModelBeatsRandomAtTheSameBudget) {
  const KnobSpace space = conv_like_space();
  double optimum = INFINITY;
  for (const Knobs& k : space.valid_points())
    if (measure(k, 0).ok) optimum = std::min(optimum, true_us(k));
  // 50 runs each: the model's edge is real but modest at this size (random's best of 48
  // is already in the top 2% of 600 points); 10 runs leave it within the noise.
  const int runs = 50;
  struct Curves {
    std::vector<double> mean = std::vector<double>(6, 0);  // best-so-far after 8, 16, ... 48
    std::vector<double> last;                              // each run's best at 48
  };
  std::map<std::string, Curves> c;
  for (const char* name : {"random", "model"})
    for (int run = 0; run < runs; ++run) {
      auto s = make_strategy(name, space, 1000 + run);
      const std::vector<double> curve = tuning_curve(*s, 48, run);
      for (size_t i = 0; i < curve.size(); ++i) c[name].mean[i] += curve[i] / runs;
      c[name].last.push_back(curve.back());
    }
  auto variance_of_mean = [&](const Curves& x) {
    double v = 0;
    for (double b : x.last) v += (b - x.mean[5]) * (b - x.mean[5]);
    return v / (runs - 1) / runs;
  };
  const double se = std::sqrt(variance_of_mean(c["random"]) + variance_of_mean(c["model"]));
  std::printf("  mean best-so-far (us) over %d runs, optimum %.1f us:\n", runs, optimum);
  for (int b : {16, 32, 48})
    std::printf("    budget %2d: random %.1f  model %.1f\n", b, c["random"].mean[b / 8 - 1], c["model"].mean[b / 8 - 1]);
  const double gain = c["random"].mean[5] - c["model"].mean[5];
  const double model_regret = c["model"].mean[5] / optimum - 1, random_regret = c["random"].mean[5] / optimum - 1;
  std::printf("    at 48: model better by %.2f us (%.1f standard errors); regret random %.3f, model %.3f\n",
              gain, gain / se, random_regret, model_regret);
  EXPECT_LT(c["model"].mean[3], c["random"].mean[3]);  // budget 32
  // At 48: a difference the noise of 50 runs does not explain, and a regret (distance to
  // the optimum) well under random's (0.70 of it over 100 runs).
  EXPECT_GT(gain, 2 * se);
  EXPECT_LT(model_regret, 0.85 * random_regret);
}

TEST(SearchStrategy, ProposeIsFast) {
  const KnobSpace space = conv_like_space();
  const std::vector<Measurement> history = some_history(space, 200);
  auto s = make_strategy("model", space, 5);
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<Knobs> next = s->propose(8, history);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  ModelSearchOptions evolve;
  evolve.score_all_limit = 0;
  auto e = make_model_strategy(space, 5, evolve);
  const auto t1 = std::chrono::steady_clock::now();
  e->propose(8, history);
  const double evolve_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count();
  std::printf("  propose(8) on %zu valid points, 200 measured: %.1f ms (evolutionary: %.1f ms)\n",
              space.valid_points().size(), ms, evolve_ms);
  EXPECT_EQ(next.size(), 8u);
  // Budget 100 ms; asserted with headroom for a loaded 2-core machine.
  EXPECT_LT(ms, 500);
  EXPECT_LT(evolve_ms, 500);
}

}  // namespace
}  // namespace micronet::tune
