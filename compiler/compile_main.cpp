// micronet-compile: `micronet compile` (the lean CLI execs it, as it does micronet-tune). It
// links the Halide compiler for target strings and runs the build's generator executables.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>

#include "autotune/candidate_compiler.h"
#include "compiler/package_compiler.h"
#include "models/config_json.h"
#include "models/kernel_plan.h"
#include "support/cli_usage.h"
#include "support/targets.h"

namespace fs = std::filesystem;

namespace {

std::pair<int, int> parse_size(const std::string& s) {
  int h = 0, w = 0;
  char x = 0;
  std::istringstream in(s);
  if (!(in >> h)) h = -1;
  if (in >> x) {
    if (x != 'x' || !(in >> w) || !in.eof()) h = -1;
  } else {
    w = h;
  }
  if (h < 16 || w < 16 || h > 4096 || w > 4096)
    throw CLI::ValidationError("--size", "want HxW (or one side) within 16..4096, e.g. 224x224, not '" + s + "'");
  return {h, w};
}

}  // namespace

int main(int argc, char** argv) {
  using namespace micronet;
  CLI::App app("compile a MicroNet (built-in or a config file) for a target into a model package: one shared "
               "library of its kernels, a manifest, the weights if given",
               "micronet compile");
  app.get_formatter()->column_width(36);
  compiler::PackageOptions o;
  std::string arch, config, size;
  app.add_option("--arch", arch, "a built-in model (or --config)")
      ->type_name("{m0,m1,m2,m3}")
      ->check(CLI::IsMember(known_archs()).description(""));
  app.add_option("--config", config, "a model config JSON file (models/configs/ has M0..M3)")
      ->type_name("FILE")
      ->check(CLI::ExistingFile.description(""));
  app.add_option("--target", o.target,
                 "host, x86-64-linux-avx2, x86-64-linux-avx512, arm-64-linux, arm-64-android, opencl, cuda, or "
                 "another Halide target string")
      ->type_name("T")
      ->capture_default_str();
  app.add_option("--size", size, "input size the schedules are estimated for, HxW (default: the config's)")
      ->type_name("HxW");
  app.add_option("--classes", o.classes, "classes of the head (default: the weights' metadata, else the config's) [1..100000]")
      ->type_name("N")
      ->check(CLI::Range(1, 100000).description(""));
  app.add_option("--tuning", o.tuning,
                 "tuning records laid over the build's (schedules/tuning_db.txt): a JSON-lines database of "
                 "`micronet tune` or a file of tuning_db.txt lines; a kernel it names takes its record, the others "
                 "keep the build's")
      ->type_name("DB")
      ->check(CLI::ExistingFile.description(""));
  bool no_build_tuning = false;
  app.add_flag("--no-build-tuning", no_build_tuning,
               "without the build's records: kernels --tuning does not name get their schedules' defaults");
  app.add_option("--weights", o.weights, "a .safetensors file checked against the network and copied into the package")
      ->type_name("FILE")
      ->check(CLI::ExistingFile.description(""));
  app.add_option("--out", o.out, "the package folder to write")->type_name("DIR")->required();
  app.add_option("--jobs", o.jobs, "generators run at once (default: the cores) [1..256]")
      ->type_name("N")
      ->check(CLI::Range(1, 256).description(""));
  app.add_option("--cache-dir", o.cache_dir,
                 "compiled-kernel cache (default: $MICRONET_CACHE_DIR, else $XDG_CACHE_HOME/micronet, else ~/.cache/micronet)")
      ->type_name("DIR");
  app.add_option("--generators", o.generator_dir, "folder of the micronet_<family>.generator executables (default: beside this one)")
      ->type_name("DIR");
  const std::string kName = "micronet compile", kHelp = "run `micronet help compile` for its flags";
  if (const int rc = parse_or_usage_error(app, argc, argv, kName, kHelp); rc >= 0) return rc;
  if (arch.empty() == config.empty()) return print_usage_error(kName, "give one network: --arch m0..m3 or --config FILE", kHelp);
  // Before any work, and in the words of the other commands: Halide's own message for a bad
  // target string is its whole feature list.
  if (const std::string e = tune::target_error(o.target); !e.empty()) return print_usage_error(kName, "--target " + e, kHelp);
  // --out names a folder. A file there, or a folder that cannot be made, would otherwise be a
  // raw filesystem error after minutes of compiling. Checked without creating anything.
  {
    std::error_code ec;
    fs::path p = fs::absolute(o.out, ec);
    while (!p.empty() && !fs::exists(p, ec) && p != p.parent_path()) p = p.parent_path();
    if (!fs::is_directory(p, ec))
      return print_usage_error(kName, "--out " + o.out + ": " + (p == fs::absolute(o.out, ec) ? std::string("is a file")
                                      : p.string() + " is a file") + "; --out names the package folder to write "
                                      "(e.g. --out my-package)", kHelp);
    if (::access(p.c_str(), W_OK) != 0) {
      std::cerr << kName << ": error: --out " << o.out << ": cannot create it in " << p.string() << ": "
                << std::strerror(errno) << "\n";
      return 1;
    }
  }
  if (no_build_tuning && o.tuning.empty())
    return print_usage_error(kName, "--no-build-tuning without --tuning would compile every kernel with its defaults: "
                                    "give the records to use, --tuning DB", kHelp);
  try {
    if (!size.empty()) std::tie(o.height, o.width) = parse_size(size);
  } catch (const CLI::ValidationError& e) {
    return print_usage_error(kName, e.what(), kHelp);
  }
  try {
    o.config = arch.empty() ? load_config_file(config) : model_config(arch);
    if (!no_build_tuning) o.base_tuning = MICRONET_SOURCE_DIR "/schedules/tuning_db.txt";
    if (!o.tuning.empty()) {
      // A file that holds nothing for this target would change no kernel: refused, naming it.
      const std::string family = schedule_family(halide_target_of(o.target));
      compiler::TuningFile t;
      try {
        t = compiler::read_tuning_file_for(o.tuning, family, "--tuning");
      } catch (const std::invalid_argument& e) {
        throw std::runtime_error(e.what());  // the file's content: a runtime error (exit 1), not the command line
      }
      // Records of kernels this network does not have change nothing: said before compiling
      // (kernel names do not depend on the input size; the head's on the classes).
      std::set<std::string> mine;
      const int classes = o.classes > 0 ? o.classes : o.config.num_classes;
      for (const KernelSpec& k : kernels_for({plan_model(o.config, o.config.input_h, o.config.input_w, classes)}))
        mine.insert(k.name());
      size_t n = 0;
      std::string others;
      for (const auto& [kernel, choice] : t.choices.at(family)) {
        if (mine.count(kernel)) ++n;
        else if (others.size() < 300) others += (others.empty() ? "" : ", ") + kernel;
      }
      std::cout << "tuning records: " << n << " kernel" << (n == 1 ? "" : "s") << " of this network from " << o.tuning
                << " (" << (t.format == "jsonl" ? "JSON-lines database, best records" : "text records") << ")"
                << (o.base_tuning.empty() ? ", no others" : ", the build's " + o.base_tuning + " for the rest")
                << std::endl;
      if (!others.empty())
        std::cerr << "micronet compile: note: " << o.tuning << " also has records for kernels this network does not "
                  << "have (" << others << "); `micronet kernels --config FILE` lists a network's kernels" << std::endl;
    }
    std::cout << "compiling MicroNet-" << o.config.arch << " for " << o.target << " (" << o.config.rows.size()
              << " config rows) with "
              << (o.jobs > 0 ? o.jobs : int(std::thread::hardware_concurrency())) << " jobs" << std::endl;
    const compiler::PackageResult r = compiler::compile_package(o, std::cout);
    std::cout << "compiled " << r.kernels << " kernels (" << r.compiled << " compiled, " << r.cached
              << " from the cache) for " << r.halide_target << " in " << std::fixed << std::setprecision(1)
              << r.seconds << " s\n";
    std::cout << "package: " << r.dir << "; run it: micronet run --package " << r.dir
              << " --input x.npy --output y.npy" << std::endl;
    std::cout << "manifest SHA-256 (pins this package: run --expect-sha256): " << r.manifest_sha256 << std::endl;
    return 0;
  } catch (const fs::filesystem_error& e) {
    std::cerr << "micronet compile: error: " << e.path1().string() << ": " << e.code().message() << "\n";
    return 1;
  } catch (const std::invalid_argument& e) {
    std::cerr << "micronet compile: error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "micronet compile: error: " << e.what() << "\n";
    return 1;
  }
}
