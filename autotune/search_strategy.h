// Which points of a kernel's knob space the tuner measures next.
//
//   grid   every valid point in index order (the driver uses it when the valid space fits
//          the budget: then nothing is left to chance)
//   random uniform over the valid points, without repeats (the baseline the model must beat)
//   model  Ansor's design: an XGBoost cost model (cost_model.h) trained on the measurements
//          so far ranks candidates bred by an evolutionary search from the best measured
//          points; a fifth of each batch stays random so the model sees where it is wrong.
//
// Strategies are deterministic for a seed and a sequence of histories, and keep no
// memory of what they proposed: the history is the truth, so a resumed run (history read
// back from the database) proposes what the uninterrupted run would have.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "autotune/cost_model.h"
#include "schedules/knob_space.h"

namespace micronet::tune {

struct Measurement {
  sched::Knobs point;
  double us = 0;
  bool ok = true;  // false: wrong output, compile error or timeout
};

class SearchStrategy {
 public:
  virtual ~SearchStrategy() = default;
  // Up to n distinct valid points that no measurement in `history` holds (failed ones
  // included: they are never proposed again). Fewer than n, or none, only when the
  // valid space is exhausted. History points are read like tuning records (a missing
  // knob is its default); points from another space (unknown knob, value outside a
  // domain) are ignored.
  virtual std::vector<sched::Knobs> propose(int n, const std::vector<Measurement>& history) = 0;
  virtual const char* name() const = 0;  // "model" | "random" | "grid"
};

// What the model strategy may be tuned by (the defaults are what the tuner uses; the
// tests also drive the evolutionary path on spaces small enough to score whole).
struct ModelSearchOptions {
  int min_train = 8;        // ok measurements before the model is trusted; random until then
  double epsilon = 0.2;     // fraction of each batch drawn at random (exploration)
  int population = 64;      // evolutionary search: points per generation
  int generations = 4;
  // Spaces with at most this many unmeasured valid points are scored whole by the model
  // instead of bred: the model's exact best, in a few ms. (On the tests' 648-point space
  // both find equally good points: mean best after 48 measurements over 100 runs,
  // 99.1 us scored whole vs 98.6 us bred, standard error 0.5.)
  int score_all_limit = 4096;
  CostModelOptions model;  // its seed is derived from the strategy's
};

// name: "model" | "random" | "grid"; std::invalid_argument naming the valid ones otherwise.
std::unique_ptr<SearchStrategy> make_strategy(const std::string& name, const sched::KnobSpace& space,
                                              uint64_t seed);
std::unique_ptr<SearchStrategy> make_model_strategy(const sched::KnobSpace& space, uint64_t seed,
                                                    const ModelSearchOptions& options);

}  // namespace micronet::tune
