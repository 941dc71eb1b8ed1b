// micronet-tune: the schedule autotuner (`micronet tune ...` runs it). It links the Halide
// compiler (for targets and spaces) and runs the generator executables to compile
// candidates; the runtime library and the `micronet` CLI do not link it.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>

#include "Halide.h"
#include "autotune/apply_check.h"
#include "autotune/candidate_compiler.h"
#include "autotune/kernel_space.h"
#include "autotune/report.h"
#include "autotune/tuner.h"
#include "autotune/tuning_db.h"
#include "autotune/workloads.h"
#include "models/config.h"
#include "runtime/halide_model.h"
#include "schedules/knobs.h"
#include "support/cli_usage.h"

namespace micronet::tune {
namespace {

struct Args {
  std::vector<std::string> archs, configs, kernels;
  bool all = false;
  std::string size, space, report, plot, apply, text_db = MICRONET_SOURCE_DIR "/schedules/tuning_db.txt";
  std::string shard_text, machine;
  int classes = -1;
  TuneOptions tune;
};

std::pair<int, int> parse_hw(const std::string& s) {
  int h = 0, w = 0;
  char x = 0;
  std::istringstream in(s);
  if (!(in >> h >> x >> w) || x != 'x' || !in.eof() || h < 16 || w < 16 || h > 4096 || w > 4096)
    throw CLI::ValidationError("--size", "want HxW with sides 16..4096, e.g. 224x224, not '" + s + "'");
  return {h, w};
}

std::pair<int, int> parse_shard(const std::string& s) {
  int i = 0, n = 0;
  char slash = 0;
  std::istringstream in(s);
  if (!(in >> i >> slash >> n) || slash != '/' || !in.eof() || n < 1 || i < 1 || i > n)
    throw CLI::ValidationError("--shard", "want I/N with 1 <= I <= N (e.g. 2/4), not '" + s + "'");
  return {i - 1, n};
}

std::vector<Workload> select_workloads(const Args& a) {
  std::vector<ModelChoice> models;
  if (!a.archs.empty() || !a.configs.empty()) {
    int h = 224, w = 224;
    if (!a.size.empty()) std::tie(h, w) = parse_hw(a.size);
    for (const std::string& arch : a.archs) {
      model_config(arch);  // throws naming the valid choices
      models.push_back(ModelChoice{arch, h, w, a.classes});
    }
    // Config files by absolute path: the label travels to micronet-measure, which plans the
    // network again from it.
    for (const std::string& file : a.configs) {
      ModelChoice m{std::filesystem::absolute(file).string(), h, w, a.classes};
      m.config();  // a ConfigError names the file and the field
      models.push_back(m);
    }
  } else {
    models = shipped_models();
  }
  std::vector<Workload> all = workloads_for(models, a.tune.measure.seed);
  if (a.kernels.empty()) return all;
  std::vector<Workload> out;
  for (const std::string& k : a.kernels) {
    auto it = std::find_if(all.begin(), all.end(), [&](const Workload& w) { return w.step.spec.name() == k; });
    if (it == all.end()) {
      std::string similar;
      for (const Workload& w : all) {
        const std::string n = w.step.spec.name();
        if (n.compare(0, k.find('_') == std::string::npos ? k.size() : k.find('_'), k, 0,
                      k.find('_') == std::string::npos ? k.size() : k.find('_')) == 0 &&
            similar.size() < 400)
          similar += "\n  " + n;
      }
      throw CLI::ValidationError("--kernel", "unknown kernel '" + k + "': not a kernel of " +
                                  (a.archs.empty() && a.configs.empty()
                                       ? std::string("M0..M3 or the shipped Fashion-MNIST M0")
                                       : "the chosen --arch/--config models") +
                                  (similar.empty() ? " (`micronet kernels` lists them)"
                                                   : "; kernels of that family:" + similar));
    }
    out.push_back(*it);
  }
  return out;
}

int print_space(const Args& a) {
  Args b = a;
  b.kernels = {a.space};
  const std::vector<Workload> w = select_workloads(b);
  const Halide::Target t(candidate_target(a.tune.target));
  const sched::KnobSpace s = kernel_space(w[0].step.spec, t);
  const size_t valid = s.valid_points().size();
  std::cout << "space of " << a.space << " for " << t.without_feature(Halide::Target::NoRuntime).to_string()
            << " (schedule family " << sched::target_family(t) << ")\n";
  for (const sched::KnobDomain& d : s.knobs()) {
    std::cout << "  " << std::left << std::setw(16) << d.name << " {";
    for (size_t i = 0; i < d.values.size(); ++i) std::cout << (i ? "," : "") << d.values[i];
    std::cout << "}  default " << d.default_value << "  " << d.doc << "\n";
  }
  std::cout << "size " << s.size() << " points, " << valid << " valid after pruning\n";
  return 0;
}

int report(const Args& a) {
  const std::vector<TuningRecord> db = read_db(a.report);
  if (db.empty()) throw std::runtime_error(a.report + ": no records (missing or empty database)");
  ReportOptions ro;
  ro.machine = a.machine;
  for (const ModelChoice& m : shipped_models()) {
    if (m.height != 224) continue;  // the report's model totals are the 224x224 models
    ro.models.push_back({m.label(), kernel_names(m)});
  }
  std::cout << render_report(db, ro);
  if (!a.plot.empty()) {
    const std::string csv = a.plot + ".csv";
    write_curves_csv(db, csv);
    const std::string script = std::string(MICRONET_SOURCE_DIR) + "/autotune/plot_tuning.py";
    const std::string cmd = std::string(MICRONET_PYTHON) + " '" + script + "' '" + csv + "' '" + a.plot + "'";
    const int rc = std::system(cmd.c_str());
    if (rc != 0) throw std::runtime_error("plotting failed (" + cmd + ")");
    std::cout << "tuning curves: " << a.plot << " (data " << csv << ")\n";
  }
  return 0;
}

int apply(const Args& a) {
  const std::vector<TuningRecord> db = read_db(a.apply);
  if (db.empty()) throw std::runtime_error(a.apply + ": no records (missing or empty database)");
  const std::string machine = a.machine.empty() ? machine_name() : a.machine;
  // Each best record checked against the build's kernels and their knob spaces (issue 30).
  const ApplyResult r = apply_to_text_db(db, machine, a.text_db, check_against_knob_spaces);
  for (const std::string& k : r.skipped)
    std::cout << "skipped " << k << ": not a kernel of this build (its line would change nothing)\n";
  std::cout << "applied the best records of '" << machine << "' (" << r.kernels << " kernels) to " << a.text_db
            << ": " << r.changed.size() << " changed\n";
  for (const ApplyChange& c : r.changed)
    std::cout << "  " << c.target_family << " " << c.kernel << ": " << (c.before.empty() ? "defaults" : c.before)
              << " -> " << (c.after.empty() ? "defaults" : c.after) << "\n";
  if (!r.changed.empty())
    std::cout << "rebuild (bash scripts/build.sh) to regenerate exactly those kernels\n";
  return 0;
}

// Targets whose kernels time something else than the kernel: Halide's profiler samples and
// reports per stage (and its report at exit read the names of candidate libraries already
// unloaded: a crash), tracing calls out per value.
void refuse_instrumented_target(const std::string& target) {
  const Halide::Target t(candidate_target(target));
  for (const auto& [feature, name] : {std::pair{Halide::Target::Profile, "profile"},
                                      std::pair{Halide::Target::ProfileByTimer, "profile_by_timer"},
                                      std::pair{Halide::Target::TraceLoads, "trace_loads"},
                                      std::pair{Halide::Target::TraceStores, "trace_stores"},
                                      std::pair{Halide::Target::TraceRealizations, "trace_realizations"},
                                      std::pair{Halide::Target::TracePipeline, "trace_pipeline"}})
    if (t.has_feature(feature))
      throw CLI::ValidationError("--target", std::string("'") + name + "' instruments the kernels, so their timings are "
                                 "not the kernels' own: tune without it (per-stage times of a model: micronet bench "
                                 "--profile, or a build with -DMICRONET_X86_TARGETS=...-profile)");
}

int run_tuning(const Args& a) {
  // First: a bare `micronet tune` is a usage error, not minutes of planning the models.
  if (a.tune.db.empty())
    throw CLI::ValidationError("--db", "give the JSON-lines database to tune into, --db FILE (records are appended "
                                       "to it; a rerun skips what it holds); or --space / --report / --apply");
  refuse_instrumented_target(a.tune.target);
  std::vector<Workload> w = select_workloads(a);
  if (!a.shard_text.empty()) {
    const auto [i, n] = parse_shard(a.shard_text);
    w = shard(w, i, n);
  }
  std::cerr << "tuning " << w.size() << " kernels for " << a.tune.target << ", budget " << a.tune.budget
            << " per kernel, strategy " << a.tune.strategy << ", " << a.tune.jobs << " compile job(s), records -> "
            << a.tune.db << "\n";
  const std::vector<KernelSummary> s = tune(w, a.tune, std::cerr);
  double def = 0, best = 0;
  for (const KernelSummary& k : s) {
    def += k.default_us;
    best += k.best_us;
    std::printf("%-40s default %9.2f us  best %9.2f us  %5.2fx  %s\n", k.kernel.c_str(), k.default_us, k.best_us,
                k.best_us > 0 ? k.default_us / k.best_us : 0.0, k.best.c_str());
  }
  if (best > 0) std::printf("sum: default %.1f us, tuned %.1f us (%.2fx)\n", def, best, def / best);
  return 0;
}

}  // namespace
}  // namespace micronet::tune

int main(int argc, char** argv) {
  using namespace micronet;
  using namespace micronet::tune;
  Args a;
  a.tune.jobs = std::max(1, int(std::thread::hardware_concurrency()) - 1);
  const std::string kName = "micronet tune", kHelp = "run `micronet help tune` for its flags";
  CLI::App app{"micronet tune: measured schedule search per kernel and target (autotuner)", "micronet tune"};
  app.get_formatter()->column_width(36);  // as the other `micronet` commands (tools/cli_app.cpp)
  app.add_option("--arch", a.archs, "Tune the kernels of these models (m0..m3); default: all shipped models")
      ->check(CLI::IsMember(micronet::known_archs()));
  app.add_option("--config", a.configs,
                 "Tune the kernels of these networks (config files, e.g. from micronet search)")
      ->check(CLI::ExistingFile);
  app.add_option("--kernel", a.kernels, "Tune only these kernels (names as `micronet kernels` prints)");
  app.add_option("--size", a.size, "Input size HxW of the --arch/--config models (default 224x224)");
  app.add_option("--classes", a.classes, "Classes of the --arch/--config models (default: the model's)");
  app.add_option("--target", a.tune.target, "Halide target: host, x86-64-linux-avx2-fma, ... (default host)");
  // Defaults shown (N=64, as the CLI's flags): a user sizing a run must see the budget it gets.
  app.add_option("--budget", a.tune.budget, "Search measurements per kernel (baselines not counted) [1..100000]")
      ->type_name("N")
      ->check(CLI::Range(1, 100000).description(""))
      ->capture_default_str();
  app.add_option("--strategy", a.tune.strategy, "model (XGBoost-guided evolution), random, or grid")
      ->type_name("{model,random,grid}")
      ->check(CLI::IsMember({"model", "random", "grid"}).description(""))
      ->capture_default_str();
  app.add_option("--db", a.tune.db, "JSON-lines tuning database (appended to; measured points are skipped)");
  app.add_option("--jobs", a.tune.jobs, "Candidates compiled at once, at most (default: cores - 1) [1..256]")
      ->type_name("N")
      ->check(CLI::Range(1, 256).description(""));
  app.add_option("--shard", a.shard_text, "Tune shard I of N (1-based) of the kernel list");
  app.add_option("--batch", a.tune.measure.batch, "Images per measured call [1..4096]")
      ->type_name("N")
      ->check(CLI::Range(1, 4096).description(""))
      ->capture_default_str();
  app.add_option("--threads", a.tune.measure.threads, "Halide threads while measuring [1..1024]")
      ->type_name("N")
      ->check(CLI::Range(1, 1024).description(""))
      ->capture_default_str();
  app.add_option("--repeats", a.tune.measure.repeats, "Timed repeats per candidate (minimum of medians) [1..1000]")
      ->type_name("N")
      ->check(CLI::Range(1, 1000).description(""))
      ->capture_default_str();
  app.add_option("--seed", a.tune.seed, "Seed of the search")->type_name("N")->capture_default_str();
  app.add_flag("--no-baselines", [&](int64_t) { a.tune.baselines = false; }, "Skip the autoscheduler baselines");
  app.add_option("--runner", a.tune.runner,
                 "Measure through this command template, {} = the micronet-measure command (boards; "
                 "e.g. 'qemu-aarch64-static -L /usr/aarch64-linux-gnu {}')");
  app.add_option("--measure-exe", a.tune.measure_exe,
                 "micronet-measure to run (with --runner: the target's build of it; default: beside this program)");
  app.add_option("--generators", a.tune.generator_dir, "Folder holding micronet_<family>.generator (default: beside this program)");
  app.add_option("--work-dir", a.tune.work_dir, "Scratch folder for candidates (default: a temporary one)");
  app.add_option("--machine", a.machine, "Machine name in records (tuning) or to select (--apply, --report)");
  app.add_flag("--verify", a.tune.verify,
               "Re-check each kernel's best record in --db with the current harness (appends the results)");
  app.add_option("--space", a.space, "Print the tuning space of this kernel and its size, then exit");
  app.add_option("--report", a.report, "Print the per-kernel comparison of this database, then exit");
  app.add_option("--plot", a.plot, "With --report: write the tuning curves as this PNG");
  app.add_option("--apply", a.apply, "Write the best records of this database into the AOT build's tuning file");
  app.add_option("--tuning-file", a.text_db, "With --apply: the file the AOT build reads (default: schedules/tuning_db.txt of the source tree)");
  if (const int rc = parse_or_usage_error(app, argc, argv, kName, kHelp); rc >= 0) return rc;
  a.tune.machine = a.machine;
  // Before any work: Halide's own message for a bad target is its whole feature list.
  if (const std::string e = micronet::tune::target_error(a.tune.target); !e.empty())
    return print_usage_error(kName, "--target " + e, kHelp);
  try {
    if (!a.space.empty()) return print_space(a);
    if (!a.report.empty()) return report(a);
    if (!a.apply.empty()) return apply(a);
    return run_tuning(a);
  } catch (const CLI::Error& e) {
    // Flag combinations found wrong after parsing (--db missing, a bad --size or --shard).
    return print_usage_error(kName, e.what(), kHelp);
  } catch (const std::exception& e) {
    std::cerr << "micronet tune: error: " << e.what() << "\n";
    return 1;
  }
}
