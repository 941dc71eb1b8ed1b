#include "reference/trainer.h"

#include "reference/reference_model.h"

#include <ATen/CPUGeneratorImpl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>
#include <stdexcept>

namespace micronet {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string duration_str(double s) {
  char b[32];
  const int t = int(std::lround(std::max(0.0, s)));
  if (t >= 3600) std::snprintf(b, sizeof b, "%dh%02dm", t / 3600, t / 60 % 60);
  else std::snprintf(b, sizeof b, "%dm%02ds", t / 60, t % 60);
  return b;
}

// Linear warmup from 0, then cosine to 0 at step `total`.
double lr_at(int step, int total, int warmup, double peak) {
  if (step < warmup) return peak * (step + 1) / warmup;
  const double t = double(step - warmup) / std::max(1, total - warmup);
  return 0.5 * peak * (1.0 + std::cos(M_PI * std::min(1.0, t)));
}

void check_fits(const ReferenceModel& model, const ImageDataset& d, const GreyPreprocess& pre,
                const char* which) {
  const ModelPlan& p = model.plan();
  if (int(d.class_names.size()) != p.num_classes)
    throw std::invalid_argument(std::string(which) + " set has " +
                                std::to_string(d.class_names.size()) + " classes, the model " +
                                std::to_string(p.num_classes));
  if (pre.out_h != p.input_h || pre.out_w != p.input_w)
    throw std::invalid_argument("preprocessing size " + std::to_string(pre.out_h) + "x" +
                                std::to_string(pre.out_w) + " differs from the model input " +
                                std::to_string(p.input_h) + "x" + std::to_string(p.input_w));
  if (d.count < 1) throw std::invalid_argument(std::string(which) + " set is empty");
}

}  // namespace

void init_for_training(ReferenceModel& model, uint64_t seed) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  torch::NoGradGuard no_grad;
  for (const auto& m : model.module().modules(/*include_self=*/false)) {
    if (auto* c = m->as<torch::nn::Conv2d>()) {
      const auto& k = c->options.kernel_size();
      const double n = double((*k)[0]) * (*k)[1] * c->options.out_channels();
      c->weight.normal_(0.0, std::sqrt(2.0 / n), gen);
    } else if (auto* l = m->as<torch::nn::Linear>()) {
      l->weight.normal_(0.0, 0.01, gen);
      l->bias.zero_();
    } else if (auto* bn = m->as<torch::nn::BatchNorm2d>()) {
      bn->weight.fill_(1.0), bn->bias.zero_(), bn->reset_running_stats();
    } else if (auto* bn1 = m->as<torch::nn::BatchNorm1d>()) {
      bn1->weight.fill_(1.0), bn1->bias.zero_(), bn1->reset_running_stats();
    }
  }
}

void make_batch(const ImageDataset& data, const std::vector<int>& idx, const std::vector<bool>& flips,
                const GreyPreprocess& pre, float* out) {
  const size_t per = size_t(3) * pre.out_h * pre.out_w;
  for (size_t i = 0; i < idx.size(); ++i)
    preprocess_grey(data.image(idx[i]), data.height, data.width, pre, !flips.empty() && flips[i],
                    out + i * per);
}

double evaluate_accuracy(const ReferenceModel& model, const ImageDataset& data,
                         const GreyPreprocess& pre, int limit, int batch) {
  const int n = limit > 0 ? std::min(limit, data.count) : data.count;
  const ModelPlan& p = model.plan();
  int correct = 0;
  std::vector<float> buf;
  for (int start = 0; start < n; start += batch) {
    const int b = std::min(batch, n - start);
    std::vector<int> idx(b);
    std::iota(idx.begin(), idx.end(), start);
    buf.resize(size_t(b) * 3 * p.input_h * p.input_w);
    make_batch(data, idx, {}, pre, buf.data());
    const torch::Tensor x = torch::from_blob(buf.data(), {b, 3, p.input_h, p.input_w}, torch::kFloat);
    const torch::Tensor pred = model.forward(x).argmax(1);
    const int64_t* pp = pred.data_ptr<int64_t>();
    for (int i = 0; i < b; ++i) correct += pp[i] == data.labels[start + i];
  }
  return double(correct) / n;
}

TrainReport train_classifier(ReferenceModel& model, const ImageDataset& train,
                             const ImageDataset& test, const TrainOptions& opt,
                             std::ostream* progress) {
  check_fits(model, train, opt.preprocess, "training");
  if (opt.eval_each_epoch) check_fits(model, test, opt.preprocess, "test");
  if (opt.epochs < 1 || opt.batch < 2 || !(opt.lr > 0) || opt.max_steps < 0)
    throw std::invalid_argument("training needs epochs >= 1, batch >= 2, lr > 0, max_steps >= 0");
  const int n = opt.train_limit > 0 ? std::min(opt.train_limit, train.count) : train.count;
  const int steps_per_epoch = n / opt.batch;  // the last partial batch is dropped
  if (steps_per_epoch < 1)
    throw std::invalid_argument("batch " + std::to_string(opt.batch) + " exceeds the " +
                                std::to_string(n) + " training images");
  int total = opt.epochs * steps_per_epoch;
  if (opt.max_steps > 0) total = std::min(total, opt.max_steps);
  const int warmup = opt.warmup_steps >= 0 ? std::min(opt.warmup_steps, total)
                                           : std::min(total / 2, std::max(1, steps_per_epoch / 3));

  if (opt.threads > 0) torch::set_num_threads(opt.threads);
  torch::manual_seed(opt.seed);  // dropout masks
  std::mt19937_64 rng(opt.seed);
  torch::optim::SGD sgd(model.parameters(), torch::optim::SGDOptions(opt.lr)
                                                .momentum(opt.momentum)
                                                .nesterov(opt.nesterov)
                                                .weight_decay(opt.weight_decay));
  const ModelPlan& p = model.plan();
  const bool tty = progress && isatty(2);
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::vector<float> buf(size_t(opt.batch) * 3 * p.input_h * p.input_w);
  std::vector<int64_t> labels(opt.batch);

  TrainReport report;
  int step = 0;
  for (int epoch = 1; epoch <= opt.epochs && step < total; ++epoch) {
    std::shuffle(order.begin(), order.end(), rng);
    const Clock::time_point t0 = Clock::now();
    double loss_sum = 0;
    int epoch_steps = 0;
    Clock::time_point last_print = t0;
    for (int s = 0; s < steps_per_epoch && step < total; ++s, ++step, ++epoch_steps) {
      std::vector<int> idx(order.begin() + size_t(s) * opt.batch, order.begin() + size_t(s + 1) * opt.batch);
      std::vector<bool> flips(opt.batch, false);
      std::bernoulli_distribution coin(0.5);
      if (opt.flip)
        for (int i = 0; i < opt.batch; ++i) flips[i] = coin(rng);
      make_batch(train, idx, flips, opt.preprocess, buf.data());
      for (int i = 0; i < opt.batch; ++i) labels[i] = train.labels[idx[i]];
      const torch::Tensor x = torch::from_blob(buf.data(), {opt.batch, 3, p.input_h, p.input_w}, torch::kFloat);
      const torch::Tensor y = torch::from_blob(labels.data(), {opt.batch}, torch::kLong);

      const double lr = lr_at(step, total, warmup, opt.lr);
      for (auto& group : sgd.param_groups())
        static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
      sgd.zero_grad();
      const torch::Tensor loss = torch::nn::functional::cross_entropy(model.forward_train(x), y);
      loss.backward();
      sgd.step();

      const float l = loss.item<float>();
      if (!std::isfinite(l))
        throw std::runtime_error("training diverged: loss " + std::to_string(l) + " at step " +
                                 std::to_string(step + 1) + " (try a lower --lr)");
      report.step_losses.push_back(l);
      loss_sum += l;
      if (progress) {
        const double el = seconds_since(t0);
        const bool last = s + 1 == steps_per_epoch || step + 1 == total;
        if (last || std::chrono::duration<double>(Clock::now() - last_print).count() > (tty ? 0.5 : 30.0)) {
          last_print = Clock::now();
          const double per_step = el / (epoch_steps + 1);
          const double eta = per_step * (total - step - 1);
          const double recent = [&] {
            const size_t k = std::min<size_t>(20, report.step_losses.size());
            double sum = 0;
            for (size_t i = report.step_losses.size() - k; i < report.step_losses.size(); ++i) sum += report.step_losses[i];
            return sum / k;
          }();
          char line[256];
          std::snprintf(line, sizeof line,
                        "epoch %d/%d  step %4d/%d  loss %.4f  lr %.4f  %.0f img/s  ETA %s",
                        epoch, opt.epochs, s + 1, steps_per_epoch, recent, lr,
                        opt.batch / per_step, duration_str(eta).c_str());
          *progress << (tty ? "\r" : "") << line << (tty ? "\033[K" : "\n") << std::flush;
        }
      }
    }
    EpochReport er;
    er.epoch = epoch;
    er.seconds = seconds_since(t0);
    er.mean_loss = loss_sum / std::max(1, epoch_steps);
    report.train_seconds += er.seconds;
    if (progress && tty) *progress << "\n";
    if (opt.eval_each_epoch) {
      const Clock::time_point te = Clock::now();
      er.test_accuracy = evaluate_accuracy(model, test, opt.preprocess, opt.eval_limit);
      if (progress) {
        char line[256];
        std::snprintf(line, sizeof line,
                      "epoch %d/%d done: mean train loss %.4f, test accuracy %.2f%% (%d images), "
                      "%.1f s training + %.1f s test\n",
                      epoch, opt.epochs, er.mean_loss, 100.0 * er.test_accuracy,
                      opt.eval_limit > 0 ? std::min(opt.eval_limit, test.count) : test.count,
                      er.seconds, seconds_since(te));
        *progress << line << std::flush;
      }
    }
    report.epochs.push_back(er);
  }
  report.steps = step;
  return report;
}

TrainedModel train_new_model(const ModelPlan& plan, const ImageDataset& train,
                             const ImageDataset& test, const TrainOptions& opt,
                             std::ostream* progress) {
  ReferenceModel model(plan);
  init_for_training(model, opt.seed);
  TrainedModel out;
  out.report = train_classifier(model, train, test, opt, progress);
  out.state = model.state();
  return out;
}

ModelMetadata grey_model_metadata(const ModelPlan& plan, const std::vector<std::string>& classes,
                                  const GreyPreprocess& pre) {
  ModelMetadata m;
  m.arch = plan.arch;
  m.num_classes = plan.num_classes;
  m.input_h = plan.input_h;
  m.input_w = plan.input_w;
  m.class_names = classes;
  m.preprocess = "grey3";
  m.resize = "bilinear";
  m.mean = pre.mean;
  m.std = pre.std;
  m.extra["format"] = "micronet-official-state-dict";
  return m;
}

}  // namespace micronet
