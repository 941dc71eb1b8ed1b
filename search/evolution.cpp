#include "search/evolution.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <set>
#include <stdexcept>

namespace micronet::search {

namespace {

bool dominates(const Evaluated& a, const Evaluated& b) {
  return a.latency_us <= b.latency_us && a.accuracy >= b.accuracy &&
         (a.latency_us < b.latency_us || a.accuracy > b.accuracy);
}

// Crowding distance within one front (indices into pts).
std::vector<double> crowding(const std::vector<Evaluated>& pts, const std::vector<int>& front) {
  std::vector<double> d(pts.size(), 0.0);
  const double inf = std::numeric_limits<double>::infinity();
  for (int objective = 0; objective < 2; ++objective) {
    auto value = [&](int i) { return objective == 0 ? pts[size_t(i)].latency_us : pts[size_t(i)].accuracy; };
    std::vector<int> f = front;
    std::sort(f.begin(), f.end(), [&](int a, int b) { return value(a) < value(b) || (value(a) == value(b) && a < b); });
    const double span = value(f.back()) - value(f.front());
    d[size_t(f.front())] = d[size_t(f.back())] = inf;
    if (span <= 0) continue;
    for (size_t k = 1; k + 1 < f.size(); ++k) d[size_t(f[k])] += (value(f[k + 1]) - value(f[k - 1])) / span;
  }
  return d;
}

}  // namespace

std::vector<int> nondominated_ranks(const std::vector<Evaluated>& pts) {
  const size_t n = pts.size();
  std::vector<int> rank(n, -1), dominated_by(n, 0);
  std::vector<std::vector<int>> dominates_list(n);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j) {
      if (i == j) continue;
      if (dominates(pts[i], pts[j])) dominates_list[i].push_back(int(j));
      else if (dominates(pts[j], pts[i])) ++dominated_by[i];
    }
  std::vector<int> current;
  for (size_t i = 0; i < n; ++i)
    if (dominated_by[i] == 0) current.push_back(int(i));
  for (int r = 0; !current.empty(); ++r) {
    std::vector<int> next;
    for (int i : current) {
      rank[size_t(i)] = r;
      for (int j : dominates_list[size_t(i)])
        if (--dominated_by[size_t(j)] == 0) next.push_back(j);
    }
    current = next;
  }
  return rank;
}

std::vector<Evaluated> pareto_front(const std::vector<Evaluated>& all) {
  const std::vector<int> rank = nondominated_ranks(all);
  std::vector<Evaluated> out;
  std::set<std::string> seen;
  for (size_t i = 0; i < all.size(); ++i)
    if (rank[i] == 0 && seen.insert(config_id(all[i].point.config)).second) out.push_back(all[i]);
  std::sort(out.begin(), out.end(), [](const Evaluated& a, const Evaluated& b) { return a.latency_us < b.latency_us; });
  return out;
}

std::vector<Evaluated> best_by_rank(const std::vector<Evaluated>& all, int k) {
  const std::vector<int> rank = nondominated_ranks(all);
  std::vector<size_t> order(all.size());
  std::iota(order.begin(), order.end(), size_t(0));
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    return rank[x] != rank[y] ? rank[x] < rank[y] : all[x].accuracy > all[y].accuracy;
  });
  std::vector<Evaluated> out;
  std::set<std::string> seen;
  for (size_t i = 0; i < order.size() && int(out.size()) < k; ++i)
    if (seen.insert(network_key(all[order[i]].point.config)).second) out.push_back(all[order[i]]);
  std::sort(out.begin(), out.end(), [](const Evaluated& a, const Evaluated& b) { return a.latency_us < b.latency_us; });
  return out;
}

std::vector<Evaluated> run_nsga2(const SearchSpace& space, const EvolutionOptions& o, const EvolutionCallbacks& cb) {
  if (o.population < 2) throw std::invalid_argument("population must be >= 2");
  if (o.budget < o.population) throw std::invalid_argument("budget must be >= population");
  std::mt19937_64 rng(o.seed);
  std::vector<Evaluated> all;
  std::set<std::string> seen;

  // Children that pass the cheap filter: new, and within the latency budget.
  auto admit = [&](const SpacePoint& p, std::vector<SpacePoint>& batch, std::vector<double>& lat) {
    const std::string id = config_id(p.config);
    if (seen.count(id)) return;
    for (const SpacePoint& q : batch)
      if (config_id(q.config) == id) return;
    const double us = cb.predict_us(p);
    if (o.latency_budget_us > 0 && us > o.latency_budget_us) return;
    batch.push_back(p);
    lat.push_back(us);
  };
  auto evaluate = [&](const std::vector<SpacePoint>& batch, const std::vector<double>& lat) {
    const std::vector<double> acc = cb.evaluate(batch);
    if (acc.size() != batch.size()) throw std::logic_error("evaluate returned the wrong number of accuracies");
    std::vector<Evaluated> out;
    for (size_t i = 0; i < batch.size(); ++i) {
      seen.insert(config_id(batch[i].config));
      out.push_back(Evaluated{batch[i], lat[i], acc[i]});
      all.push_back(out.back());
    }
    return out;
  };

  // Initial population: random valid networks that pass the filter.
  std::vector<SpacePoint> batch;
  std::vector<double> lat;
  for (int draws = 0; int(batch.size()) < o.population && draws < o.max_filter_draws * 4; ++draws)
    admit(space.sample(rng), batch, lat);
  if (int(batch.size()) < 2)
    throw std::runtime_error("fewer than 2 random networks meet the latency budget in " +
                             std::to_string(o.max_filter_draws * 4) + " draws: raise --latency-ms");
  std::vector<Evaluated> population = evaluate(batch, lat);
  if (cb.on_generation) cb.on_generation(0, all);

  for (int generation = 1; int(all.size()) < o.budget; ++generation) {
    // Binary tournaments on (rank, crowding) of the current population.
    const std::vector<int> rank = nondominated_ranks(population);
    std::vector<double> crowd(population.size(), 0.0);
    for (int r = 0;; ++r) {
      std::vector<int> f;
      for (size_t i = 0; i < population.size(); ++i)
        if (rank[i] == r) f.push_back(int(i));
      if (f.empty()) break;
      const std::vector<double> c = crowding(population, f);
      for (int i : f) crowd[size_t(i)] = c[size_t(i)];
    }
    auto tournament = [&]() -> const Evaluated& {
      std::uniform_int_distribution<size_t> u(0, population.size() - 1);
      const size_t a = u(rng), b = u(rng);
      if (rank[a] != rank[b]) return population[rank[a] < rank[b] ? a : b];
      return population[crowd[a] >= crowd[b] ? a : b];
    };
    const int want = std::min(o.population, o.budget - int(all.size()));
    batch.clear();
    lat.clear();
    std::bernoulli_distribution cross(0.5);
    for (int draws = 0; int(batch.size()) < want && draws < o.max_filter_draws; ++draws) {
      const Evaluated& p1 = tournament();
      const Evaluated& p2 = tournament();
      const SpacePoint child = cross(rng) ? space.mutate(space.crossover(p1.point.genome, p2.point.genome, rng).genome, rng)
                                          : space.mutate(p1.point.genome, rng);
      admit(child, batch, lat);
    }
    if (batch.empty()) break;  // the filter admits nothing new: the search has converged
    const std::vector<Evaluated> children = evaluate(batch, lat);

    // Environmental selection: the best `population` of parents + children by (rank, crowding).
    std::vector<Evaluated> merged = population;
    merged.insert(merged.end(), children.begin(), children.end());
    const std::vector<int> mrank = nondominated_ranks(merged);
    std::vector<Evaluated> next;
    for (int r = 0; int(next.size()) < o.population; ++r) {
      std::vector<int> f;
      for (size_t i = 0; i < merged.size(); ++i)
        if (mrank[i] == r) f.push_back(int(i));
      if (f.empty()) break;
      if (int(next.size() + f.size()) > o.population) {
        const std::vector<double> c = crowding(merged, f);
        std::stable_sort(f.begin(), f.end(), [&](int a, int b) { return c[size_t(a)] > c[size_t(b)]; });
        f.resize(size_t(o.population) - next.size());
      }
      for (int i : f) next.push_back(merged[size_t(i)]);
    }
    population = next;
    if (cb.on_generation) cb.on_generation(generation, all);
  }
  return all;
}

}  // namespace micronet::search
