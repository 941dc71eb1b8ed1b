#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "models/config_json.h"
#include "preprocess/fashion_mnist.h"
#include "reference/trainer.h"
#include "formats/file_io.h"
#include "formats/safetensors.h"
#include "tools/usage_error.h"
#include "tools/commands.h"

namespace micronet::cli {

namespace {
std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}
}  // namespace

// micronet train (--arch m0 | --config F.json) --dataset fashion-mnist --size 64 --epochs N --out F.safetensors
//                [--batch 128] [--lr 0.2] [--warmup STEPS] [--weight-decay 3e-5] [--no-nesterov]
//                [--seed 0] [--threads 1] [--max-steps N] [--train-limit N] [--eval-limit N]
//                [--holdout N] [--data-dir DIR]
// Trains the LibTorch reference (reference/trainer.h has the recipe) and writes the
// official state_dict with metadata (arch, classes, input size, class names, preprocessing,
// and how it was trained) so run/classify/bench/eval need only the file.
// --threads defaults to 1: on the shared 2-core build machine, with other jobs running,
// LibTorch's 2-thread OpenMP pool ran a training step ~30x slower than one thread
// (9.9 s vs 0.32 s per 128-image step at 64x64), its threads waiting on each other.
int cmd_train(const TrainArgs& a, int argc, char** argv) {
  if (a.arch.empty() == a.config.empty()) throw UsageError("give one network: --arch m0..m3 or --config FILE");
  check_output_location(a.out, "--out");  // before minutes of training, not after
  const ModelConfig cfg = a.config.empty() ? model_config(a.arch) : load_config_file(a.config);
  const std::string& arch = cfg.arch;
  const int size = a.size;
  TrainOptions opt;
  opt.epochs = a.epochs;
  opt.batch = a.batch;
  opt.lr = a.lr;
  opt.warmup_steps = a.warmup;
  opt.weight_decay = a.weight_decay;
  opt.nesterov = !a.no_nesterov;
  opt.flip = !a.no_flip;
  opt.seed = uint64_t(a.seed);
  opt.threads = a.threads;
  opt.max_steps = a.max_steps;
  opt.train_limit = a.train_limit;
  opt.eval_limit = a.eval_limit;
  opt.preprocess.out_h = opt.preprocess.out_w = size;

  const std::string dir = a.data_dir.empty() ? default_fashion_mnist_dir() : a.data_dir;
  ImageDataset train = load_fashion_mnist(dir, Split::Train);
  ImageDataset test = load_fashion_mnist(dir, Split::Test);
  // --holdout N: the last N training images become the scored set and leave training, so a
  // search that selects networks on this score never looks at the test set.
  const bool holdout = a.holdout > 0;
  if (holdout) {
    if (a.holdout >= train.count) throw UsageError("--holdout " + std::to_string(a.holdout) + " leaves no training images");
    const size_t image = size_t(train.height) * train.width;
    const int keep = train.count - a.holdout;
    test.count = a.holdout;
    test.height = train.height;
    test.width = train.width;
    test.pixels.assign(train.pixels.begin() + std::ptrdiff_t(keep * image), train.pixels.end());
    test.labels.assign(train.labels.begin() + keep, train.labels.end());
    test.class_names = train.class_names;
    train.count = keep;
    train.pixels.resize(keep * image);
    train.labels.resize(size_t(keep));
  }
  const ModelPlan plan = plan_model(cfg, size, size, int(train.class_names.size()));
  std::cerr << "training MicroNet-" << arch << " (" << size << "x" << size << ", "
            << plan.num_classes << " classes) on Fashion-MNIST: " << train.count
            << " training / " << test.count << (holdout ? " held-out training" : " test") << " images from " << dir
            << (holdout ? " (the per-epoch accuracy below is on the held-out images)" : "") << "\n";

  const TrainedModel m = train_new_model(plan, train, test, opt, &std::cerr);

  ModelMetadata meta = grey_model_metadata(plan, train.class_names, opt.preprocess);
  std::string command = "micronet";
  for (int i = 1; i < argc; ++i) command += std::string(" ") + argv[i];
  if (!a.config.empty()) {  // a custom network: run/eval/compile find it in the file
    ModelConfig stored = cfg;
    stored.num_classes = plan.num_classes;
    stored.input_h = stored.input_w = size;
    meta.extra[kConfigMetadataKey] = config_to_json(stored);
  }
  meta.extra["dataset"] = "fashion-mnist";
  meta.extra["train_command"] = command;
  meta.extra["seed"] = std::to_string(opt.seed);
  meta.extra["epochs"] = std::to_string(m.report.epochs.size());
  meta.extra["steps"] = std::to_string(m.report.steps);
  meta.extra["batch"] = std::to_string(opt.batch);
  meta.extra["train_seconds"] = fmt("%.1f", m.report.train_seconds);
  meta.extra["final_train_loss"] = fmt("%.4f", m.report.epochs.back().mean_loss);
  if (m.report.epochs.back().test_accuracy >= 0) {
    const std::string what = holdout ? "holdout" : "test";
    meta.extra[what + "_accuracy_libtorch"] = fmt("%.4f", m.report.epochs.back().test_accuracy);
    meta.extra[what + "_images"] = std::to_string(opt.eval_limit > 0 ? std::min(opt.eval_limit, test.count) : test.count);
  }
  write_safetensors(a.out, m.state, meta.to_map());
  std::cerr << "wrote " << a.out << ": MicroNet-" << arch << ", " << m.report.steps << " steps in "
            << fmt("%.1f", m.report.train_seconds) << " s";
  if (m.report.epochs.back().test_accuracy >= 0)
    std::cerr << (holdout ? ", held-out accuracy " : ", test accuracy ") << fmt("%.2f", 100 * m.report.epochs.back().test_accuracy) << "%";
  std::cerr << "\n";
  return 0;
}

}  // namespace micronet::cli
