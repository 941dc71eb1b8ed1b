#include "autotune/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "autotune/tuning_db.h"

namespace micronet::tune {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kSlowerThanBaseline = 1.02;  // issue 10: tuned <= 1.02 x every baseline

// Records measured under the same conditions, so their times compare.
using SectionKey = std::tuple<std::string, std::string, int, int>;  // machine, target, batch, threads

struct Baseline {
  double us = kNaN;
  std::string status;  // "" = an ok record; else the status of the timed non-ok record
  bool present() const { return std::isfinite(us); }
  std::string text() const {
    return present() ? format_us(us) + (status.empty() ? "" : " (" + status + ")") : "-";
  }
};

struct Row {
  std::set<std::string> sizes;
  std::map<std::string, std::vector<const TuningRecord*>> by_kind;  // "" = defaults
  const TuningRecord* tuned = nullptr;  // best ok record of any kind
  int measured = 0, ok = 0;

  // Best ok time of a kind; failing that, the best time of a timed non-ok record.
  Baseline baseline(const std::string& kind) const {
    Baseline b;
    auto it = by_kind.find(kind);
    if (it == by_kind.end()) return b;
    for (const TuningRecord* r : it->second) {
      const bool ok = r->status == Status::Ok;
      if (!std::isfinite(r->min_us) || r->min_us <= 0) continue;
      const bool b_ok = b.present() && b.status.empty();
      if (!b.present() || (ok && !b_ok) || (ok == b_ok && r->min_us < b.us)) {
        b.us = r->min_us;
        b.status = ok ? "" : status_name(r->status);
      }
    }
    return b;
  }
};

struct Section {
  std::string family;
  std::map<std::string, Row> rows;  // kernel -> row
};

std::string speedup(double baseline_us, double tuned_us) {
  if (!std::isfinite(baseline_us) || !std::isfinite(tuned_us) || tuned_us <= 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2fx", baseline_us / tuned_us);
  return buf;
}

bool matches_target(const TuningRecord& r, const std::string& target) {
  return target.empty() || r.target == target || r.target_family == target;
}

// Which schedule the tuned record is: "default", an autoscheduler, or the search strategy.
std::string tuned_by(const TuningRecord& r) {
  if (!r.autoscheduler.empty()) return r.autoscheduler;
  if (is_default_point(r)) return "default";
  return r.strategy.empty() ? "search" : r.strategy;
}

std::map<SectionKey, Section> group(const std::vector<TuningRecord>& db, const ReportOptions& opt) {
  std::map<SectionKey, Section> sections;
  for (const TuningRecord& r : db) {
    if ((!opt.machine.empty() && r.machine != opt.machine) || !matches_target(r, opt.target))
      continue;
    Section& s = sections[SectionKey{r.machine, r.target, r.batch, r.threads}];
    s.family = r.target_family;
    Row& row = s.rows[r.kernel];
    row.sizes.insert(std::to_string(r.height) + "x" + std::to_string(r.width));
    ++row.measured;
    if (is_default_point(r) || !r.autoscheduler.empty()) row.by_kind[r.autoscheduler].push_back(&r);
    if (r.status != Status::Ok) continue;
    ++row.ok;
    if (!row.tuned || r.min_us < row.tuned->min_us) row.tuned = &r;
  }
  return sections;
}

// The baseline columns: the family's autoschedulers (Halide 14: Adams2019 and Mullapudi2016
// schedule CPUs, Li2018 GPUs), then any other one the records measured.
std::vector<std::string> baseline_kinds(const Section& s) {
  std::vector<std::string> kinds{""};
  if (s.family == "gpu") {
    kinds.push_back("Li2018");
  } else {
    kinds.push_back("Adams2019");
    kinds.push_back("Mullapudi2016");
  }
  std::set<std::string> seen;
  for (const auto& [kernel, row] : s.rows)
    for (const auto& [kind, records] : row.by_kind) seen.insert(kind);
  for (const std::string& k : seen)
    if (std::find(kinds.begin(), kinds.end(), k) == kinds.end()) kinds.push_back(k);
  return kinds;
}

std::string kind_name(const std::string& kind) { return kind.empty() ? "default" : kind; }

std::string flag(const Row& row, const std::vector<std::string>& kinds) {
  std::vector<std::string> why;
  if (!row.tuned) why.push_back("no ok record");
  double fastest = kNaN;
  std::string fastest_kind;
  for (const std::string& k : kinds) {
    const Baseline b = row.baseline(k);
    if (!b.present()) {
      why.push_back("no " + kind_name(k));
    } else if (!(b.us >= fastest)) {
      fastest = b.us;
      fastest_kind = kind_name(k) + (b.status.empty() ? "" : " (" + b.status + ")");
    }
  }
  if (row.tuned && std::isfinite(fastest) && row.tuned->min_us > kSlowerThanBaseline * fastest)
    why.insert(why.begin(), "**tuned takes " + speedup(row.tuned->min_us, fastest) + " the time of " +
                                fastest_kind + "**");
  if (row.sizes.size() > 1) why.push_back("mixed sizes");
  std::string s;
  for (const std::string& w : why) s += (s.empty() ? "" : "; ") + w;
  return s;
}

void kernel_table(std::ostringstream& out, const Section& s, const std::vector<std::string>& kinds,
                  int* flagged) {
  out << "| kernel | size |";
  for (const std::string& k : kinds) out << " " << kind_name(k) << " us |";
  out << " tuned us | tuned by |";
  for (const std::string& k : kinds) out << " vs " << kind_name(k) << " |";
  // Times and ratios right-aligned; names and flags left.
  out << " measured (ok) | flag |\n|---|---|";
  for (size_t i = 0; i < kinds.size() + 1; ++i) out << "---:|";
  out << "---|";
  for (size_t i = 0; i < kinds.size() + 1; ++i) out << "---:|";
  out << "---|\n";
  for (const auto& [kernel, row] : s.rows) {
    const double tuned = row.tuned ? row.tuned->min_us : kNaN;
    std::string sizes;
    for (const std::string& z : row.sizes) sizes += (sizes.empty() ? "" : ", ") + z;
    out << "| `" << kernel << "` | " << sizes << " |";
    for (const std::string& k : kinds) out << " " << row.baseline(k).text() << " |";
    out << " " << format_us(tuned) << " | " << (row.tuned ? tuned_by(*row.tuned) : "-") << " |";
    for (const std::string& k : kinds) out << " " << speedup(row.baseline(k).us, tuned) << " |";
    const std::string f = flag(row, kinds);
    if (!f.empty()) ++*flagged;
    out << " " << row.measured << " (" << row.ok << ") | " << f << " |\n";
  }
}

// A column's sum over the listed kernels, or NaN and how many kernels lack a value.
struct Sum {
  double us = 0;
  int missing = 0;
  bool not_ok = false;  // includes a baseline shown "(wrong)" in the kernel table
  std::string text() const {
    if (missing) return "- (" + std::to_string(missing) + " missing)";
    return format_us(us) + (not_ok ? " (incl. not ok)" : "");
  }
  double value() const { return missing ? kNaN : us; }
};

void model_table(std::ostringstream& out, const Section& s, const std::vector<std::string>& kinds,
                 const ReportOptions& opt) {
  out << "\n| model | kernels |";
  for (const std::string& k : kinds) out << " " << kind_name(k) << " us |";
  out << " tuned us |";
  for (const std::string& k : kinds) out << " vs " << kind_name(k) << " |";
  out << "\n|---|---:|";
  for (size_t i = 0; i < 2 * kinds.size() + 1; ++i) out << "---:|";
  out << "\n";
  for (const auto& [model, kernels] : opt.models) {
    std::vector<Sum> base(kinds.size());
    Sum tuned;
    for (const std::string& kernel : kernels) {
      auto it = s.rows.find(kernel);
      const Row* row = it == s.rows.end() ? nullptr : &it->second;
      for (size_t i = 0; i < kinds.size(); ++i) {
        const Baseline b = row ? row->baseline(kinds[i]) : Baseline{};
        if (b.present()) {
          base[i].us += b.us;
          base[i].not_ok |= !b.status.empty();
        } else {
          ++base[i].missing;
        }
      }
      if (row && row->tuned)
        tuned.us += row->tuned->min_us;
      else
        ++tuned.missing;
    }
    out << "| " << model << " | " << kernels.size() << " |";
    for (const Sum& b : base) out << " " << b.text() << " |";
    out << " " << tuned.text() << " |";
    for (const Sum& b : base) out << " " << speedup(b.value(), tuned.value()) << " |";
    out << "\n";
  }
}

// Summed over the section's kernels that have both times, so a missing baseline shrinks
// the set (said in the line) instead of skewing the ratio.
void overall(std::ostringstream& out, const Section& s, const std::vector<std::string>& kinds) {
  out << "\nSummed over the kernels of this section, tuned vs each baseline:";
  for (const std::string& k : kinds) {
    double base = 0, tuned = 0;
    int n = 0;
    for (const auto& [kernel, row] : s.rows) {
      const Baseline b = row.baseline(k);
      if (!row.tuned || !b.present()) continue;
      base += b.us;
      tuned += row.tuned->min_us;
      ++n;
    }
    out << (k.empty() ? " " : ", ");
    if (n == 0) {
      out << "no " << kind_name(k) << " time";
      continue;
    }
    out << "**" << speedup(base, tuned) << "** vs " << kind_name(k) << " (" << format_us(tuned)
        << " vs " << format_us(base) << " us, " << n << " of " << s.rows.size() << " kernels)";
  }
  out << ".\n";
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string csv_number(double v) {
  if (!std::isfinite(v)) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

std::string render_report(const std::vector<TuningRecord>& db, const ReportOptions& options) {
  std::ostringstream out;
  const std::vector<TuningRecord> latest = latest_per_point(db);  // re-measured points: newest
  const std::map<SectionKey, Section> sections = group(latest, options);
  if (sections.empty()) {
    out << "No tuning records" << (options.machine.empty() ? "" : " of " + options.machine)
        << (options.target.empty() ? "" : " for " + options.target) << ".\n";
    return out.str();
  }
  for (const auto& [key, s] : sections) {
    const auto& [machine, target, batch, threads] = key;
    const std::vector<std::string> kinds = baseline_kinds(s);
    out << "### " << machine << ", " << target << " (batch " << batch << ", " << threads
        << (threads == 1 ? " thread" : " threads") << ")\n\n";
    int flagged = 0;
    kernel_table(out, s, kinds, &flagged);
    if (!options.models.empty()) model_table(out, s, kinds, options);
    overall(out, s, kinds);
    out << "Flagged: " << flagged << " of " << s.rows.size()
        << " kernels (tuned above 1.02x the fastest baseline, a baseline missing, or no ok "
           "record).\n\n";
  }
  return out.str();
}

void write_curves_csv(const std::vector<TuningRecord>& db, const std::string& path) {
  using CurveKey = std::tuple<std::string, std::string, int, int, std::string>;  // + kernel
  std::map<CurveKey, double> default_us;
  std::map<CurveKey, std::map<std::string, std::vector<const TuningRecord*>>> curves;
  for (const TuningRecord& r : db) {
    const CurveKey key{r.machine, r.target, r.batch, r.threads, r.kernel};
    if (is_default_point(r) && r.status == Status::Ok) {
      auto [it, fresh] = default_us.emplace(key, r.min_us);
      if (!fresh) it->second = std::min(it->second, r.min_us);
    }
    if (r.strategy == "model" || r.strategy == "random" || r.strategy == "grid")
      curves[key][r.strategy].push_back(&r);
  }
  std::ofstream out(path);
  if (!out) throw std::runtime_error("cannot write " + path);
  out << "machine,target,batch,threads,kernel,strategy,measurement,trial,status,min_us,best_us,"
         "best_over_default,speedup_vs_default\n";
  for (auto& [key, strategies] : curves) {
    auto d = default_us.find(key);
    if (d == default_us.end()) continue;  // nothing to normalize by
    const auto& [machine, target, batch, threads, kernel] = key;
    for (auto& [strategy, records] : strategies) {
      std::stable_sort(records.begin(), records.end(),
                       [](const TuningRecord* a, const TuningRecord* b) { return a->trial < b->trial; });
      double best = kNaN;
      int n = 0;
      for (const TuningRecord* r : records) {
        if (r->status == Status::Ok && !(r->min_us >= best)) best = r->min_us;
        out << csv_field(machine) << "," << csv_field(target) << "," << batch << "," << threads
            << "," << kernel << "," << strategy << "," << ++n << "," << r->trial << ","
            << status_name(r->status) << "," << csv_number(r->min_us) << "," << csv_number(best)
            << "," << csv_number(best / d->second) << "," << csv_number(d->second / best) << "\n";
      }
    }
  }
  out.flush();
  if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace micronet::tune
