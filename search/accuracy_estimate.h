// The accuracy estimate of the search: a short training run of the network through the
// project's trainer (`micronet train --max-steps N`, the shipped model's recipe with the
// cosine schedule compressed into N steps) on all but the last `holdout` training images,
// scored on those (`--holdout`): the search never selects on the test set, so a searched
// network's test accuracy after full training is an unbiased figure. Runs in
// separate processes, several at once (one LibTorch thread each), and caches every result
// in a JSON-lines file keyed by the network's config id, so a resumed search never trains
// the same network twice.
#pragma once

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "models/config.h"

namespace micronet::search {

// The search's second rung (successive halving, `--full-top K`) uses the same estimator with
// `epochs` set: the shipped model's whole recipe (--epochs E, the trainer's default warmup), on
// the same held-out split, for the few networks the short estimate put on or near the front.
struct ShortTraining {
  int steps = 600;             // optimizer steps (batch 128)
  int epochs = 0;              // > 0: the full recipe for this many epochs instead of `steps`
  int holdout = 5000;          // training images held out of the short training and scored
  int train_limit = 0;         // > 0: only the first N training images (tests, quick trials)
  int jobs = 2;                // trainings at once
  int size = 64;
  uint64_t seed = 0;
  std::string micronet_exe;    // "" = beside the running executable
  std::string data_dir;        // "" = the trainer's default (Debian's dataset-fashion-mnist)
  std::string work_dir;        // configs, logs and weights of the runs
  std::string cache;           // JSON-lines cache file ("" = none)
};

struct TrainingJob {
  std::string id;              // config id
  ModelConfig config;          // trained through --config, or --arch when builtin_arch is set
  std::string builtin_arch;    // "m0".."m3" for the official networks
};

class AccuracyEstimator {
 public:
  explicit AccuracyEstimator(ShortTraining options);
  // Accuracy (0..1) per job, from the cache or by training; throws naming the network and the
  // trainer's output when a run fails. Progress lines on `progress`.
  std::vector<double> estimate(const std::vector<TrainingJob>& jobs, std::ostream& progress);
  bool cached(const std::string& id) const { return cache_.count(id) > 0; }
  int trained() const { return trained_; }
  std::string recipe() const;  // "600 steps" or "4 epochs (the full recipe)"
  double train_seconds() const { return seconds_; }

 private:
  ShortTraining o_;
  std::map<std::string, double> cache_;
  int trained_ = 0;
  double seconds_ = 0;
  std::string cache_key(const std::string& id) const;
};

}  // namespace micronet::search
