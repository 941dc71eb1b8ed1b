#include "autotune/search_strategy.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include "autotune/cost_model.h"

namespace micronet::tune {

namespace {

using sched::Knobs;
using sched::KnobSpace;

// The valid points of a space, enumerated once (schedule spaces hold hundreds to a few
// thousand raw points), each also kept as its domain indices ("genes") for mutation.
class ValidSet {
 public:
  explicit ValidSet(const KnobSpace& space) : space_(space) {
    const uint64_t n = space.size();
    for (uint64_t raw = 0; raw < n; ++raw) {
      Knobs k = space.point_at(raw);
      if (!space.violation(k).empty()) continue;
      position_.emplace(raw, points_.size());
      points_.push_back(std::move(k));
      genes_.push_back(decode(raw));
    }
  }

  size_t size() const { return points_.size(); }
  const Knobs& point(size_t i) const { return points_[i]; }
  const std::vector<int>& genes(size_t i) const { return genes_[i]; }

  // Position of a valid point given by its genes, or -1 when the point is invalid.
  long find_genes(const std::vector<int>& genes) const {
    uint64_t raw = 0;
    const auto& knobs = space_.knobs();
    for (size_t k = 0; k < knobs.size(); ++k) raw = raw * knobs[k].values.size() + genes[k];
    const auto it = position_.find(raw);
    return it == position_.end() ? -1 : static_cast<long>(it->second);
  }

  // Position of a measured point (a missing knob is its default), or -1 when it is not a
  // valid point of this space.
  long find(const Knobs& p) const {
    const auto& knobs = space_.knobs();
    for (const auto& [name, value] : p.values())
      if (!space_.find(name)) return -1;
    std::vector<int> genes(knobs.size());
    for (size_t k = 0; k < knobs.size(); ++k) {
      const auto& values = knobs[k].values;
      const auto it = std::find(values.begin(), values.end(), p.get(knobs[k].name, knobs[k].default_value));
      if (it == values.end()) return -1;
      genes[k] = static_cast<int>(it - values.begin());
    }
    return find_genes(genes);
  }

  // taken[i]: point i was measured (successfully or not).
  std::vector<bool> taken(const std::vector<Measurement>& history) const {
    std::vector<bool> t(size(), false);
    for (const Measurement& m : history) {
      const long i = find(m.point);
      if (i >= 0) t[i] = true;
    }
    return t;
  }

 private:
  std::vector<int> decode(uint64_t raw) const {
    const auto& knobs = space_.knobs();
    std::vector<int> g(knobs.size());
    for (size_t k = knobs.size(); k-- > 0;) {
      g[k] = static_cast<int>(raw % knobs[k].values.size());
      raw /= knobs[k].values.size();
    }
    return g;
  }

  const KnobSpace& space_;
  std::vector<Knobs> points_;
  std::vector<std::vector<int>> genes_;
  std::unordered_map<uint64_t, size_t> position_;  // raw index (KnobSpace::point_at) -> position
};

// splitmix64: turns (seed, history length) into a well-mixed generator seed.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// [0, n), the same on every standard library (std::uniform_int_distribution is not).
size_t below(std::mt19937_64& rng, size_t n) {
  return static_cast<size_t>((static_cast<unsigned __int128>(rng()) * n) >> 64);
}
double unit(std::mt19937_64& rng) { return (rng() >> 11) * 0x1.0p-53; }

using Scored = std::pair<double, size_t>;  // (model score, position in the valid set)
// Best predicted first; ties by position, so the order never depends on the sort.
bool best_first(const Scored& a, const Scored& b) {
  return a.first != b.first ? a.first > b.first : a.second < b.second;
}

// Shared by the strategies: the space, its valid points, and a generator that depends
// only on the seed and the history's length, so that propose() is a function of its
// arguments (a resumed run proposes what the uninterrupted one would have).
class SpaceStrategy : public SearchStrategy {
 public:
  SpaceStrategy(const KnobSpace& space, uint64_t seed) : space_(space), valid_(space_), seed_(seed) {}
  SpaceStrategy(const SpaceStrategy&) = delete;  // valid_ refers to space_
  SpaceStrategy& operator=(const SpaceStrategy&) = delete;

 protected:
  std::mt19937_64 generator(size_t history_size) const { return std::mt19937_64(mix(seed_ ^ mix(history_size))); }

  std::vector<size_t> free_positions(const std::vector<bool>& taken) const {
    std::vector<size_t> free;
    for (size_t i = 0; i < taken.size(); ++i)
      if (!taken[i]) free.push_back(i);
    return free;
  }

  // Up to n of `from`, uniformly without repeats (partial Fisher-Yates); `from` is consumed.
  static std::vector<size_t> sample(std::vector<size_t> from, size_t n, std::mt19937_64& rng) {
    n = std::min(n, from.size());
    for (size_t i = 0; i < n; ++i) std::swap(from[i], from[i + below(rng, from.size() - i)]);
    from.resize(n);
    return from;
  }

  std::vector<Knobs> points(const std::vector<size_t>& positions) const {
    std::vector<Knobs> out;
    out.reserve(positions.size());
    for (size_t i : positions) out.push_back(valid_.point(i));
    return out;
  }

  KnobSpace space_;
  ValidSet valid_;
  uint64_t seed_;
};

class GridStrategy : public SpaceStrategy {
 public:
  using SpaceStrategy::SpaceStrategy;
  const char* name() const override { return "grid"; }
  std::vector<Knobs> propose(int n, const std::vector<Measurement>& history) override {
    std::vector<size_t> free = free_positions(valid_.taken(history));
    free.resize(std::min(free.size(), static_cast<size_t>(std::max(n, 0))));
    return points(free);
  }
};

class RandomStrategy : public SpaceStrategy {
 public:
  using SpaceStrategy::SpaceStrategy;
  const char* name() const override { return "random"; }
  std::vector<Knobs> propose(int n, const std::vector<Measurement>& history) override {
    std::mt19937_64 rng = generator(history.size());
    return points(sample(free_positions(valid_.taken(history)), std::max(n, 0), rng));
  }
};

class ModelStrategy : public SpaceStrategy {
 public:
  ModelStrategy(const KnobSpace& space, uint64_t seed, const ModelSearchOptions& options)
      : SpaceStrategy(space, seed), options_(options) {}
  const char* name() const override { return "model"; }

  std::vector<Knobs> propose(int n, const std::vector<Measurement>& history) override {
    const size_t want = static_cast<size_t>(std::max(n, 0));
    std::mt19937_64 rng = generator(history.size());
    const std::vector<bool> taken = valid_.taken(history);
    std::vector<size_t> free = free_positions(taken);
    if (free.size() <= want) return points(free);

    // Failed points are not training targets: a compile error or a wrong result says
    // nothing about how fast the point would be. They are only excluded (taken, above).
    std::vector<std::pair<double, size_t>> measured;  // (us, position) of the ok ones
    for (const Measurement& m : history) {
      const long i = valid_.find(m.point);
      if (m.ok && i >= 0 && m.us > 0) measured.emplace_back(m.us, static_cast<size_t>(i));
    }
    if (measured.size() < static_cast<size_t>(options_.min_train)) return points(sample(free, want, rng));

    CostModelOptions model_options = options_.model;
    model_options.seed = mix(seed_ ^ mix(history.size()));
    CostModel model(space_, model_options);
    std::vector<Knobs> train_points;
    std::vector<double> train_us;
    for (const auto& [us, i] : measured) {
      train_points.push_back(valid_.point(i));
      train_us.push_back(us);
    }
    model.fit(train_points, train_us);

    const std::vector<Scored> ranked =
        free.size() <= static_cast<size_t>(options_.score_all_limit) ? score(model, free)
                                                                     : evolve(model, measured, taken, rng);
    // Exploration: epsilon of the batch at random, rounded by chance so that batches of
    // one still explore at that rate.
    const double r = options_.epsilon * static_cast<double>(want);
    size_t explore = static_cast<size_t>(r) + (unit(rng) < r - std::floor(r) ? 1 : 0);
    explore = std::min(explore, want);
    std::vector<size_t> chosen;
    std::vector<bool> used = taken;
    for (const Scored& c : ranked) {
      if (chosen.size() + explore >= want) break;
      if (!used[c.second]) {
        used[c.second] = true;
        chosen.push_back(c.second);
      }
    }
    const std::vector<size_t> extra = sample(free_positions(used), want - chosen.size(), rng);
    chosen.insert(chosen.end(), extra.begin(), extra.end());
    return points(chosen);
  }

 private:
  // Model scores of `positions`, best first (ties by position, for determinism).
  std::vector<Scored> score(const CostModel& model, const std::vector<size_t>& positions) const {
    const std::vector<double> s = model.predict(points(positions));
    std::vector<Scored> out;
    for (size_t k = 0; k < positions.size(); ++k) out.emplace_back(s[k], positions[k]);
    std::sort(out.begin(), out.end(), best_first);
    return out;
  }

  // Ansor's evolutionary search with the model as fitness: the best measured points and
  // random valid points breed by crossover and mutation for a few generations; every
  // unmeasured point met on the way is a candidate, best predicted first.
  std::vector<Scored> evolve(const CostModel& model,
                                                std::vector<std::pair<double, size_t>> measured,
                                                const std::vector<bool>& taken, std::mt19937_64& rng) const {
    const size_t pop_size = static_cast<size_t>(std::max(options_.population, 2));
    std::sort(measured.begin(), measured.end());
    std::vector<bool> seen(valid_.size(), false);
    std::vector<size_t> start;
    for (const auto& [us, i] : measured) {
      if (start.size() >= pop_size / 2) break;
      if (!seen[i]) seen[i] = true, start.push_back(i);
    }
    std::vector<size_t> unseen;
    for (size_t i = 0; i < valid_.size(); ++i)
      if (!seen[i]) unseen.push_back(i);
    for (size_t i : sample(std::move(unseen), pop_size - start.size(), rng)) seen[i] = true, start.push_back(i);

    std::vector<Scored> population = score(model, start);
    std::vector<Scored> met = population;
    const size_t knobs = space_.knobs().size();
    for (int g = 0; g < options_.generations; ++g) {
      // Parents by tournament of two on predicted score; children that are invalid or
      // already met are dropped (a bounded number of tries, so a tight space ends early).
      auto parent = [&]() -> const std::vector<int>& {
        const auto& a = population[below(rng, population.size())];
        const auto& b = population[below(rng, population.size())];
        return valid_.genes(a.first >= b.first ? a.second : b.second);
      };
      std::vector<size_t> children;
      for (size_t tries = 0; children.size() < pop_size && tries < 8 * pop_size; ++tries) {
        std::vector<int> child = parent();
        if (unit(rng) < 0.5) {
          const std::vector<int>& other = parent();
          for (size_t k = 0; k < knobs; ++k)
            if (rng() & 1) child[k] = other[k];
        }
        const int moves = 1 + static_cast<int>(rng() & 1);
        for (int m = 0; m < moves; ++m) {
          const size_t k = below(rng, knobs);
          const int domain = static_cast<int>(space_.knobs()[k].values.size());
          if (domain < 2) continue;
          if (unit(rng) < 0.5)  // to a neighbour (domains are ordered so that these are similar)
            child[k] = std::clamp(child[k] + ((rng() & 1) ? 1 : -1), 0, domain - 1);
          else
            child[k] = static_cast<int>(below(rng, static_cast<size_t>(domain)));
        }
        const long i = valid_.find_genes(child);
        if (i < 0 || seen[i]) continue;
        seen[i] = true;
        children.push_back(static_cast<size_t>(i));
      }
      if (children.empty()) break;
      const std::vector<Scored> scored = score(model, children);
      met.insert(met.end(), scored.begin(), scored.end());
      population.insert(population.end(), scored.begin(), scored.end());
      std::sort(population.begin(), population.end(), best_first);
      population.resize(std::min(population.size(), pop_size));
    }
    std::vector<Scored> out;
    for (const auto& c : met)
      if (!taken[c.second]) out.push_back(c);
    std::sort(out.begin(), out.end(), best_first);
    return out;
  }

  ModelSearchOptions options_;
};

}  // namespace

std::unique_ptr<SearchStrategy> make_model_strategy(const KnobSpace& space, uint64_t seed,
                                                    const ModelSearchOptions& options) {
  return std::make_unique<ModelStrategy>(space, seed, options);
}

std::unique_ptr<SearchStrategy> make_strategy(const std::string& name, const KnobSpace& space, uint64_t seed) {
  if (name == "model") return make_model_strategy(space, seed, ModelSearchOptions{});
  if (name == "random") return std::make_unique<RandomStrategy>(space, seed);
  if (name == "grid") return std::make_unique<GridStrategy>(space, seed);
  throw std::invalid_argument("unknown search strategy '" + name + "' (valid: model, random, grid)");
}

}  // namespace micronet::tune
