#include "schedules/knob_space.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace micronet::sched {

KnobSpace& KnobSpace::define(const std::string& name, std::vector<int> values, int default_value,
                             const std::string& doc) {
  if (find(name)) throw std::logic_error("knob '" + name + "' declared twice");
  std::vector<int> distinct;
  for (int v : values)
    if (std::find(distinct.begin(), distinct.end(), v) == distinct.end()) distinct.push_back(v);
  if (std::find(distinct.begin(), distinct.end(), default_value) == distinct.end())
    throw std::logic_error("knob '" + name + "': default " + std::to_string(default_value) +
                           " is not in its domain");
  knobs_.push_back(KnobDomain{name, std::move(distinct), default_value, doc});
  return *this;
}

KnobSpace& KnobSpace::require(const std::string& why, std::function<bool(const Knobs&)> ok) {
  constraints_.push_back(Constraint{why, std::move(ok)});
  return *this;
}

const KnobDomain* KnobSpace::find(const std::string& name) const {
  for (const KnobDomain& d : knobs_)
    if (d.name == name) return &d;
  return nullptr;
}

namespace {
std::string domain_text(const KnobDomain& d) {
  std::ostringstream s;
  s << "{";
  for (size_t i = 0; i < d.values.size(); ++i) s << (i ? "," : "") << d.values[i];
  s << "}";
  return s.str();
}
}  // namespace

Knobs KnobSpace::resolve(const Knobs& tuned) const {
  for (const auto& [name, value] : tuned.values()) {
    const KnobDomain* d = find(name);
    if (!d) {
      std::string known;
      for (const KnobDomain& k : knobs_) known += (known.empty() ? "" : ", ") + k.name;
      throw std::invalid_argument("tuning record: unknown knob '" + name + "' (this schedule has: " +
                                  (known.empty() ? "no knobs" : known) + ")");
    }
    if (std::find(d->values.begin(), d->values.end(), value) == d->values.end())
      throw std::invalid_argument("tuning record: knob " + name + "=" + std::to_string(value) +
                                  " is outside its domain " + domain_text(*d));
  }
  Knobs out = default_point();
  for (const auto& [name, value] : tuned.values()) out.set(name, value);
  return out;
}

Knobs KnobSpace::default_point() const {
  Knobs k;
  for (const KnobDomain& d : knobs_) k.set(d.name, d.default_value);
  return k;
}

std::string KnobSpace::violation(const Knobs& point) const {
  for (const Constraint& c : constraints_)
    if (!c.ok(point)) return c.why;
  return "";
}

uint64_t KnobSpace::size() const {
  uint64_t n = 1;
  for (const KnobDomain& d : knobs_) n *= d.values.size();
  return n;
}

Knobs KnobSpace::point_at(uint64_t index) const {
  Knobs k;
  for (size_t i = knobs_.size(); i-- > 0;) {
    const KnobDomain& d = knobs_[i];
    k.set(d.name, d.values[index % d.values.size()]);
    index /= d.values.size();
  }
  return k;
}

std::vector<Knobs> KnobSpace::valid_points() const {
  std::vector<Knobs> out;
  const uint64_t n = size();
  for (uint64_t i = 0; i < n; ++i) {
    Knobs k = point_at(i);
    if (violation(k).empty()) out.push_back(std::move(k));
  }
  return out;
}

std::string to_string(const Knobs& k) {
  std::string s;
  for (const auto& [name, value] : k.values())
    s += (s.empty() ? "" : " ") + name + "=" + std::to_string(value);
  return s;
}

}  // namespace micronet::sched
