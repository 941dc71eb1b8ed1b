#include "search/search_space.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include "models/config_json.h"
#include "models/cost.h"
#include "models/plan.h"

namespace micronet::search {

namespace {

enum class Kind { A, BC, Final };

// The skeleton: MicroNet-M0's stage kinds and strides (32x downsampling with the stem).
struct StageShape {
  Kind kind;
  int stride;
  std::vector<int> widths;  // final stage: unused (its width is the input times c2)
};
const std::vector<StageShape>& skeleton() {
  static const std::vector<StageShape> s = {
      {Kind::A, 2, {8, 12, 16}},          {Kind::A, 2, {8, 12, 16, 24}},  {Kind::A, 2, {12, 16, 24, 32}},
      {Kind::BC, 1, {16, 24, 32, 48, 64}}, {Kind::BC, 2, {32, 48, 64, 96}}, {Kind::BC, 1, {48, 64, 96, 128}},
      {Kind::Final, 1, {}}};
  return s;
}

// (c1, c2) per stage kind: Micro-A factorizes the depthwise conv into k x 1 and 1 x k with
// these expansions; Micro-B/C and the final stage expand through their first group conv.
const std::vector<std::pair<int, int>>& expansions(Kind k) {
  static const std::vector<std::pair<int, int>> a = {{2, 2}, {1, 2}};
  static const std::vector<std::pair<int, int>> bc = {{1, 2}, {1, 3}, {1, 4}, {1, 6}};
  static const std::vector<std::pair<int, int>> f = {{1, 2}, {1, 3}, {1, 4}, {1, 6}};
  return k == Kind::A ? a : k == Kind::BC ? bc : f;
}

const std::vector<std::array<int, 2>> kStems = {{2, 2}, {3, 2}, {4, 2}, {4, 3}};
const std::vector<int> kHeads = {160, 320, 640, 960};
const std::vector<int> kKernels = {3, 5, 7};
const std::vector<int> kGroupsIn = {2, 4, 6, 8, 12, 16};
const std::vector<int> kGroupsOut = {2, 4, 8, 12};
const std::vector<int> kActs = {0, 1, 2};
const std::vector<int> kJ = {1, 2};
const std::vector<int> kR = {1, 2};
const std::vector<int> kRepeats = {1, 2};

template <typename T>
const T& pick(const std::vector<T>& v, std::mt19937_64& rng) {
  return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)];
}
int pick_index(size_t n, std::mt19937_64& rng) { return int(std::uniform_int_distribution<size_t>(0, n - 1)(rng)); }

// The largest divisor of n that is <= bound (at least 1).
int divisor_at_most(int n, int bound) {
  for (int d = std::min(n, bound); d > 1; --d)
    if (n % d == 0) return d;
  return 1;
}

std::string json_int_list(std::initializer_list<int> v) {
  std::string s = "[";
  for (int x : v) s += (s.size() > 1 ? ", " : "") + std::to_string(x);
  return s + "]";
}

// Genes a mutation can redraw: stem, head, then per stage its fields.
enum Field { Width, Repeats, Kernel, Expansion, GroupsIn, GroupsOut, Y1, Y2, Y3, JShifts, Reduction, kFields };

}  // namespace

SearchSpace::SearchSpace(SpaceOptions o) : options_(o) {
  if (o.size < 32 || o.size > 1024) throw std::invalid_argument("search resolution must be 32..1024, got " + std::to_string(o.size));
  if (o.classes < 2) throw std::invalid_argument("classes must be >= 2");
}

Genome SearchSpace::random_genome(std::mt19937_64& rng) const {
  Genome g;
  g.stem = pick_index(kStems.size(), rng);
  g.head = pick_index(kHeads.size(), rng);
  for (const StageShape& s : skeleton()) {
    StageGenes st;
    st.width = s.widths.empty() ? 0 : pick(s.widths, rng);
    st.repeats = s.kind == Kind::BC ? pick(kRepeats, rng) : 1;
    st.kernel = pick(kKernels, rng);
    st.expansion = pick_index(expansions(s.kind).size(), rng);
    st.groups_in = pick(kGroupsIn, rng);
    st.groups_out = pick(kGroupsOut, rng);
    st.y1 = pick(kActs, rng);
    st.y2 = pick(kActs, rng);
    st.y3 = pick(kActs, rng);
    st.J = pick(kJ, rng);
    st.r = pick(kR, rng);
    g.stages.push_back(st);
  }
  return g;
}

void SearchSpace::redraw_gene(Genome& g, std::mt19937_64& rng) const {
  const int n_stage_genes = int(g.stages.size()) * kFields;
  const int which = pick_index(size_t(2 + n_stage_genes), rng);
  if (which == 0) { g.stem = pick_index(kStems.size(), rng); return; }
  if (which == 1) { g.head = pick_index(kHeads.size(), rng); return; }
  const int stage = (which - 2) / kFields;
  const StageShape& s = skeleton()[size_t(stage)];
  StageGenes& st = g.stages[size_t(stage)];
  switch ((which - 2) % kFields) {
    case Width: if (!s.widths.empty()) st.width = pick(s.widths, rng); break;
    case Repeats: if (s.kind == Kind::BC) st.repeats = pick(kRepeats, rng); break;
    case Kernel: st.kernel = pick(kKernels, rng); break;
    case Expansion: st.expansion = pick_index(expansions(s.kind).size(), rng); break;
    case GroupsIn: st.groups_in = pick(kGroupsIn, rng); break;
    case GroupsOut: st.groups_out = pick(kGroupsOut, rng); break;
    case Y1: st.y1 = pick(kActs, rng); break;
    case Y2: st.y2 = pick(kActs, rng); break;
    case Y3: st.y3 = pick(kActs, rng); break;
    case JShifts: st.J = pick(kJ, rng); break;
    case Reduction: st.r = pick(kR, rng); break;
  }
}

bool SearchSpace::realize(const Genome& g, SpacePoint* out, std::string* why_not) const {
  const std::vector<StageShape>& sk = skeleton();
  if (g.stages.size() != sk.size() || g.stem < 0 || g.stem >= int(kStems.size()) || g.head < 0 ||
      g.head >= int(kHeads.size())) {
    if (why_not) *why_not = "genome does not match the skeleton";
    return false;
  }
  // Rows as JSON, then the project's validator: it plans the network and names what is wrong.
  const std::array<int, 2> stem = kStems[size_t(g.stem)];
  std::ostringstream js;
  js << "{\"name\": \"candidate\", \"stem_ch\": " << stem[0] * stem[1] << ", \"stem_groups\": "
     << json_int_list({stem[0], stem[1]}) << ", \"out_ch\": " << kHeads[size_t(g.head)]
     << ", \"init_a\": [1.0, 1.0], \"init_b\": [0.0, 0.0], \"init_a_block3\": [1.0, 0.0], \"dropout\": "
     << options_.dropout << ", \"classes\": " << options_.classes << ", \"input_size\": [" << options_.size << ", "
     << options_.size << "], \"rows\": [";
  int in_c = stem[0] * stem[1];
  for (size_t i = 0; i < sk.size(); ++i) {
    const StageShape& s = sk[i];
    const StageGenes& st = g.stages[i];
    const auto [c1, c2] = expansions(s.kind).at(size_t(std::clamp(st.expansion, 0, int(expansions(s.kind).size()) - 1)));
    int c = st.width, g1 = 0, g2 = 0, c3 = 0, g3 = 0, g4 = 0, y1 = st.y1, n = 1;
    if (s.kind == Kind::A) {
      const int hidden = in_c * c1 * c2;
      g2 = divisor_at_most(hidden, st.groups_in);
      c3 = c;
      g3 = g4 = divisor_at_most(std::gcd(hidden, c), st.groups_out);
      y1 = st.y2;  // unused by Micro-A rows; kept equal as in the official table
    } else if (s.kind == Kind::BC) {
      n = st.repeats;
      g1 = g2 = divisor_at_most(std::gcd(in_c, c), st.groups_in);
      c3 = c;
      g3 = g4 = divisor_at_most(std::gcd(in_c * c2, c), st.groups_out);
    } else {
      c = in_c * c2;
      g1 = g2 = divisor_at_most(in_c, st.groups_in);
    }
    js << (i ? ",\n" : "\n") << "{\"s\": " << s.stride << ", \"n\": " << n << ", \"c\": " << c << ", \"ks\": " << st.kernel
       << ", \"c1\": " << c1 << ", \"c2\": " << c2 << ", \"g1\": " << g1 << ", \"g2\": " << g2 << ", \"c3\": " << c3
       << ", \"g3\": " << g3 << ", \"g4\": " << g4 << ", \"y1\": " << y1 << ", \"y2\": " << st.y2 << ", \"y3\": " << st.y3
       << ", \"r\": " << st.r << ", \"J\": " << st.J << "}";
    in_c = c;
  }
  js << "]}";
  SpacePoint p;
  p.genome = g;
  try {
    p.config = config_from_json(js.str(), "candidate");
    const ModelPlan plan = plan_model(p.config, options_.size, options_.size, options_.classes);
    const CostReport cost = cost_report(plan);
    p.madds = cost.madds;
    p.params = cost.params;
  } catch (const std::exception& e) {
    if (why_not) *why_not = e.what();
    return false;
  }
  if (options_.max_madds > 0 && p.madds > options_.max_madds) {
    if (why_not) *why_not = std::to_string(p.madds) + " MAdds > limit " + std::to_string(options_.max_madds);
    return false;
  }
  if (options_.max_params > 0 && p.params > options_.max_params) {
    if (why_not) *why_not = std::to_string(p.params) + " parameters > limit " + std::to_string(options_.max_params);
    return false;
  }
  p.config.arch = p.config.config_name = "s" + config_id(p.config);
  if (out) *out = std::move(p);
  return true;
}

SpacePoint SearchSpace::sample(std::mt19937_64& rng) const {
  SpacePoint p;
  std::string last;
  for (int attempt = 0; attempt < 20000; ++attempt)
    if (realize(random_genome(rng), &p, &last)) return p;
  throw std::runtime_error("no valid network in 20000 draws from the search space (last: " + last +
                           "); are the MAdds/parameter limits too tight?");
}

SpacePoint SearchSpace::mutate(const Genome& parent, std::mt19937_64& rng) const {
  SpacePoint p, q;
  const std::string parent_id = realize(parent, &q, nullptr) ? config_id(q.config) : "";
  for (int attempt = 0; attempt < 200; ++attempt) {
    Genome g = parent;
    const int genes = 1 + pick_index(2, rng);
    for (int i = 0; i < genes; ++i) redraw_gene(g, rng);
    // A redrawn gene may not change the network (a group bound rounding to the same divisor).
    if (realize(g, &p, nullptr) && config_id(p.config) != parent_id) return p;
  }
  return sample(rng);
}

SpacePoint SearchSpace::crossover(const Genome& a, const Genome& b, std::mt19937_64& rng) const {
  Genome g = a;
  std::bernoulli_distribution coin(0.5);
  if (coin(rng)) g.stem = b.stem;
  if (coin(rng)) g.head = b.head;
  for (size_t i = 0; i < g.stages.size() && i < b.stages.size(); ++i)
    if (coin(rng)) g.stages[i] = b.stages[i];
  SpacePoint p;
  if (realize(g, &p, nullptr)) return p;
  return mutate(a, rng);
}

std::string SearchSpace::describe() const {
  std::ostringstream o;
  auto list = [&](const std::vector<int>& v) {
    std::string s = "{";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
    return s + "}";
  };
  o << "MicroNet-family search space at " << options_.size << "x" << options_.size << ", " << options_.classes
    << " classes (10^" << std::lround(log10_size()) << " genomes before validation)\n";
  o << "  stem groups {2x2,3x2,4x2,4x3}; head width " << list(kHeads) << "\n";
  const char* names[] = {"Micro-A", "Micro-B/C", "final"};
  for (size_t i = 0; i < skeleton().size(); ++i) {
    const StageShape& s = skeleton()[i];
    o << "  stage " << i << " " << names[int(s.kind)] << " stride " << s.stride;
    if (!s.widths.empty()) o << " width " << list(s.widths);
    if (s.kind == Kind::BC) o << " repeats " << list(kRepeats);
    o << " ks " << list(kKernels) << " (c1,c2) {";
    for (size_t e = 0; e < expansions(s.kind).size(); ++e)
      o << (e ? "," : "") << "(" << expansions(s.kind)[e].first << "," << expansions(s.kind)[e].second << ")";
    o << "}\n";
  }
  o << "  every stage: groups in <= " << list(kGroupsIn) << ", groups out <= " << list(kGroupsOut)
    << " (rounded down to divisors), activations y1,y2,y3 " << list(kActs)
    << " (0 ReLU6 / none, 1 and 2 Dynamic Shift-Max K=1/2), J " << list(kJ) << ", reduction x" << list(kR) << "\n";
  if (options_.max_madds > 0) o << "  limit: MAdds <= " << options_.max_madds << "\n";
  if (options_.max_params > 0) o << "  limit: parameters <= " << options_.max_params << "\n";
  return o.str();
}

double SearchSpace::log10_size() const {
  double l = std::log10(double(kStems.size() * kHeads.size()));
  for (const StageShape& s : skeleton()) {
    double n = double(std::max<size_t>(1, s.widths.size())) * (s.kind == Kind::BC ? kRepeats.size() : 1) *
               kKernels.size() * expansions(s.kind).size() * kGroupsIn.size() * kGroupsOut.size() *
               std::pow(double(kActs.size()), 3) * kJ.size() * kR.size();
    l += std::log10(n);
  }
  return l;
}

std::string config_id(const ModelConfig& cfg) {
  ModelConfig c = cfg;
  c.arch = c.config_name = "x";
  const std::string text = config_to_json(c);
  uint64_t h = 1469598103934665603ull;
  for (unsigned char ch : text) {
    h ^= ch;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%012llx", static_cast<unsigned long long>(h & 0xffffffffffffull));
  return buf;
}

std::string network_key(const ModelConfig& cfg) {
  ModelConfig c = cfg;
  if (!c.rows.empty()) c.rows.back().kernel = 0;
  return config_id(c);
}

std::string describe_genome(const Genome& g) {
  // e.g. "stem4 head160, A16k7e2x2 y21J2, ..., BC64k3e4 y021J1, Fk3e4 y0J2": per stage its kind,
  // width (x2: two blocks), kernel, expansion, activation codes of the slots it has, J.
  std::ostringstream o;
  o << "stem" << kStems.at(size_t(g.stem))[0] * kStems.at(size_t(g.stem))[1] << " head" << kHeads.at(size_t(g.head));
  const std::vector<StageShape>& sk = skeleton();
  for (size_t i = 0; i < g.stages.size() && i < sk.size(); ++i) {
    const StageGenes& s = g.stages[i];
    const auto& ex = expansions(sk[i].kind);
    const auto [c1, c2] = ex.at(size_t(std::clamp(s.expansion, 0, int(ex.size()) - 1)));
    o << ", ";
    if (sk[i].kind == Kind::Final) o << "F";
    else o << (sk[i].kind == Kind::A ? "A" : "BC") << s.width << (s.repeats > 1 ? "x2" : "");
    o << "k" << s.kernel << "e" << (sk[i].kind == Kind::A ? std::to_string(c1) + "x" + std::to_string(c2) : std::to_string(c2))
      << " y";
    if (sk[i].kind == Kind::BC) o << s.y1;
    if (sk[i].kind != Kind::Final) o << s.y2;
    o << s.y3 << "J" << s.J;
  }
  return o.str();
}

}  // namespace micronet::search
