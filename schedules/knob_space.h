// The tuning space of one schedule, declared beside the code that reads it (TVM's
// `cfg.define_knob` is the model): each knob has a domain (its candidate values, in an
// order where neighbours are similar) and a default (the hand-picked value), and the
// space carries the constraints that rule points out before anything is compiled
// (more accumulators than registers, a vector wider than the row, ...).
//
// A schedule function builds its space, then reads every knob through
// `space.resolve(tuned)`: values from the tuning record, defaults for the rest, and an
// error naming the knob when a record holds a value outside the domain or a knob the
// schedule does not declare. The autotuner enumerates the same spaces
// (schedules/spaces.h) and never keeps a knob list of its own.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "schedules/knobs.h"

namespace micronet::sched {

struct KnobDomain {
  std::string name;
  std::vector<int> values;  // distinct; order = "neighbours are similar"
  int default_value = 0;    // one of values
  std::string doc;          // what the knob changes, one line
};

class KnobSpace {
 public:
  // Declares a knob. Duplicate values are dropped; the default must be in the domain
  // (std::logic_error otherwise: a schedule bug, not a user error).
  KnobSpace& define(const std::string& name, std::vector<int> values, int default_value,
                    const std::string& doc);
  // Declares a constraint: `ok(point)` must hold for a point to be worth compiling. `why`
  // says what a pruned point would break ("accumulators exceed the 32 vector registers").
  // Constraints prune the search only: every in-domain point still schedules correctly
  // (a record tuned for AVX-512 must still build for the AVX2 and SSE4.1 variants of the
  // same multi-target library, where it may spill registers but stays correct).
  KnobSpace& require(const std::string& why, std::function<bool(const Knobs&)> ok);

  const std::vector<KnobDomain>& knobs() const { return knobs_; }
  const KnobDomain* find(const std::string& name) const;

  // Every declared knob: its value in `tuned` when present, else its default.
  // Throws std::invalid_argument naming the knob when `tuned` holds an undeclared knob
  // or a value outside a domain.
  Knobs resolve(const Knobs& tuned) const;

  Knobs default_point() const;
  // "" when `point` (fully resolved) satisfies every constraint, else the first `why`.
  std::string violation(const Knobs& point) const;

  // Number of points before pruning (product of domain sizes).
  uint64_t size() const;
  // The point with mixed-radix index `index` < size() (first knob varies slowest).
  Knobs point_at(uint64_t index) const;
  // Every point that satisfies the constraints, in index order.
  std::vector<Knobs> valid_points() const;

 private:
  struct Constraint {
    std::string why;
    std::function<bool(const Knobs&)> ok;
  };
  std::vector<KnobDomain> knobs_;
  std::vector<Constraint> constraints_;
};

// "tile_vectors=2 oc_block=4" (knob order of the map), the record format of schedules/knobs.h.
std::string to_string(const Knobs& k);

}  // namespace micronet::sched
