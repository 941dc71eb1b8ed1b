// Training the LibTorch reference MicroNet on a labelled greyscale image dataset
// (Fashion-MNIST): the model trains through the same run_op() code that the Halide path is
// checked against, so a trained file deploys through `micronet run/classify/eval`.
//
// Recipe: SGD with momentum 0.9 (Nesterov by default) and weight decay 3e-5 (the official
// M0 setting) on every parameter; learning rate warmed up linearly from 0 over the first
// `warmup_steps`, then cosine-annealed to 0 at the last step; cross-entropy on the
// logits; inputs preprocessed by preprocess_grey() (bilinear resize to the model size,
// normalize, grey -> 3 channels) with a random horizontal flip. Initialization as the
// official code: conv N(0, sqrt(2 / (k*k*out))), Linear N(0, 0.01) with zero bias,
// BatchNorm 1 / 0. Everything random is drawn from `seed`.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "preprocess/fashion_mnist.h"
#include "models/model_metadata.h"
#include "models/plan.h"
#include "formats/tensor.h"

namespace micronet {

// Declared here so this header stays free of torch (each torch-including translation unit
// costs ~40 s to compile); reference/reference_model.h defines it.
class ReferenceModel;

struct TrainOptions {
  int epochs = 3;
  int batch = 128;
  double lr = 0.2;             // peak learning rate
  double momentum = 0.9;
  bool nesterov = true;
  double weight_decay = 3e-5;
  int warmup_steps = -1;       // -1: a third of the first epoch
  uint64_t seed = 0;
  int max_steps = 0;           // > 0: stop after this many steps (the schedule spans them)
  int train_limit = 0;         // > 0: train on the first N images only
  int eval_limit = 0;          // > 0: per-epoch accuracy on the first N test images only
  bool flip = true;            // random horizontal flip
  bool eval_each_epoch = true;
  int threads = 0;             // > 0: LibTorch intra-op threads
  GreyPreprocess preprocess;   // out_h / out_w must equal the model's input size
};

struct EpochReport {
  int epoch = 0;               // 1-based
  double mean_loss = 0;        // mean training loss over the epoch's steps
  double test_accuracy = -1;   // -1 when not evaluated
  double seconds = 0;          // training time of the epoch (evaluation excluded)
};

struct TrainReport {
  int steps = 0;
  std::vector<float> step_losses;
  std::vector<EpochReport> epochs;
  double train_seconds = 0;    // wall time of the training steps (evaluation excluded)
};

struct TrainedModel {
  TensorMap state;             // the official state_dict (BatchNorm statistics included)
  TrainReport report;
};

// Builds the reference model of `plan`, initializes it from opt.seed and trains it.
TrainedModel train_new_model(const ModelPlan& plan, const ImageDataset& train,
                             const ImageDataset& test, const TrainOptions& opt,
                             std::ostream* progress);

// The official initialization, deterministic in `seed`; BatchNorm statistics reset.
void init_for_training(ReferenceModel& model, uint64_t seed);

// Trains `model` in place. `progress` (may be null) receives a progress bar (epoch, step,
// loss, images/s, ETA) and one line per epoch with the test accuracy. Throws
// std::invalid_argument for bad options or a dataset whose classes or image size do not
// fit the model.
TrainReport train_classifier(ReferenceModel& model, const ImageDataset& train,
                             const ImageDataset& test, const TrainOptions& opt,
                             std::ostream* progress);

// Top-1 accuracy (0..1) of model.forward() over the first `limit` images (0: all).
double evaluate_accuracy(const ReferenceModel& model, const ImageDataset& data,
                         const GreyPreprocess& pre, int limit = 0, int batch = 500);

// Fills `out` (n x 3 x out_h x out_w) with images idx[0..n) of `data`, flipped where
// flips[i] (flips may be empty).
void make_batch(const ImageDataset& data, const std::vector<int>& idx,
                const std::vector<bool>& flips, const GreyPreprocess& pre, float* out);

// The metadata of a model trained on greyscale images with `pre` (arch, classes, input
// size, class names, preprocessing).
ModelMetadata grey_model_metadata(const ModelPlan& plan, const std::vector<std::string>& classes,
                                  const GreyPreprocess& pre);

}  // namespace micronet
