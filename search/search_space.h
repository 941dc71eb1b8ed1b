// The search space of the latency search: MicroNet-family networks at one input resolution.
//
// A point is a Genome: per stage of a fixed skeleton (three Micro-A stages, three Micro-B/C
// stages, the final group conv; strides as MicroNet-M0's, so a 64x64 input ends at 2x2)
// the width, repeats (depth), kernel size (3/5/7), expansion, group sizes, the activation of
// each slot (ReLU6 or none, Dynamic Shift-Max K=1/2 with J=1/2 group shifts, reduction), and
// the stem groups and head width. A genome becomes a config (models/config.h) with the
// official row semantics; group genes are upper bounds rounded down to a divisor of the
// channels they split, so most genomes plan. The config validator (models/config_json.h,
// which plans the network) has the last word, then the MAdds/parameter limits: the space
// hands out only points that pass both.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "models/config.h"

namespace micronet::search {

struct StageGenes {
  int width = 0;       // output channels (final stage: expansion of the input instead)
  int repeats = 1;     // Micro-B/C stages: 1 or 2
  int kernel = 3;      // depthwise kernel size: 3, 5, 7
  int expansion = 0;   // index into the stage kind's expansion choices
  int groups_in = 4;   // upper bound of g1/g2 (Micro-A: g2)
  int groups_out = 4;  // upper bound of g3/g4
  int y1 = 2, y2 = 2, y3 = 1;  // activation codes (official: 0 ReLU6 or none, 1/2 Shift-Max K=1/2)
  int J = 2;           // group shifts of the Shift-Max layers (1: Dynamic ReLU)
  int r = 1;           // reduction multiplier of the Shift-Max hyper-function
};

struct Genome {
  int stem = 0;        // index into the stem group choices
  int head = 0;        // index into the head width choices
  std::vector<StageGenes> stages;
};

struct SpaceOptions {
  int size = 64;              // input resolution (square), fixed per search
  int classes = 10;
  int64_t max_madds = 0;      // 0 = no limit; counted at `size` (models/cost.h)
  int64_t max_params = 0;
  float dropout = 0.05f;      // as the shipped M0
};

struct SpacePoint {
  Genome genome;
  ModelConfig config;         // named "s<id>"
  int64_t madds = 0, params = 0;
};

class SearchSpace {
 public:
  explicit SearchSpace(SpaceOptions options);

  // A uniformly drawn valid point (rejection sampling; std::runtime_error when the limits
  // leave nothing after many tries).
  SpacePoint sample(std::mt19937_64& rng) const;
  // `parent` with 1-2 genes redrawn; always a valid point (falls back to sample()).
  SpacePoint mutate(const Genome& parent, std::mt19937_64& rng) const;
  // Each stage (and the stem/head genes) from either parent; invalid children are mutated.
  SpacePoint crossover(const Genome& a, const Genome& b, std::mt19937_64& rng) const;

  // The point for a genome: true and *out filled, or false with the reason in *why_not
  // (the validator's message or the limit it exceeds).
  bool realize(const Genome& g, SpacePoint* out, std::string* why_not) const;

  const SpaceOptions& options() const { return options_; }
  // A human-readable listing of every gene's choices (docs/search.md, `micronet search --space`).
  std::string describe() const;
  // log10 of the number of genomes (before validity).
  double log10_size() const;

 private:
  SpaceOptions options_;
  Genome random_genome(std::mt19937_64& rng) const;
  void redraw_gene(Genome& g, std::mt19937_64& rng) const;
};

// A short stable id of a network (FNV-1a of its config without the name), e.g. "3f9a0c12d4e7".
std::string config_id(const ModelConfig& cfg);

// The same for every config that builds the same network: config_id with the genes no layer
// reads set aside (the final stage's kernel size: that stage is group convs and activations
// only, so two genomes that differ there are one network).
std::string network_key(const ModelConfig& cfg);

// A one-line summary for tables, e.g. "stem4 head160, A16k7e2x2 y21J2, ..., Fk3e4 y0J2" (see .cpp).
std::string describe_genome(const Genome& g);

}  // namespace micronet::search
