#include "autotune/tuner.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <future>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "Halide.h"
#include "autotune/candidate_compiler.h"
#include "autotune/candidate_library.h"
#include "autotune/kernel_space.h"
#include "support/paths.h"
#include "support/subprocess.h"
#include "autotune/search_strategy.h"
#include "autotune/tuning_db.h"
#include "runtime/device_targets.h"
#include "schedules/knob_space.h"

namespace micronet::tune {

namespace fs = std::filesystem;

std::vector<Workload> shard(const std::vector<Workload>& workloads, int index, int count) {
  if (count < 1 || index < 0 || index >= count)
    throw std::invalid_argument("--shard " + std::to_string(index + 1) + "/" + std::to_string(count) +
                                ": want I/N with 1 <= I <= N");
  std::vector<std::string> names;
  for (const Workload& w : workloads) names.push_back(w.step.spec.name());
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::set<std::string> mine;
  for (size_t i = 0; i < names.size(); ++i)
    if (int(i % size_t(count)) == index) mine.insert(names[i]);
  std::vector<Workload> out;
  for (const Workload& w : workloads)
    if (mine.count(w.step.spec.name())) out.push_back(w);
  return out;
}

namespace {

std::string project_commit() {
  std::string out = "unknown";
  FILE* p = popen("git -C " MICRONET_SOURCE_DIR " rev-parse --short=12 HEAD 2>/dev/null", "r");
  if (!p) return out;
  char buf[64] = {0};
  if (fgets(buf, sizeof buf, p)) {
    out = buf;
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  }
  pclose(p);
  return out.empty() ? "unknown" : out;
}

std::string halide_version() {
  return MICRONET_HALIDE_VERSION;  // Halide 14's headers carry no version macro: CMake's
}

std::string first_line(const std::string& s) {
  // Keep the message that says what failed, not Halide's whole log.
  std::istringstream in(s);
  std::string line, last_useful;
  while (std::getline(in, line)) {
    if (line.find("rror") != std::string::npos || line.find("what()") != std::string::npos) return line;
    if (!line.empty()) last_useful = line;
  }
  return last_useful.empty() ? s.substr(0, 200) : last_useful;
}

struct Context {
  explicit Context(const TuneOptions& options) : o(options) {}
  const TuneOptions& o;
  std::string target;        // concrete Halide target string
  std::string target_family;
  std::string machine, commit, version;
  std::string work_dir;
  std::string device;        // "" (host) or the GPU API candidates run on
  bool out_of_process = false;  // measured by micronet-measure (GPU APIs, --runner)
  std::string measure_exe;
  MeasureOptions measure;
  std::set<std::string> measured;  // point keys already in the database
  std::vector<TuningRecord> db;
  int serial = 0;
};

TuningRecord base_record(const Context& c, const Workload& w) {
  TuningRecord r;
  r.kernel = w.step.spec.name();
  r.family = family_name(w.step.spec);
  r.target = c.target;
  r.target_family = c.target_family;
  r.machine = c.machine;
  r.batch = c.o.measure.batch;
  r.threads = c.o.measure.threads;
  r.height = w.step.in_h;
  r.width = w.step.in_w;
  r.halide_version = c.version;
  r.commit = c.commit;
  return r;
}

TuningRecord record_for(const Context& c, const Workload& w, const Candidate& cand,
                        const std::string& strategy, int trial) {
  TuningRecord r = base_record(c, w);
  r.knobs = cand.knobs.values();
  r.autoscheduler = cand.autoscheduler;
  r.strategy = strategy;
  r.trial = trial;
  return r;
}

// The candidate a record measured.
Candidate candidate_of(const TuningRecord& r) {
  sched::Knobs k;
  for (const auto& [n, v] : r.knobs) k.set(n, v);
  return Candidate{k, r.autoscheduler};
}

// Whether `r` was measured under the conditions of `probe` (same kernel, target, machine,
// batch, threads, size): only such times compare.
bool same_conditions(const TuningRecord& r, const TuningRecord& probe) {
  return r.kernel == probe.kernel && r.target == probe.target && r.machine == probe.machine &&
         r.batch == probe.batch && r.threads == probe.threads && r.height == probe.height &&
         r.width == probe.width;
}

// One candidate compiled (possibly on another thread) and then measured here.
struct Pending {
  Candidate cand;
  std::string strategy;
  std::future<CompileResult> compiled;
};

class KernelTuner {
 public:
  KernelTuner(Context& c, const Workload& w) : c_(c), w_(w) {}

  std::future<CompileResult> start_compile(const Candidate& cand) {
    CompileOptions co;
    co.target = c_.o.target;
    co.work_dir = c_.work_dir;
    co.generator_dir = c_.o.generator_dir;
    co.timeout_s = c_.o.compile_timeout_s;
    const std::string tag = w_.step.spec.name() + "_" + std::to_string(c_.serial++);
    const KernelSpec spec = w_.step.spec;
    return std::async(std::launch::async, [spec, cand, co, tag] { return compile_candidate(spec, cand, co, tag); });
  }

  // Measures a compiled candidate; appends its record; returns it.
  // `append`: false for a re-measured point already in the database (the default schedule,
  // run again for its output).
  TuningRecord finish(Pending& p, int trial, Timing* reference_out = nullptr, bool append = true) {
    TuningRecord r = record_for(c_, w_, p.cand, p.strategy, trial);
    const CompileResult cr = p.compiled.get();
    if (!cr.ok) {
      r.status = cr.timed_out ? Status::Timeout : Status::CompileError;
      r.error = first_line(cr.error);
    } else {
      try {
        const Timing t = c_.out_of_process ? measure_elsewhere(cr) : [&] {
          CandidateLibrary lib(cr.library, cr.function);
          return measure_kernel(lib.entry(), w_, c_.measure);
        }();
        r.median_us = t.median_us;
        r.min_us = t.min_us;
        r.repeats = t.repeats;
        if (reference_out) {
          *reference_out = t;
          r.rel_l2 = 0;
        } else {
          // At the tuning size and at the odd size (the code must take any size).
          r.rel_l2 = relative_l2(t.output, reference_.output);
          const double odd = relative_l2(t.odd_output, reference_.odd_output);
          if (!(r.rel_l2 <= c_.o.tolerance) || !(odd <= c_.o.tolerance)) {
            r.status = Status::Wrong;
            std::ostringstream e;
            e << "output differs from the default schedule's: rel L2 " << r.rel_l2 << " at "
              << w_.step.in_h << "x" << w_.step.in_w << ", " << odd << " at " << w_.odd_step.in_h << "x"
              << w_.odd_step.in_w << " (batch 2) > " << c_.o.tolerance;
            r.error = e.str();
            r.rel_l2 = std::max(r.rel_l2, odd);
          }
        }
      } catch (const std::exception& e) {
        r.status = Status::RunError;
        r.error = first_line(e.what());
      }
      std::error_code ec;
      fs::remove(cr.library, ec);
    }
    for (const char* ext : {".o", ".knobs.txt", ".generator.log", ".link.log"}) {
      std::error_code ec;
      fs::remove(c_.work_dir + "/" + cr.function + ext, ec);
    }
    r.time = utc_now_iso8601();
    if (append && !c_.o.db.empty()) append_record(c_.o.db, r);
    return r;
  }

  void set_reference(Timing t) { reference_ = std::move(t); }

  // micronet-measure in its own process, directly or through the runner template.
  Timing measure_elsewhere(const CompileResult& cr) {
    const std::string out_file = c_.work_dir + "/" + cr.function + ".out";
    const MeasureOptions& m = c_.measure;
    std::vector<std::string> cmd = {c_.measure_exe, "--kernel", w_.step.spec.name(), "--model", w_.model,
                                    "--library", cr.library, "--function", cr.function, "--output", out_file,
                                    "--batch", std::to_string(m.batch), "--threads", std::to_string(m.threads),
                                    "--repeats", std::to_string(m.repeats), "--repeat-seconds",
                                    std::to_string(m.repeat_seconds), "--seed", std::to_string(m.seed)};
    if (!m.device.empty()) cmd.insert(cmd.end(), {"--device", m.device});
    if (!c_.o.runner.empty()) {
      std::string line;
      for (const std::string& a : cmd) line += (line.empty() ? "" : " ") + shell_quote(a);
      std::string t = c_.o.runner;
      const size_t at = t.find("{}");
      if (at == std::string::npos) throw std::invalid_argument("--runner needs {} where the command goes: " + t);
      t.replace(at, 2, line);
      cmd = {"/bin/sh", "-c", t};
    }
    const ProcessResult p = run_process(cmd, 600, c_.work_dir + "/" + cr.function + ".measure.log");
    if (!p.start_error.empty()) throw std::runtime_error(p.start_error);
    if (p.timed_out) throw std::runtime_error("measuring timed out after 600 s");
    if (p.exit_code != 0) throw std::runtime_error("micronet-measure failed: " + p.output);
    Timing t;
    const size_t j = p.output.find("{\"median_us\"");
    if (j == std::string::npos ||
        std::sscanf(p.output.c_str() + j, "{\"median_us\":%lf,\"min_us\":%lf,\"repeats\":%d", &t.median_us,
                    &t.min_us, &t.repeats) != 3)
      throw std::runtime_error("micronet-measure printed no timing: " + p.output);
    auto read_floats = [](const std::string& path) {
      std::ifstream f(path, std::ios::binary);
      std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
      std::vector<float> v(bytes.size() / sizeof(float));
      std::memcpy(v.data(), bytes.data(), v.size() * sizeof(float));
      return v;
    };
    t.output = read_floats(out_file);
    t.odd_output = read_floats(out_file + ".odd");
    std::error_code ec;
    fs::remove(out_file, ec);
    fs::remove(out_file + ".odd", ec);
    fs::remove(c_.work_dir + "/" + cr.function + ".measure.log", ec);
    return t;
  }

  static std::string shell_quote(const std::string& s) {
    std::string q = "'";
    for (char ch : s) q += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
    return q + "'";
  }

 private:
  Context& c_;
  const Workload& w_;
  Timing reference_;  // the default schedule's outputs
};

std::string eta_text(double seconds) {
  if (!(seconds >= 0) || seconds > 1e6) return "?";
  char buf[32];
  if (seconds >= 60)
    std::snprintf(buf, sizeof buf, "%dm%02ds", int(seconds) / 60, int(seconds) % 60);
  else
    std::snprintf(buf, sizeof buf, "%ds", int(seconds));
  return buf;
}

}  // namespace

std::vector<KernelSummary> tune(const std::vector<Workload>& workloads, const TuneOptions& o,
                                std::ostream& progress) {
  Context c(o);
  c.target = candidate_target(o.target);
  // The record names the target without the no_runtime flag the candidates carry.
  c.target = Halide::Target(c.target).without_feature(Halide::Target::NoRuntime).to_string();
  const Halide::Target target(c.target);
  c.target_family = sched::target_family(target);
  if (target.has_feature(Halide::Target::CUDA) || target.has_feature(Halide::Target::OpenCL)) {
    const std::string api = target.has_feature(Halide::Target::CUDA) ? "cuda" : "opencl";
    const std::string why = probe_target(api);
    if (!why.empty()) throw std::runtime_error("cannot measure on " + api + " here: " + why);
    c.device = api;
  }
  if ((target.arch != Halide::get_host_target().arch || target.os != Halide::get_host_target().os) &&
      o.runner.empty())
    throw std::runtime_error("target " + c.target + " cannot run on this machine (" +
                             Halide::get_host_target().to_string() + "): use --runner");
  c.measure = o.measure;
  c.measure.device = c.device;
  c.out_of_process = !c.device.empty() || !o.runner.empty();
  c.measure_exe = o.measure_exe.empty() ? executable_dir() + "/micronet-measure" : o.measure_exe;
  if (c.out_of_process && access(c.measure_exe.c_str(), F_OK) != 0)
    throw std::runtime_error("measuring for " + c.target + " needs " + c.measure_exe +
                             " (build it, or pass --measure-exe: for a board, the board's build of it)");
  c.machine = o.machine.empty() ? machine_name() + (c.device.empty() ? "" : " + " + c.device) : o.machine;
  c.commit = project_commit();
  c.version = halide_version();
  if (!o.db.empty()) {
    c.db = read_db(o.db);
    c.measured = measured_keys(c.db);
  }
  bool own_work_dir = false;
  if (o.work_dir.empty()) {
    // Named with this process's id, so a later run can remove the scratch folders of runs
    // that were killed (SIGINT, kill -9) and never cleaned up after themselves.
    std::error_code ec;
    for (const fs::directory_entry& e : fs::directory_iterator(fs::temp_directory_path(), ec)) {
      const std::string n = e.path().filename().string();
      if (n.rfind("micronet-tune-", 0) != 0) continue;
      const size_t dash = n.find('-', 14);
      if (dash == std::string::npos || dash == 14 || n.find_first_not_of("0123456789", 14) != dash) continue;
      const long pid = std::stol(n.substr(14, dash - 14));
      std::error_code ec2;
      if (pid > 0 && pid != long(getpid()) && ::kill(pid_t(pid), 0) != 0 && errno == ESRCH) fs::remove_all(e.path(), ec2);
    }
    std::string tmpl =
        (fs::temp_directory_path() / ("micronet-tune-" + std::to_string(getpid()) + "-XXXXXX")).string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("cannot create a scratch folder in " + fs::temp_directory_path().string());
    c.work_dir = tmpl;
    own_work_dir = true;
  } else {
    c.work_dir = o.work_dir;
    fs::create_directories(c.work_dir);
  }
  struct Cleanup {
    std::string dir;
    bool own;
    ~Cleanup() {
      std::error_code ec;
      if (own) fs::remove_all(dir, ec);
    }
  } cleanup{c.work_dir, own_work_dir};

  std::vector<std::string> baselines;
  if (o.baselines) {
    if (c.target_family == "gpu")
      baselines = {"Li2018"};
    else
      baselines = {"Adams2019", "Mullapudi2016"};
  }

  const auto run_start = std::chrono::steady_clock::now();
  std::vector<KernelSummary> out;
  for (size_t ki = 0; ki < workloads.size(); ++ki) {
    const Workload& w = workloads[ki];
    const std::string name = w.step.spec.name();
    const sched::KnobSpace space = kernel_space(w.step.spec, target);
    const std::vector<sched::Knobs> valid = space.valid_points();
    KernelSummary sum;
    sum.kernel = name;
    KernelTuner kt(c, w);

    // Everything already measured for this kernel under these conditions.
    std::vector<Measurement> history;
    std::vector<TuningRecord> prior;
    const TuningRecord probe = base_record(c, w);
    int trial = 0;
    for (const TuningRecord& r : c.db) {
      if (!same_conditions(r, probe)) continue;
      prior.push_back(r);
      trial = std::max(trial, r.trial + 1);
      if (r.autoscheduler.empty()) history.push_back(Measurement{candidate_of(r).knobs, r.min_us, r.status == Status::Ok});
    }
    auto already = [&](const Candidate& cand) {
      TuningRecord r = record_for(c, w, cand, "", 0);
      return c.measured.count(point_key(r)) > 0;
    };
    auto note = [&](const TuningRecord& r) {
      c.measured.insert(point_key(r));
      c.db.push_back(r);
      if (r.status == Status::Ok) {
        if (sum.best_us == 0 || r.min_us < sum.best_us) {
          sum.best_us = r.min_us;
          sum.best = candidate_of(r).describe();
        }
        ++sum.measured;
      } else {
        ++sum.failed;
      }
    };
    for (const TuningRecord& r : prior)
      if (r.status == Status::Ok && (sum.best_us == 0 || r.min_us < sum.best_us)) {
        sum.best_us = r.min_us;
        sum.best = candidate_of(r).describe();
        if (r.autoscheduler.empty() && r.knobs.empty()) sum.default_us = r.min_us;
      }

    auto show = [&](int done, int total, const std::string& phase) {
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - run_start).count();
      const double frac = (double(ki) + (total > 0 ? double(done) / total : 1.0)) / double(workloads.size());
      progress << "[kernel " << (ki + 1) << "/" << workloads.size() << "] " << name << "  " << phase << " "
               << done << "/" << total;
      if (sum.best_us > 0) {
        char buf[96];
        std::snprintf(buf, sizeof buf, "  best %.2f us", sum.best_us);
        progress << buf;
        if (sum.default_us > 0) {
          std::snprintf(buf, sizeof buf, " (%.2fx default)", sum.default_us / sum.best_us);
          progress << buf;
        }
      }
      progress << "  ETA " << (frac > 0 ? eta_text(elapsed / frac - elapsed) : "?") << "\n" << std::flush;
    };

    // 1. The default schedule: the reference output every candidate is checked against,
    //    compiled and run even when its record exists (outputs are not stored).
    {
      Pending p{Candidate{}, "default", kt.start_compile(Candidate{})};
      Timing ref;
      const bool again = already(p.cand);
      if (again) ++sum.skipped;
      TuningRecord r = kt.finish(p, again ? trial : trial++, &ref, !again);
      if (r.status != Status::Ok)
        throw std::runtime_error(name + ": the default schedule failed (" + r.error +
                                 "); nothing can be checked against it");
      kt.set_reference(ref);
      if (sum.default_us == 0) sum.default_us = r.min_us;
      note(r);
    }

    if (o.verify) {
      // Re-check the winners, best first, until the best is a record of this run (re-measured
      // points keep only their newest time, so a lucky old time cannot win unchecked), at most
      // 8 re-measurements per kernel.
      std::set<std::string> rechecked;
      // The best is judged on each point's newest record, as --apply judges it: a record
      // just found wrong must not stay the "best" shown (it printed 3377.00x).
      auto recompute_best = [&] {
        sum.best_us = 0;
        sum.best.clear();
        for (const TuningRecord& r : latest_per_point(c.db))
          if (same_conditions(r, probe) && r.status == Status::Ok && (sum.best_us == 0 || r.min_us < sum.best_us)) {
            sum.best_us = r.min_us;
            sum.best = candidate_of(r).describe();
          }
      };
      recompute_best();
      for (int tries = 0; tries < 8; ++tries) {
        const TuningRecord* best = nullptr;
        const std::vector<TuningRecord> latest = latest_per_point(c.db);
        for (const TuningRecord& r : latest)
          if (same_conditions(r, probe) && r.status == Status::Ok && !is_default_point(r) &&
              (!best || r.min_us < best->min_us))
            best = &r;
        if (!best || rechecked.count(point_key(*best))) break;  // only defaults, or checked
        Pending p{candidate_of(*best), best->strategy, {}};
        p.compiled = kt.start_compile(p.cand);
        const TuningRecord r = kt.finish(p, trial++);
        c.db.push_back(r);
        rechecked.insert(point_key(r));
        recompute_best();
        show(tries + 1, 8, "verify");
        if (r.status == Status::Ok) continue;
        ++sum.replaced;
        ++sum.failed;
      }
      out.push_back(sum);
      continue;
    }

    // 2. Autoscheduler baselines (skipped when measured already), at most `jobs` compiling at
    //    once as in the search (--jobs 1: one generator at a time).
    {
      std::vector<Pending> pend;
      for (const std::string& a : baselines) {
        Candidate cand{sched::Knobs{}, a};
        if (already(cand)) {
          ++sum.skipped;
          continue;
        }
        pend.push_back(Pending{cand, "autoscheduler", {}});
      }
      size_t started = 0;
      int done = 0, failed = 0;
      std::string failures;
      for (size_t i = 0; i < pend.size(); ++i) {
        for (; started < pend.size() && started < i + size_t(std::max(1, o.jobs)); ++started)
          pend[started].compiled = kt.start_compile(pend[started].cand);
        const TuningRecord r = kt.finish(pend[i], trial++);
        if (r.status != Status::Ok) {
          ++failed;
          failures += (failures.empty() ? "" : ", ") + pend[i].cand.autoscheduler + ": " + status_name(r.status) +
                      (r.error.empty() ? "" : " (" + first_line(r.error).substr(0, 160) + ")");
        }
        note(r);
        show(++done, int(pend.size()), "baselines");
      }
      // Said here, not only in the database: a user comparing against the autoschedulers
      // must know there is nothing to compare with.
      if (!pend.empty() && failed == int(pend.size()))
        progress << "[kernel " << (ki + 1) << "/" << workloads.size() << "] " << name << ": every autoscheduler "
                 << "baseline failed (" << failures << "); the search goes on from the default schedule\n";
    }

    // 3. The search.
    const bool exhaustive = o.strategy == "grid" || int(valid.size()) <= o.budget;
    const std::string strat_name = exhaustive ? "grid" : o.strategy;
    std::unique_ptr<SearchStrategy> strategy = make_strategy(strat_name, space, o.seed + ki);
    // The default point counts as measured (its knobs empty = all defaults).
    history.push_back(Measurement{space.default_point(), sum.default_us, true});
    int searched = 0;
    for (const TuningRecord& r : prior)
      if (r.strategy != "default" && r.strategy != "autoscheduler") ++searched;
    const int target_count = std::min<int>(o.budget, int(valid.size()) - 1);
    const int batch = std::max(4, 2 * o.jobs);
    while (searched < target_count) {
      std::vector<sched::Knobs> points = strategy->propose(std::min(batch, target_count - searched), history);
      if (points.empty()) break;
      // Compile with at most `jobs` compiles in flight; measure in order as they finish.
      std::vector<Pending> pend;
      for (const sched::Knobs& k : points) pend.push_back(Pending{Candidate{k, ""}, strat_name, {}});
      size_t started = 0;
      auto top_up = [&](size_t measured_upto) {
        while (started < pend.size() && started < measured_upto + size_t(std::max(1, o.jobs))) {
          pend[started].compiled = kt.start_compile(pend[started].cand);
          ++started;
        }
      };
      // Before measuring pend[i]: pend[i..i+jobs-1] compiling, no more (top_up(i + 1) kept
      // one compile more than --jobs in flight: --jobs 1 ran two generators at once).
      for (size_t i = 0; i < pend.size(); ++i) {
        top_up(i);
        const TuningRecord r = kt.finish(pend[i], trial++);
        history.push_back(Measurement{pend[i].cand.knobs, r.min_us, r.status == Status::Ok});
        note(r);
        ++searched;
        show(searched, target_count, strat_name);
      }
    }
    out.push_back(sum);
  }
  return out;
}

}  // namespace micronet::tune
