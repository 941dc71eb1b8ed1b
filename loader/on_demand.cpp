#include "loader/on_demand.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <vector>

#include "formats/file_io.h"
#include "formats/sha256.h"
#include "models/config_json.h"
#include "models/kernel_plan.h"
#include "runtime/device_targets.h"
#include "runtime/halide_model.h"
#include "support/paths.h"

extern char** environ;

#ifndef MICRONET_DEFAULT_TUNING_FILE
#define MICRONET_DEFAULT_TUNING_FILE ""
#endif

namespace micronet {

namespace {

std::string folder_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

// What a cached package's kernels depend on besides the network: the generator executables
// (algorithms and schedules) and the tuning file that picks their knobs.
std::string compiler_identity(const OnDemandCompiler& c) {
  const std::string dir = folder_of(c.compile_exe);
  std::string id;
  for (const char* family : {"stem", "dwsep", "gconv", "head"})
    id += std::string(family) + ":" + file_identity(dir + "/micronet_" + family + ".generator") + "|";
  return id + "tuning:" + file_identity(c.tuning_file);
}

// Runs argv with its stdout sent to our stderr (a command's stdout may be JSON).
int run_to_stderr(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw RunError("cannot run " + argv[0] + ": " + std::strerror(rc));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace

std::string default_tuning_file() { return MICRONET_DEFAULT_TUNING_FILE; }

OnDemandCompiler default_on_demand_compiler() { return {beside_executable("micronet-compile"), default_tuning_file()}; }

std::shared_ptr<const KernelSource> kernel_source_for(const ModelFiles& files, const ModelPlan& plan,
                                                      const std::string& target, const OnDemandCompiler& compiler,
                                                      const ArgNames& names) {
  if (const auto& p = files.package) {
    if (target != "host" && target != p->device_api())
      throw LoadArgumentError(std::string(names.target) + " " + target + " does not apply with " + names.package +
                              ": the package's kernels are for " + p->halide_target());
    return p;
  }
  std::vector<std::string> missing;
  for (const KernelStep& s : lower_plan(plan))
    if (!find_kernel(s.spec.name(), target)) missing.push_back(s.spec.name());
  if (missing.empty()) return nullptr;

  // Compile the network into a cached package, keyed by what the kernels depend on: a
  // built-in model by name, a custom one (its weights file's config) by its config, and the
  // compiler (generators, tuning file): a rebuilt compiler must not reuse old kernels.
  const bool builtin = is_known_arch(plan.arch);
  const ModelConfig* custom =
      !builtin && files.custom_config && files.custom_config->arch == plan.arch ? &*files.custom_config : nullptr;
  const std::string config_json = custom ? config_to_json(*custom) : "";
  const std::string size = std::to_string(plan.input_h) + "x" + std::to_string(plan.input_w);
  const std::string key_text = plan.arch + "|" + std::to_string(plan.num_classes) + "|" + size + "|" + target +
                               "|" + package_runtime_version() + "|" + compiler_identity(compiler) + "|" + config_json;
  const std::string key = sha256_hex(key_text.data(), key_text.size()).substr(0, 12);
  const std::string packages = cache_dir() + "/packages";
  const std::string dir = packages + "/" + plan.arch + "-n" + std::to_string(plan.num_classes) + "-" + target + "-" + key;
  std::vector<std::string> argv = {compiler.compile_exe, "--arch", plan.arch,
                                   "--classes", std::to_string(plan.num_classes), "--size", size,
                                   "--target", target, "--out", dir};
  if (custom) {
    // The config goes to the compiler as a file, kept beside the cached packages.
    const std::string config_file = packages + "/" + plan.arch + "-" + key + ".json";
    std::error_code ec;
    std::filesystem::create_directories(packages, ec);
    write_file_atomic(config_file, [&](std::ostream& f) { f << config_json; });
    argv[1] = "--config";
    argv[2] = config_file;
  }
  std::string command = "micronet compile";
  for (size_t i = 1; i < argv.size(); ++i) command += " " + argv[i];
  if (!builtin && !custom)
    throw RunError("MicroNet-" + plan.arch + " needs kernels this build does not have (" + missing.front() +
                   ", ...): compile a package with `micronet compile --config FILE --classes " +
                   std::to_string(plan.num_classes) + " --out DIR` and load it (" + names.package + ")");
  try {
    auto p = ModelPackage::open(dir);
    std::cerr << "using the package compiled earlier for MicroNet-" << plan.arch << " with " << plan.num_classes
              << " classes: " << dir << "\n";
    return p;
  } catch (const PackageError&) {
  }
  if (access(argv[0].c_str(), X_OK) != 0)
    throw RunError("MicroNet-" + plan.arch + " with " + std::to_string(plan.num_classes) +
                   " classes needs kernels this build does not have (" + missing.front() + ", ...); compile them: `" +
                   command + "` and load the package " + dir + " (" + names.package + ")");
  std::cerr << "MicroNet-" << plan.arch << " with " << plan.num_classes << " classes needs " << missing.size()
            << " kernels this build does not have: compiling a package once (" << command << ")\n";
  if (run_to_stderr(argv) != 0) throw RunError("compiling the package failed: " + command);
  try {
    return ModelPackage::open(dir);
  } catch (const PackageError& e) {
    throw RunError(e.what());
  }
}

}  // namespace micronet
