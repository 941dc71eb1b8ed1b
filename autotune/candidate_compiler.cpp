#include "autotune/candidate_compiler.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "Halide.h"
#include "autotune/kernel_space.h"
#include "support/paths.h"
#include "support/subprocess.h"
#include "support/targets.h"
#include "schedules/knob_space.h"

namespace micronet::tune {

std::string Candidate::describe() const {
  if (!autoscheduler.empty()) return autoscheduler;
  return knobs.values().empty() ? "defaults" : sched::to_string(knobs);
}

std::string target_error(const std::string& target) {
  if (!target.empty() && Halide::Target::validate_target_string(halide_target_of(target))) return "";
  const std::string hint = suggest_target(target);
  return "'" + target + "' is not a target" + (hint.empty() ? "" : " (did you mean " + hint + "?)") +
         "; accepted: " + accepted_targets();
}

std::string candidate_target(const std::string& target) {
  if (const std::string e = target_error(target); !e.empty()) throw std::invalid_argument(e);
  const std::string t_text = halide_target_of(target);  // support/targets.h
  Halide::Target t = t_text == "host" ? Halide::get_host_target() : Halide::Target(t_text);
  // Halide 14 names any CPU with AVX512-VNNI and BF16 avx512_sapphirerapids, which LLVM
  // compiles with AVX-VNNI (VEX) instructions too: an AMD Zen 5 has the former, not the
  // latter, and ran such kernels into SIGILL. Such a host gets the level below.
  if (t_text.rfind("host", 0) == 0 && t.has_feature(Halide::Target::AVX512_SapphireRapids) && !cpu_has("avxvnni"))
    t = t.without_feature(Halide::Target::AVX512_SapphireRapids);
  return t.with_feature(Halide::Target::NoRuntime).to_string();
}

std::string autoscheduler_plugin(const std::string& name) {
  // Paths of Halide's plugins as the build found them (autotune/CMakeLists.txt).
  if (name == "Adams2019") return MICRONET_PLUGIN_ADAMS2019;
  if (name == "Mullapudi2016") return MICRONET_PLUGIN_MULLAPUDI2016;
  if (name == "Li2018") return MICRONET_PLUGIN_LI2018;
  throw std::invalid_argument("unknown autoscheduler '" + name +
                              "' (Halide 14 has Adams2019, Mullapudi2016, Li2018)");
}

CompileResult compile_candidate(const KernelSpec& spec, const Candidate& candidate,
                                const CompileOptions& options, const std::string& tag) {
  const auto start = std::chrono::steady_clock::now();
  CompileResult r;
  r.function = "cand_" + tag;
  const std::string base = options.work_dir + "/" + r.function;
  const std::string family = family_name(spec);
  const std::string gen_dir = options.generator_dir.empty() ? executable_dir() : options.generator_dir;
  const std::string generator = gen_dir + "/micronet_" + family + ".generator";
  auto finish = [&](const std::string& error) {
    r.ok = error.empty();
    r.error = error;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
  };
  if (access(generator.c_str(), X_OK) != 0)
    return finish("generator " + generator + " not found (build the project first, or pass --generators DIR)");

  std::string target;
  try {
    target = candidate_target(options.target);
  } catch (const std::exception& e) {
    return finish(std::string("bad target '") + options.target + "': " + e.what());
  }
  // The candidate's knobs as the one record of its own tuning file, exactly what the AOT
  // build hands a generator (cmake/tuning_records.cmake).
  const std::string knob_file = base + ".knobs.txt";
  {
    std::ofstream f(knob_file);
    f << sched::target_family(Halide::Target(target)) << " " << spec.name();
    for (const auto& [k, v] : candidate.knobs.values()) f << " " << k << "=" << v;
    f << "\n";
  }
  std::vector<std::string> argv = {generator, "-g", "micronet_" + family, "-f", r.function,
                                   "-n", r.function, "-e", "object", "-o", options.work_dir,
                                   "-t", std::to_string(options.timeout_s)};
  if (!candidate.autoscheduler.empty()) {
    try {
      argv.insert(argv.end(), {"-p", autoscheduler_plugin(candidate.autoscheduler), "-s",
                               candidate.autoscheduler});
    } catch (const std::exception& e) {
      return finish(e.what());
    }
  }
  argv.push_back("target=" + target);
  std::istringstream params(spec.generator_params());
  for (std::string p; params >> p;) argv.push_back(p);
  argv.push_back("tuning_file=" + knob_file);
  if (!candidate.autoscheduler.empty()) argv.push_back("auto_schedule=true");

  ProcessResult gen = run_process(argv, options.timeout_s + 5, base + ".generator.log");
  if (!gen.start_error.empty()) return finish(gen.start_error);
  if (gen.timed_out) {
    r.timed_out = true;
    return finish("generator timed out after " + std::to_string(options.timeout_s) + " s");
  }
  if (gen.exit_code != 0) return finish("generator failed: " + gen.output);

  const char* cxx = std::getenv("CXX");
  std::string linker = options.linker;
  if (linker.empty()) {
    const Halide::Target t(target);
    linker = t.arch == Halide::Target::ARM && t.bits == 64 ? "aarch64-linux-gnu-g++" : (cxx && *cxx ? cxx : "c++");
  }
  r.library = base + ".so";
  ProcessResult link = run_process({linker, "-shared", "-o", r.library, base + ".o"},
                                   120, base + ".link.log");
  if (!link.start_error.empty()) return finish(link.start_error);
  if (link.exit_code != 0) return finish("linking the candidate failed: " + link.output);
  return finish("");
}

}  // namespace micronet::tune
