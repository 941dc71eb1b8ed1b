// The values of each `micronet` subcommand's flags, as parsed by tools/cli_app.cpp (the one
// place that defines names, defaults, ranges and help texts). Commands read these plain
// structs; validation that needs a file (e.g. --topk <= the model's classes) stays in them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace micronet::cli {

// Limits shared by the flag definitions and the commands' messages.
constexpr int kMinSize = 16, kMaxSize = 4096;  // --height/--width/--size (pixels)
constexpr int kMaxBatch = 1 << 20;             // a first bound; memory is checked per model
constexpr int kMaxThreads = 1024;

struct InfoArgs {
  std::string arch, config;
  int height = 0, width = 0, classes = -1;  // 0 / -1: the config's
  bool json = false;
};

struct ConvertArgs {
  std::string arch, config, checkpoint, out;
  int classes = -1;
};

// --expect-sha256 (beside every --package): the SHA-256 of the trusted package's
// manifest.json; "" = any. One value per process, as the CLI runs one command
// (tools/cli_loading.cpp checks it when the package is opened).
std::string& expected_package_sha256();

struct RunArgs {
  std::string arch, weights, input, output, backend = "halide", target = "host", package;
  int threads = 1, classes = -1;
  bool threads_given = false;  // --threads on the command line (else GPU targets pick)
};

struct BenchArgs {
  std::string arch, weights, backend = "halide", target = "host", package;
  int threads = 1, batch = 1, iters = 50, warmup = 5;
  bool threads_given = false;
  int height = 0, width = 0;  // 0: the weights' metadata, else 224
  bool json = false, profile = false;
};

struct ClassifyArgs {
  std::string arch, weights, labels, backend = "halide", target = "host", package;
  std::vector<std::string> images;
  int topk = 5, threads = 1, batch = 16;
  bool threads_given = false;
  int64_t max_pixels = 40'000'000;  // a larger image is refused before it is decoded
  bool json = false;
};

struct EvalArgs {
  std::string weights, dataset, backend = "halide", plot, arch, data_dir, package;
  int limit = 0, show = 0, threads = 1, batch = 250;
  int size = 0;  // 0: the weights' metadata, else 64
  bool json = false;
};

struct CasesArgs {
  std::string arch, out, weights;
  int size = 64, height = 0, width = 0;  // 0: --size
  int batch = 2, classes = -1, seed = 1;
};

struct CheckArgs {
  std::string target = "host", family = "all";
  double tol = -1;  // < 0: 1e-4 on the host, 2e-4 on GPU targets
  int threads = 1;
  bool no_model = false;
  std::vector<std::string> files;
};

struct KernelsArgs {
  std::string config;  // "": the built-in models' kernels
  int classes = -1;    // -1: the config's
};

struct TrainArgs {
  std::string arch, config, dataset, out, data_dir;
  int size = 64, epochs = 3, batch = 128, warmup = -1, seed = 0, threads = 1;
  int max_steps = 0, train_limit = 0, eval_limit = 0, holdout = 0;
  double lr = 0.2, weight_decay = 3e-5;
  bool no_nesterov = false, no_flip = false;
};

// Everything one command line can hold; `command` names the subcommand given.
struct CliArgs {
  std::string command;
  std::string help_topic;  // `micronet help CMD`
  InfoArgs info;
  ConvertArgs convert;
  RunArgs run;
  BenchArgs bench;
  ClassifyArgs classify;
  EvalArgs eval;
  CasesArgs cases;
  CheckArgs check;
  TrainArgs train;
  KernelsArgs kernels;
};

}  // namespace micronet::cli
