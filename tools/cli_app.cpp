#include "tools/cli_app.h"

#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdlib>
#include <iostream>

#include "models/config.h"
#include "support/targets.h"
#include "support/suggest.h"
#include "tools/micronet_version.h"

namespace micronet::cli {

namespace {

const std::vector<std::string> kRunBackends = {"halide", "libtorch"};
const std::vector<std::string> kAllBackends = {"halide", "libtorch", "all"};
const std::vector<std::string>& kTargets = target_names();  // support/targets.h

// Validators print nothing into the help (CLI11 would write "INT:INT in [1 - 1024]"): the
// type name carries the kind of value, the help text its range.
CLI::Validator quiet(CLI::Validator v) { return v.description(""); }

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : ",") + x;
  return "{" + s + "}";
}

// A double flag within [lo, hi]; unlike CLI::Range it refuses nan and inf.
CLI::Validator finite_range(double lo, double hi) {
  return CLI::Validator(
      [lo, hi](std::string& s) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(s.c_str(), &end);
        if (s.empty() || *end != '\0' || !std::isfinite(v)) return "expects a finite number, got '" + s + "'";
        if (v < lo || v > hi) return "Value " + s + " not in range " + CLI::detail::to_string(lo) + " to " +
                                     CLI::detail::to_string(hi);
        return "";
      },
      "");
}

// Every flag takes one value or none; giving one twice is an error, not "the last wins".
CLI::Option* once(CLI::Option* o) { return o->multi_option_policy(CLI::MultiOptionPolicy::Throw); }

CLI::Option* int_flag(CLI::App* c, const std::string& name, int& v, int lo, int hi, const std::string& help,
                      bool show_default = true) {
  CLI::Option* o = once(c->add_option(name, v, help + " [" + std::to_string(lo) + ".." + std::to_string(hi) + "]")
                            ->type_name("N")
                            ->check(quiet(CLI::Range(lo, hi))));
  return show_default ? o->capture_default_str() : o;
}
CLI::Option* real_flag(CLI::App* c, const std::string& name, double& v, double lo, double hi,
                       const std::string& help, bool show_default = true) {
  CLI::Option* o = once(c->add_option(name, v, help)->type_name("X")->check(finite_range(lo, hi)));
  return show_default ? o->capture_default_str() : o;
}
CLI::Option* text_flag(CLI::App* c, const std::string& name, std::string& v, const std::string& type,
                       const std::string& help) {
  return once(c->add_option(name, v, help)->type_name(type));
}
CLI::Option* bool_flag(CLI::App* c, const std::string& name, bool& v, const std::string& help) {
  return once(c->add_flag(name, v, help));
}
CLI::Option* choice_flag(CLI::App* c, const std::string& name, std::string& v,
                         const std::vector<std::string>& choices, const std::string& help) {
  return once(c->add_option(name, v, help)
                  ->type_name(join(choices))
                  ->check(quiet(CLI::IsMember(choices)))
                  ->capture_default_str());
}
// --target of the commands that run kernels: one of target_names(). Another target's kernels
// run from a package (`micronet compile --target T`), so the error says that, not only the list.
CLI::Option* target_flag(CLI::App* c, std::string& v, const std::string& help) {
  return once(c->add_option("--target", v, help)
                  ->type_name(join(kTargets))
                  ->check(CLI::Validator(
                      [](std::string& s) -> std::string {
                        if (std::find(kTargets.begin(), kTargets.end(), s) != kTargets.end()) return "";
                        const std::string hint = suggest_target(s);
                        const bool other = !hint.empty() && std::find(kTargets.begin(), kTargets.end(), hint) == kTargets.end();
                        return "'" + s + "' is not a target here" +
                               (hint.empty() || other ? "" : " (did you mean " + hint + "?)") + "; accepted: " +
                               join(kTargets) + (other ? "; kernels for " + hint + " (or another Halide target) come "
                                                       "from a package: micronet compile --target " + hint +
                                                       " --out DIR, then --package DIR on that machine"
                                                     : "");
                      },
                      ""))
                  ->capture_default_str());
}
CLI::Option* arch_flag(CLI::App* c, std::string& v, const std::string& help) {
  return choice_flag(c, "--arch", v, known_archs(), help);
}
CLI::Option* file_flag(CLI::App* c, const std::string& name, std::string& v, const std::string& help) {
  return text_flag(c, name, v, "FILE", help)->check(quiet(CLI::ExistingFile));
}
CLI::Option* threads_flag(CLI::App* c, int& v) {
  return int_flag(c, "--threads", v, 1, kMaxThreads, "worker threads");
}
// Commands with --target: on a GPU target the threads stage the input (runtime/device_targets.h),
// and without --threads they are the CPUs, at most 8 (threads_for_target, tools/backend.h).
CLI::Option* target_threads_flag(CLI::App* c, int& v, bool& given) {
  return int_flag(c, "--threads", v, 1, kMaxThreads, "worker threads (GPU targets: default the CPUs, at most 8)")
      ->each([&given](const std::string&) { given = true; });
}
CLI::Option* package_flag(CLI::App* c, std::string& v) {
  // A package is code: --expect-sha256 pins the one the user trusts (docs/compile.md).
  text_flag(c, "--expect-sha256", expected_package_sha256(), "HEX",
            "refuse the --package unless its manifest.json has this SHA-256 (`sha256sum DIR/manifest.json`)")
      ->check(quiet(CLI::Validator(
          [](std::string& s) {
            return s.size() == 64 && s.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos
                       ? std::string()
                       : std::string("--expect-sha256: 64 hex digits expected");
          },
          "HEX")));
  return text_flag(c, "--package", v, "DIR", "a model package from `micronet compile` (its network, kernels, weights)")
      ->check(quiet(CLI::ExistingDirectory));
}
CLI::Option* size_flag(CLI::App* c, const std::string& name, int& v, const std::string& help) {
  return int_flag(c, name, v, kMinSize, kMaxSize, help, /*show_default=*/false);
}

void define_info(CLI::App& app, InfoArgs& a) {
  CLI::App* c = app.add_subcommand("info", "per-layer parameters and MAdds of a model");
  c->add_option("ARCH", a.arch, "the model (or --config)")
      ->type_name(join(known_archs()))
      ->check(quiet(CLI::IsMember(known_archs())));
  file_flag(c, "--config", a.config, "a model config JSON file (models/configs/ has M0..M3)");
  bool_flag(c, "--json", a.json, "one JSON document instead of the table");
  size_flag(c, "--height", a.height, "input height (default: the config's, 224 for M0..M3)");
  size_flag(c, "--width", a.width, "input width (default: the config's, 224 for M0..M3)");
  int_flag(c, "--classes", a.classes, 1, 100000, "classes of the head (default: the config's, 1000)", false);
}

void define_convert(CLI::App& app, ConvertArgs& a) {
  CLI::App* c = app.add_subcommand(
      "convert", "import an official PyTorch checkpoint (.pth) into .safetensors; no pickle code runs");
  arch_flag(c, a.arch, "the checkpoint's model (or --config)");
  file_flag(c, "--config", a.config, "a custom network's config JSON file (kept in the output's metadata)");
  file_flag(c, "--checkpoint", a.checkpoint, "the .pth file")->required();
  text_flag(c, "--out", a.out, "FILE", "the .safetensors file to write")->required();
  int_flag(c, "--classes", a.classes, 1, 100000, "classes of the head (default: the config's; M0..M3: 1000)", false);
}

void define_run(CLI::App& app, RunArgs& a) {
  CLI::App* c = app.add_subcommand(
      "run", "logits of a float32 N x 3 x H x W .npy input, written as N x classes .npy");
  arch_flag(c, a.arch, "the model (default: the weights file's metadata)");
  file_flag(c, "--weights", a.weights, ".safetensors or .pth (default: random weights, with a warning)");
  file_flag(c, "--input", a.input, "float32 NCHW .npy")->required();
  text_flag(c, "--output", a.output, "FILE", ".npy file to write")->required();
  choice_flag(c, "--backend", a.backend, kRunBackends, "engine (libtorch runs in micronet-full)");
  target_flag(c, a.target, "the Halide kernels' target (halide backend)");
  package_flag(c, a.package);
  target_threads_flag(c, a.threads, a.threads_given);
  int_flag(c, "--classes", a.classes, 1, 100000, "classes of the head (default: metadata, else 1000)", false);
}

void define_bench(CLI::App& app, BenchArgs& a) {
  CLI::App* c = app.add_subcommand("bench", "time a model on random input (median of --iters calls)");
  arch_flag(c, a.arch, "the model (default: the weights file's metadata)");
  file_flag(c, "--weights", a.weights, "weights (default: random; timings do not depend on values)");
  choice_flag(c, "--backend", a.backend, kAllBackends, "engine; libtorch and all run in micronet-full");
  target_flag(c, a.target, "the Halide kernels' target");
  package_flag(c, a.package);
  target_threads_flag(c, a.threads, a.threads_given);
  int_flag(c, "--batch", a.batch, 1, kMaxBatch, "images per call (refused when it cannot fit in memory)");
  int_flag(c, "--iters", a.iters, 1, 1000000, "timed calls");
  int_flag(c, "--warmup", a.warmup, 0, 1000000, "untimed calls first");
  size_flag(c, "--height", a.height, "input height (default: metadata, else the package's, else 224)");
  size_flag(c, "--width", a.width, "input width (default: metadata, else the package's, else 224)");
  bool_flag(c, "--json", a.json, "one JSON document");
  bool_flag(c, "--profile", a.profile, "per-kernel time table on stderr (halide backend)");
}

void define_classify(CLI::App& app, ClassifyArgs& a) {
  CLI::App* c = app.add_subcommand(
      "classify", "top-k classes of image files, --batch images at a time (runs in micronet-full: OpenCV)");
  c->add_option("IMAGE", a.images, "image files (an unreadable one is reported, the rest still run)")
      ->type_name("FILE")
      ->required();
  arch_flag(c, a.arch, "the model (default: the weights file's metadata)");
  file_flag(c, "--weights", a.weights, "weights (metadata gives classes, size, preprocessing, names)");
  int_flag(c, "--topk", a.topk, 1, 100000, "classes per image (at most the model's classes)");
  file_flag(c, "--labels", a.labels, "class names, one a line (default: the metadata's)");
  bool_flag(c, "--json", a.json, "one JSON document: per image its top-k {class, name, prob, logit}");
  int_flag(c, "--batch", a.batch, 1, 4096, "images decoded and run together");
  once(c->add_option("--max-pixels", a.max_pixels, "larger images are refused before decoding [1..2^32]")
           ->type_name("N")
           ->check(quiet(CLI::Range(int64_t(1), int64_t(1) << 32)))
           ->capture_default_str());
  choice_flag(c, "--backend", a.backend, kRunBackends, "engine");
  target_flag(c, a.target, "the Halide kernels' target (halide backend)");
  package_flag(c, a.package);
  target_threads_flag(c, a.threads, a.threads_given);
}

void define_eval(CLI::App& app, EvalArgs& a) {
  CLI::App* c = app.add_subcommand(
      "eval", "test-set accuracy, per-class accuracy and confusion matrix (runs in micronet-full)");
  file_flag(c, "--weights", a.weights, "the trained model")->required();
  choice_flag(c, "--dataset", a.dataset, {"fashion-mnist"}, "the test set")->required();
  choice_flag(c, "--backend", a.backend, kAllBackends, "engine; all: both, counting top-1 disagreements");
  package_flag(c, a.package);
  bool_flag(c, "--json", a.json, "one JSON document");
  text_flag(c, "--plot", a.plot, "FILE", "draw the confusion matrix to this .png/.jpg/.bmp file");
  int_flag(c, "--limit", a.limit, 0, 100000000, "first N test images only (0: all)");
  int_flag(c, "--show", a.show, 0, 100000000, "print the first N predictions");
  threads_flag(c, a.threads);
  int_flag(c, "--batch", a.batch, 1, 65536, "images per call");
  arch_flag(c, a.arch, "the model (default: the weights file's metadata)");
  size_flag(c, "--size", a.size, "input size (default: metadata, else 64)");
  text_flag(c, "--data-dir", a.data_dir, "DIR", "Fashion-MNIST IDX files (default: $MICRONET_FASHION_MNIST_DIR, "
                                         "else /usr/share/datasets/fashion-mnist)");
}

void define_cases(CLI::App& app, CasesArgs& a) {
  CLI::App* c = app.add_subcommand(
      "cases", "LibTorch reference cases of every kernel, for `check` on a target (runs in micronet-full)");
  arch_flag(c, a.arch, "the model (default: the weights file's metadata)");
  text_flag(c, "--out", a.out, "FILE", "the cases .safetensors file to write")->required();
  int_flag(c, "--size", a.size, kMinSize, kMaxSize, "input size");
  size_flag(c, "--height", a.height, "input height (default: --size)");
  size_flag(c, "--width", a.width, "input width (default: --size)");
  int_flag(c, "--batch", a.batch, 1, 1024, "images");
  int_flag(c, "--classes", a.classes, 1, 100000, "classes of the head (default: metadata, else 1000)", false);
  int_flag(c, "--seed", a.seed, 0, 2147483647, "random weights and input");
  file_flag(c, "--weights", a.weights, "weights (default: random with calibrated BatchNorm)");
}

void define_check(CLI::App& app, CheckArgs& a) {
  CLI::App* c = app.add_subcommand("check", "replay reference cases through this build's kernels on a target");
  // Not ->required(): cmd_check says how to make the files when none is given.
  c->add_option("CASES", a.files, "files written by `micronet cases`")
      ->type_name("FILE")
      ->check(quiet(CLI::ExistingFile));
  target_flag(c, a.target, "the kernels' target");
  text_flag(c, "--family", a.family, "LIST", "stem,dwsep,gconv,head (comma-separated), all or none")
      ->capture_default_str();
  real_flag(c, "--tol", a.tol, 0, 1e6, "largest relative L2 error (default 1e-4 host, 2e-4 GPU)", false);
  bool_flag(c, "--no-model", a.no_model, "skip the whole-model comparison");
  threads_flag(c, a.threads);
}

void define_train(CLI::App& app, TrainArgs& a) {
  CLI::App* c = app.add_subcommand("train", "train the LibTorch reference on Fashion-MNIST (runs in micronet-full)");
  arch_flag(c, a.arch, "the model (or --config)");
  file_flag(c, "--config", a.config, "a config JSON file: a custom network (kept in the output's metadata)");
  choice_flag(c, "--dataset", a.dataset, {"fashion-mnist"}, "the training set")->required();
  text_flag(c, "--out", a.out, "FILE", "the .safetensors file to write (its folder is checked first)")->required();
  int_flag(c, "--size", a.size, kMinSize, kMaxSize, "input size");
  int_flag(c, "--epochs", a.epochs, 1, 100000, "epochs");
  int_flag(c, "--batch", a.batch, 1, 65536, "images per step");
  real_flag(c, "--lr", a.lr, 1e-9, 100, "peak learning rate");
  int_flag(c, "--warmup", a.warmup, 0, 100000000, "warmup steps (default: a third of the first epoch)", false);
  real_flag(c, "--weight-decay", a.weight_decay, 0, 1, "L2 weight decay");
  bool_flag(c, "--no-nesterov", a.no_nesterov, "plain momentum");
  bool_flag(c, "--no-flip", a.no_flip, "no random horizontal flips");
  int_flag(c, "--seed", a.seed, 0, 2147483647, "initialization and data order");
  threads_flag(c, a.threads);
  int_flag(c, "--max-steps", a.max_steps, 0, 100000000, "stop after N steps (0: all epochs)");
  int_flag(c, "--train-limit", a.train_limit, 0, 100000000, "first N training images only (0: all)");
  int_flag(c, "--eval-limit", a.eval_limit, 0, 100000000, "first N test images per epoch (0: all)");
  int_flag(c, "--holdout", a.holdout, 0, 59000,
           "hold the last N training images out of training and score on them instead of the test set (0: none)");
  text_flag(c, "--data-dir", a.data_dir, "DIR", "Fashion-MNIST IDX files (default: $MICRONET_FASHION_MNIST_DIR, "
                                         "else /usr/share/datasets/fashion-mnist)");
}

void define_kernels(CLI::App& app, KernelsArgs& a) {
  CLI::App* c = app.add_subcommand("kernels", "list the compiled Halide kernels per model, or the kernels of a network");
  file_flag(c, "--config", a.config,
            "a network's config JSON file: its kernels, in order, and which this build lacks (names for "
            "`micronet tune --kernel`)");
  int_flag(c, "--classes", a.classes, 1, 100000, "classes of the head (with --config; default: the config's)", false);
}

bool is_command(const std::string& s) {
  for (const std::string& c : command_names())
    if (c == s) return true;
  return false;
}

// The long flag names `sub` accepts, with their dashes.
std::vector<std::string> flag_names(const CLI::App& sub) {
  std::vector<std::string> names;
  for (const CLI::Option* o : sub.get_options())
    for (const std::string& n : o->get_lnames()) names.push_back("--" + n);
  return names;
}

// " (did you mean --topk?)" for each --flag of argv that `sub` does not know (support/suggest.h,
// as the helper executables answer theirs).
std::string flag_hints(const CLI::App& sub, int argc, char** argv) {
  return unknown_flag_hints(flag_names(sub), std::vector<std::string>(argv + std::min(argc, 2), argv + argc));
}

int unknown_command(const std::string& word) {
  const std::string m = closest_match(word, command_names());
  std::cerr << "micronet: unknown command '" << word << "'" << (m.empty() ? "" : " (did you mean " + m + "?)")
            << "\nrun `micronet --help` for the commands\n";
  return 2;
}

}  // namespace

const std::vector<std::string>& command_names() {
  static const std::vector<std::string> names = {"info",  "convert", "run",   "bench", "classify", "eval",
                                                 "cases", "check",   "train", "kernels", "targets", "tune",
                                                 "compile", "help"};
  return names;
}

std::unique_ptr<CLI::App> make_cli_app(CliArgs& args) {
  auto app = std::make_unique<CLI::App>(
      "micronet " MICRONET_VERSION_STRING ": MicroNet M0..M3 compiled by Halide, and its LibTorch reference.\n"
      "`micronet` itself links no LibTorch/OpenCV and starts in milliseconds; it hands the commands that\n"
      "need them (classify, eval, train, cases, --backend libtorch|all) to micronet-full beside it.",
      "micronet");
  app->set_version_flag("--version", "micronet " MICRONET_VERSION_STRING);
  app->require_subcommand(1, 1);
  app->get_formatter()->column_width(36);
  app->footer("`micronet help COMMAND` (or `micronet COMMAND --help`) shows a command's flags.");
  define_info(*app, args.info);
  define_convert(*app, args.convert);
  define_run(*app, args.run);
  define_bench(*app, args.bench);
  define_classify(*app, args.classify);
  define_eval(*app, args.eval);
  define_cases(*app, args.cases);
  define_check(*app, args.check);
  define_train(*app, args.train);
  define_kernels(*app, args.kernels);
  app->add_subcommand("targets", "kernel targets compiled in (host, opencl, cuda) and which can run here");
  // Listed for --help only: main() hands `tune` to the micronet-tune executable before parsing.
  app->add_subcommand("tune", "autotune schedules: search, --report, --apply (runs micronet-tune)")
      ->allow_extras()
      ->prefix_command();
  app->add_subcommand("compile", "compile a network for a target into a model package (runs micronet-compile)")
      ->allow_extras()
      ->prefix_command();
  app->add_subcommand("search", "latency search for faster MicroNet-family networks; --validate the predictor (runs micronet-search)")
      ->allow_extras()
      ->prefix_command();
  CLI::App* help = app->add_subcommand("help", "show the flags of a command (same as COMMAND --help)");
  help->add_option("COMMAND", args.help_topic, "a command")->type_name("COMMAND");
  return app;
}

int parse_command_line(int argc, char** argv, CliArgs& args) {
  if (argc < 2) {
    std::cerr << make_cli_app(args)->help();
    return 2;
  }
  // CLI11 says only "A subcommand is required" for a misspelt command.
  const std::string first = argv[1];
  if (first[0] != '-' && !is_command(first)) return unknown_command(first);
  if (first == "help" && argc > 2 && !is_command(argv[2])) return unknown_command(argv[2]);
  std::unique_ptr<CLI::App> app = make_cli_app(args);
  try {
    app->parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app->exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app->exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app->exit(e);
  } catch (const CLI::ParseError& e) {
    const std::vector<CLI::App*> subs = app->get_subcommands();
    const std::string cmd = subs.empty() ? "" : subs.front()->get_name();
    // An unknown flag explains the rest (e.g. "--input is required" after "--inptu x.npy").
    const std::string hints = subs.empty() ? "" : flag_hints(*subs.front(), argc, argv);
    std::cerr << "micronet" << (cmd.empty() ? "" : " " + cmd) << ": "
              << (hints.empty() ? std::string(e.what()) : hints.substr(3)) << "\n"
              << "run `micronet " << (cmd.empty() ? "--help" : "help " + cmd) << "` for "
              << (cmd.empty() ? "the commands" : "its flags") << "\n";
    return 2;
  }
  args.command = app->get_subcommands().front()->get_name();
  if (args.command == "help") {
    // Exactly what `micronet --help` or `micronet CMD --help` prints.
    std::string topic = args.help_topic, prog = argv[0], flag = "--help";
    std::vector<char*> help_argv = {prog.data()};
    if (!topic.empty()) help_argv.push_back(topic.data());
    help_argv.push_back(flag.data());
    CliArgs fresh;
    return parse_command_line(int(help_argv.size()), help_argv.data(), fresh);
  }
  return -1;
}

}  // namespace micronet::cli
