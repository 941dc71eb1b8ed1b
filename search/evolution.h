// NSGA-II (Deb et al. 2002) over the search space: two objectives, predicted latency
// (minimized) and an accuracy estimate (maximized). A cheap filter runs first: a child is
// only evaluated (trained) when its predicted latency is within the budget and it was not
// evaluated before, so the expensive budget goes to networks that can be on the front.
//
// Evaluations go through the callbacks, so the search is testable without training, and it
// is deterministic: the same seed and the same answers give the same sequence of networks.
// Resuming is replaying: the caller answers already-evaluated networks from its cache
// (search/search_main.cpp keeps evaluations.jsonl), so a stopped run continues where it was.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "search/search_space.h"

namespace micronet::search {

struct Evaluated {
  SpacePoint point;
  double latency_us = 0;   // predicted
  double accuracy = 0;     // estimate, 0..1
};

struct EvolutionOptions {
  int population = 8;
  int budget = 32;             // networks evaluated (trained), the initial population included
  double latency_budget_us = 0;  // 0 = no latency limit
  uint64_t seed = 0;
  int max_filter_draws = 400;  // children drawn per generation before giving up filling it
};

struct EvolutionCallbacks {
  // Predicted latency of a point (cheap after its kernels are measured once).
  std::function<double(const SpacePoint&)> predict_us;
  // Accuracy estimates of a batch of points (the expensive step: short training, in parallel).
  std::function<std::vector<double>(const std::vector<SpacePoint>&)> evaluate;
  // Called after each generation with every evaluation so far (progress, checkpoints).
  std::function<void(int generation, const std::vector<Evaluated>&)> on_generation;
};

// Every evaluated network, in evaluation order.
std::vector<Evaluated> run_nsga2(const SearchSpace& space, const EvolutionOptions& options,
                                 const EvolutionCallbacks& callbacks);

// The non-dominated subset (lower latency, higher accuracy), sorted by latency.
std::vector<Evaluated> pareto_front(const std::vector<Evaluated>& all);

// The k networks a second rung trains again (successive halving): the front first, then the
// next non-dominated ranks, inside a rank the higher accuracy estimate first; each network
// once (network_key). Sorted by latency.
std::vector<Evaluated> best_by_rank(const std::vector<Evaluated>& all, int k);

// Non-dominated sorting: rank of each point (0 = front). Exposed for tests.
std::vector<int> nondominated_ranks(const std::vector<Evaluated>& pts);

}  // namespace micronet::search
