// The search space hands out only valid networks; NSGA-II is reproducible with a seed and a
// stopped search resumes to the same result; the figures of the predictor validation.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <stdexcept>

#include "models/config_json.h"
#include "models/cost.h"
#include "models/plan.h"
#include "search/evolution.h"
#include "search/search_space.h"
#include "search/statistics.h"

namespace micronet::search {
namespace {

// Every point plans, survives the validator unchanged, and respects the limits.
void expect_valid(const SpacePoint& p, const SpaceOptions& o) {
  const std::string json = config_to_json(p.config);
  const ModelConfig back = config_from_json(json, "roundtrip");
  EXPECT_EQ(back, p.config) << json;
  const ModelPlan plan = plan_model(p.config, o.size, o.size, o.classes);
  const CostReport cost = cost_report(plan);
  EXPECT_EQ(cost.madds, p.madds);
  EXPECT_EQ(cost.params, p.params);
  if (o.max_madds > 0) {
    EXPECT_LE(p.madds, o.max_madds);
  }
  if (o.max_params > 0) {
    EXPECT_LE(p.params, o.max_params);
  }
  EXPECT_EQ(p.config.arch, "s" + config_id(p.config));
}

TEST(SearchSpace, SamplesMutantsAndChildrenAreValidConfigs) {
  SpaceOptions o;
  o.max_madds = 1500000;
  o.max_params = 900000;
  const SearchSpace space(o);
  std::mt19937_64 rng(7);
  std::set<std::string> ids;
  std::vector<SpacePoint> pts;
  for (int i = 0; i < 150; ++i) {
    pts.push_back(space.sample(rng));
    expect_valid(pts.back(), o);
    ids.insert(config_id(pts.back().config));
  }
  EXPECT_GT(ids.size(), 140u) << "samples should rarely repeat in a space of 10^35 genomes";
  for (int i = 0; i + 1 < 150; i += 2) {
    const SpacePoint m = space.mutate(pts[size_t(i)].genome, rng);
    expect_valid(m, o);
    EXPECT_NE(config_id(m.config), config_id(pts[size_t(i)].config)) << "a mutation changes the network";
    expect_valid(space.crossover(pts[size_t(i)].genome, pts[size_t(i) + 1].genome, rng), o);
  }
}

TEST(SearchSpace, SamplingIsSeededAndCoversTheActivationChoices) {
  const SearchSpace space(SpaceOptions{});
  std::mt19937_64 a(3), b(3);
  std::set<int> y3, J, ks;
  for (int i = 0; i < 60; ++i) {
    const SpacePoint p = space.sample(a), q = space.sample(b);
    EXPECT_EQ(p.config, q.config);
    for (const BlockRow& r : p.config.rows) {
      y3.insert(r.y3);
      J.insert(r.J);
      ks.insert(r.kernel);
    }
  }
  EXPECT_EQ(y3, (std::set<int>{0, 1, 2}));
  EXPECT_EQ(J, (std::set<int>{1, 2}));
  EXPECT_EQ(ks, (std::set<int>{3, 5, 7}));
}

TEST(SearchSpace, ImpossibleLimitsAreAClearError) {
  SpaceOptions o;
  o.max_madds = 1000;  // no MicroNet is this small
  const SearchSpace space(o);
  std::mt19937_64 rng(1);
  try {
    space.sample(rng);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("limits"), std::string::npos) << e.what();
  }
  EXPECT_THROW(SearchSpace(SpaceOptions{8}), std::invalid_argument);
}

TEST(SearchSpace, RealizeSaysWhyAGenomeIsNotANetwork) {
  const SearchSpace space(SpaceOptions{});
  std::mt19937_64 rng(2);
  Genome g = space.sample(rng).genome;
  g.stages.pop_back();
  std::string why;
  EXPECT_FALSE(space.realize(g, nullptr, &why));
  EXPECT_NE(why.find("skeleton"), std::string::npos);
}

// A made-up accuracy: grows with MAdds, with a per-network wobble, deterministic.
double fake_accuracy(const SpacePoint& p) {
  const std::string id = config_id(p.config);
  const double wobble = double(std::stoull(id.substr(0, 4), nullptr, 16) % 100) / 5000.0;
  return 0.8 + 0.15 * (1.0 - std::exp(-double(p.madds) / 8e5)) + wobble;
}
double fake_latency(const SpacePoint& p) { return 20.0 + double(p.madds) / 5000.0 + double(p.params) / 20000.0; }

struct Counting {
  std::map<std::string, double> cache;
  int evaluated = 0, fail_after = -1;
  EvolutionCallbacks callbacks() {
    EvolutionCallbacks cb;
    cb.predict_us = fake_latency;
    cb.evaluate = [this](const std::vector<SpacePoint>& batch) {
      std::vector<double> out;
      for (const SpacePoint& p : batch) {
        const std::string id = config_id(p.config);
        if (!cache.count(id)) {
          if (fail_after >= 0 && evaluated >= fail_after) throw std::runtime_error("interrupted");
          cache[id] = fake_accuracy(p);
          ++evaluated;
        }
        out.push_back(cache[id]);
      }
      return out;
    };
    return cb;
  }
};

std::vector<std::string> ids_of(const std::vector<Evaluated>& v) {
  std::vector<std::string> out;
  for (const Evaluated& e : v) out.push_back(config_id(e.point.config));
  return out;
}

TEST(Nsga2, SameSeedSameSearchOtherSeedOtherSearch) {
  const SearchSpace space(SpaceOptions{});
  EvolutionOptions o;
  o.population = 6;
  o.budget = 24;
  o.latency_budget_us = 400;
  o.seed = 11;
  Counting c1, c2, c3;
  const std::vector<Evaluated> a = run_nsga2(space, o, c1.callbacks());
  const std::vector<Evaluated> b = run_nsga2(space, o, c2.callbacks());
  EXPECT_EQ(ids_of(a), ids_of(b));
  ASSERT_EQ(a.size(), 24u);
  for (const Evaluated& e : a) EXPECT_LE(e.latency_us, 400.0) << "the cheap filter keeps the latency budget";
  const std::vector<std::string> ids = ids_of(a);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), a.size()) << "nothing trained twice";
  o.seed = 12;
  EXPECT_NE(ids_of(run_nsga2(space, o, c3.callbacks())), ids_of(a));
}

TEST(Nsga2, AStoppedSearchResumesToTheSameResult) {
  const SearchSpace space(SpaceOptions{});
  EvolutionOptions o;
  o.population = 6;
  o.budget = 30;
  o.seed = 5;
  Counting whole;
  const std::vector<Evaluated> direct = run_nsga2(space, o, whole.callbacks());

  Counting resumed;
  resumed.fail_after = 13;  // stops in the middle of the third generation
  EXPECT_THROW(run_nsga2(space, o, resumed.callbacks()), std::runtime_error);
  EXPECT_EQ(resumed.evaluated, 13);
  resumed.fail_after = -1;
  const std::vector<Evaluated> rest = run_nsga2(space, o, resumed.callbacks());
  EXPECT_EQ(ids_of(rest), ids_of(direct));
  EXPECT_EQ(resumed.evaluated, 30) << "the resumed run trains only what the stopped one had not";
}

TEST(Nsga2, TheFrontImprovesOnRandomSearchAtTheSameBudget) {
  // Not a speed claim: with a smooth made-up objective, evolution should find a front at least
  // as good (by hypervolume against a fixed corner) as the initial random population.
  const SearchSpace space(SpaceOptions{});
  EvolutionOptions o;
  o.population = 8;
  o.budget = 64;
  o.seed = 3;
  Counting c;
  const std::vector<Evaluated> all = run_nsga2(space, o, c.callbacks());
  auto hypervolume = [](std::vector<Evaluated> f) {
    f = pareto_front(f);
    double hv = 0, prev_acc = 0.7;
    for (const Evaluated& e : f) {  // sorted by latency
      if (e.accuracy > prev_acc) hv += (e.accuracy - prev_acc) * (2000.0 - e.latency_us);
      prev_acc = std::max(prev_acc, e.accuracy);
    }
    return hv;
  };
  const std::vector<Evaluated> initial(all.begin(), all.begin() + 8);
  EXPECT_GT(hypervolume(all), hypervolume(initial));
}

TEST(Pareto, RanksAndFront) {
  auto pt = [](double us, double acc) {
    Evaluated e;
    e.latency_us = us;
    e.accuracy = acc;
    e.point.config = model_config("m0");
    e.point.config.rows[0].out_channels = int(us);  // distinct networks for the front's dedup
    return e;
  };
  const std::vector<Evaluated> pts = {pt(10, 0.80), pt(20, 0.85), pt(15, 0.79), pt(30, 0.84), pt(5, 0.70)};
  EXPECT_EQ(nondominated_ranks(pts), (std::vector<int>{0, 0, 1, 1, 0}));
  const std::vector<Evaluated> f = pareto_front(pts);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].latency_us, 5);
  EXPECT_EQ(f[1].latency_us, 10);
  EXPECT_EQ(f[2].latency_us, 20);
}

TEST(Pareto, SecondRungTakesTheFrontFirstAndEachNetworkOnce) {
  auto pt = [](double us, double acc, int width, int final_kernel) {
    Evaluated e;
    e.latency_us = us;
    e.accuracy = acc;
    e.point.config = model_config("m0");
    e.point.config.rows[0].out_channels = width;
    e.point.config.rows.back().kernel = final_kernel;  // read by no layer: same network
    return e;
  };
  // Front: (5, .70), (10, .80), (20, .85); rank 1: (15, .79), (30, .84); the last point is the
  // 10 us front network again, differing only in the final stage's kernel size.
  const std::vector<Evaluated> pts = {pt(10, 0.80, 10, 3), pt(20, 0.85, 20, 3), pt(15, 0.79, 15, 3),
                                      pt(30, 0.84, 30, 3),  pt(5, 0.70, 5, 3),   pt(10, 0.80, 10, 7)};
  EXPECT_NE(config_id(pts[0].point.config), config_id(pts[5].point.config));
  EXPECT_EQ(network_key(pts[0].point.config), network_key(pts[5].point.config));
  const std::vector<Evaluated> four = best_by_rank(pts, 4);
  ASSERT_EQ(four.size(), 4u);  // the front's 3, then rank 1's higher estimate (30 us, 0.84)
  EXPECT_EQ(four[0].latency_us, 5);
  EXPECT_EQ(four[1].latency_us, 10);
  EXPECT_EQ(four[2].latency_us, 20);
  EXPECT_EQ(four[3].latency_us, 30);
  EXPECT_EQ(best_by_rank(pts, 100).size(), 5u);  // six points, five networks
  EXPECT_TRUE(best_by_rank(pts, 0).empty());
}

TEST(Statistics, SpearmanAndErrorShares) {
  EXPECT_DOUBLE_EQ(spearman({1, 2, 3, 4}, {10, 20, 30, 40}), 1.0);
  EXPECT_DOUBLE_EQ(spearman({1, 2, 3, 4}, {4, 3, 2, 1}), -1.0);
  // Ties take their average rank: ranks (1.5, 1.5, 3) against (1, 2, 3).
  EXPECT_NEAR(spearman({5, 5, 7}, {1, 2, 3}), 0.8660254, 1e-6);
  const ErrorSummary s = summarize_errors({104, 96, 120, 100}, {100, 100, 100, 100});
  EXPECT_EQ(s.n, 4);
  EXPECT_DOUBLE_EQ(s.within5, 0.75);
  EXPECT_DOUBLE_EQ(s.within10, 0.75);
  EXPECT_DOUBLE_EQ(s.mean_abs_pct, 7.0);
  EXPECT_DOUBLE_EQ(s.mean_pct, 5.0);
  EXPECT_DOUBLE_EQ(s.max_abs_pct, 20.0);
}

}  // namespace
}  // namespace micronet::search
