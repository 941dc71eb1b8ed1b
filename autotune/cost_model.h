// The autotuner's cost model: gradient-boosted trees (XGBoost, Debian libxgboost-dev)
// trained online on the measured points of one kernel's knob space, predicting which
// unmeasured points are fast so that the search compiles those first (Ansor's design).
//
// Features are per knob, so any space declared in schedules/ works without a feature list
// of its own: the position of the value in its domain scaled to [0,1] (domains are ordered
// so that neighbours are similar, which is not always value order), and log2 of the value.
//
// Training is cheap on purpose (one thread, tens of shallow trees: milliseconds for a few
// hundred points), because it is redone after every batch of measurements while the other
// cores compile candidates; a model that steals a core slows the tuning it is meant to speed.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "schedules/knob_space.h"

namespace micronet::tune {

struct CostModelOptions {
  // Regression: squared error on -log(us), centred. Pairwise: XGBoost's rank:pairwise on
  // the same labels (only the order of predictions matters to the search). Measured on
  // the tests' synthetic space, they are equal: held-out Spearman 0.87 vs 0.88 after 60
  // samples, mean best after 48 measurements 99.1 vs 99.0 us over 100 runs. Regression
  // is the default: no pair sampling, so it is deterministic without a seed.
  enum class Objective { Regression, Pairwise };
  Objective objective = Objective::Regression;
  int rounds = 60;
  int max_depth = 5;
  double eta = 0.3;
  uint64_t seed = 0;  // only rank:pairwise samples (its pairs); regression is deterministic
};

class CostModel {
 public:
  explicit CostModel(const sched::KnobSpace& space, CostModelOptions options = {});
  ~CostModel();
  CostModel(const CostModel&) = delete;
  CostModel& operator=(const CostModel&) = delete;

  // Trains from scratch on measured points and their times (us > 0, same length).
  // Points are resolved as in the tuning records: a knob the point lacks takes its default.
  // std::invalid_argument on mismatched lengths, no samples, or us <= 0.
  void fit(const std::vector<sched::Knobs>& points, const std::vector<double>& us);
  bool trained() const { return booster_ != nullptr; }

  // One score per point, higher = predicted faster (only the order is meaningful).
  // std::logic_error before fit().
  std::vector<double> predict(const std::vector<sched::Knobs>& points) const;

  // The feature row of a point: 2 floats per knob of the space, in declaration order.
  std::vector<float> features(const sched::Knobs& point) const;
  int num_features() const { return 2 * static_cast<int>(space_.knobs().size()); }

 private:
  std::vector<float> feature_matrix(const std::vector<sched::Knobs>& points) const;

  sched::KnobSpace space_;  // a copy: the model may outlive the caller's space
  CostModelOptions options_;
  void* booster_ = nullptr;  // BoosterHandle (kept out of this header: <xgboost/c_api.h>)
};

}  // namespace micronet::tune
