// micronet-compile: `micronet compile` (the lean CLI execs it, as it does micronet-tune). It
// links the Halide compiler for target strings and runs the build's generator executables.
#include <CLI/CLI.hpp>
#include <iostream>
#include <sstream>
#include <thread>

#include "compiler/package_compiler.h"
#include "models/config_json.h"

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
                 "tuning records: a schedules/tuning_db.txt-style file or a JSON-lines tuning database "
                 "(default: the build's schedules/tuning_db.txt)")
      ->type_name("DB");
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
  bool tuning_given = false;
  try {
    app.parse(argc, argv);
    if (arch.empty() == config.empty()) throw CLI::ValidationError("give one network: --arch m0..m3 or --config FILE");
    tuning_given = !o.tuning.empty();
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::cerr << "micronet compile: " << e.what() << "\nrun `micronet help compile` for its flags\n";
    return 2;
  }
  try {
    o.config = arch.empty() ? load_config_file(config) : model_config(arch);
    if (!size.empty()) std::tie(o.height, o.width) = parse_size(size);
    if (!tuning_given) o.tuning = MICRONET_SOURCE_DIR "/schedules/tuning_db.txt";
    std::cout << "compiling MicroNet-" << o.config.arch << " for " << o.target << " (" << o.config.rows.size()
              << " config rows) with "
              << (o.jobs > 0 ? o.jobs : int(std::thread::hardware_concurrency())) << " jobs" << std::endl;
    const compiler::PackageResult r = compiler::compile_package(o, std::cout);
    std::cout << "compiled " << r.kernels << " kernels (" << r.compiled << " compiled, " << r.cached
              << " from the cache) for " << r.halide_target << " in " << std::fixed << std::setprecision(1)
              << r.seconds << " s\n";
    std::cout << "package: " << r.dir << "; run it: micronet run --package " << r.dir
              << " --input x.npy --output y.npy" << std::endl;
    return 0;
  } catch (const CLI::ValidationError& e) {
    std::cerr << "micronet compile: " << e.what() << "\n";
    return 2;
  } catch (const std::invalid_argument& e) {
    std::cerr << "micronet compile: error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "micronet compile: error: " << e.what() << "\n";
    return 1;
  }
}
