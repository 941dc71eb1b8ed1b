#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "models/datasets/fashion_mnist.h"
#include "models/reference/trainer.h"
#include "runtime/safetensors.h"
#include "tools/cli_args.h"
#include "tools/commands.h"

namespace micronet::cli {

namespace {
std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}
}  // namespace

// micronet train --arch m0 --dataset fashion-mnist --size 64 --epochs N --out F.safetensors
//                [--batch 128] [--lr 0.2] [--warmup STEPS] [--weight-decay 3e-5] [--no-nesterov]
//                [--seed 0] [--threads 1] [--max-steps N] [--train-limit N] [--eval-limit N]
//                [--data-dir DIR]
// Trains the LibTorch reference (models/reference/trainer.h has the recipe) and writes the
// official state_dict with metadata (arch, classes, input size, class names, preprocessing,
// and how it was trained) so run/classify/bench/eval need only the file.
// --threads defaults to 1: on the shared 2-core build machine, with other jobs running,
// LibTorch's 2-thread OpenMP pool ran a training step ~30x slower than one thread
// (9.9 s vs 0.32 s per 128-image step at 64x64), its threads waiting on each other.
int cmd_train(int argc, char** argv) {
  Args a(argc, argv, 2,
         {"arch", "dataset", "size", "epochs", "out", "batch", "lr", "warmup", "weight-decay", "seed",
          "threads", "max-steps", "train-limit", "eval-limit", "data-dir"},
         {"no-nesterov", "no-flip"});
  const std::string arch = a.require("arch"), dataset = a.require("dataset"), out = a.require("out");
  if (dataset != "fashion-mnist") throw UsageError("unknown --dataset '" + dataset + "' (expected fashion-mnist)");
  const int size = a.get_int("size", 64);
  if (size < 8) throw UsageError("--size must be >= 8");
  TrainOptions opt;
  opt.epochs = a.get_int("epochs", 3);
  opt.batch = a.get_int("batch", 128);
  opt.lr = a.get_double("lr", opt.lr);
  opt.warmup_steps = a.get_int("warmup", -1);
  opt.weight_decay = a.get_double("weight-decay", opt.weight_decay);
  opt.nesterov = !a.has("no-nesterov");
  opt.flip = !a.has("no-flip");
  const int seed = a.get_int("seed", 0);
  if (seed < 0) throw UsageError("--seed must be >= 0");
  opt.seed = uint64_t(seed);
  opt.threads = a.get_int("threads", 1);
  opt.max_steps = a.get_int("max-steps", 0);
  opt.train_limit = a.get_int("train-limit", 0);
  opt.eval_limit = a.get_int("eval-limit", 0);
  opt.preprocess.out_h = opt.preprocess.out_w = size;
  if (opt.threads < 1) throw UsageError("--threads must be >= 1");

  const std::string dir = a.get("data-dir", default_fashion_mnist_dir());
  const ImageDataset train = load_fashion_mnist(dir, Split::Train);
  const ImageDataset test = load_fashion_mnist(dir, Split::Test);
  const ModelPlan plan = plan_model(model_config(arch), size, size, int(train.class_names.size()));
  std::cerr << "training MicroNet-" << arch << " (" << size << "x" << size << ", "
            << plan.num_classes << " classes) on Fashion-MNIST: " << train.count
            << " training / " << test.count << " test images from " << dir << "\n";

  const TrainedModel m = train_new_model(plan, train, test, opt, &std::cerr);

  ModelMetadata meta = grey_model_metadata(plan, train.class_names, opt.preprocess);
  std::string command = "micronet";
  for (int i = 1; i < argc; ++i) command += std::string(" ") + argv[i];
  meta.extra["dataset"] = "fashion-mnist";
  meta.extra["train_command"] = command;
  meta.extra["seed"] = std::to_string(opt.seed);
  meta.extra["epochs"] = std::to_string(m.report.epochs.size());
  meta.extra["steps"] = std::to_string(m.report.steps);
  meta.extra["batch"] = std::to_string(opt.batch);
  meta.extra["train_seconds"] = fmt("%.1f", m.report.train_seconds);
  meta.extra["final_train_loss"] = fmt("%.4f", m.report.epochs.back().mean_loss);
  if (m.report.epochs.back().test_accuracy >= 0) {
    meta.extra["test_accuracy_libtorch"] = fmt("%.4f", m.report.epochs.back().test_accuracy);
    meta.extra["test_images"] = std::to_string(opt.eval_limit > 0 ? std::min(opt.eval_limit, test.count) : test.count);
  }
  write_safetensors(out, m.state, meta.to_map());
  std::cerr << "wrote " << out << ": MicroNet-" << arch << ", " << m.report.steps << " steps in "
            << fmt("%.1f", m.report.train_seconds) << " s";
  if (m.report.epochs.back().test_accuracy >= 0)
    std::cerr << ", test accuracy " << fmt("%.2f", 100 * m.report.epochs.back().test_accuracy) << "%";
  std::cerr << "\n";
  return 0;
}

}  // namespace micronet::cli
