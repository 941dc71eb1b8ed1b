#include "bindings/model.h"

#include <algorithm>
#include <chrono>
#include <random>

#include "models/config.h"
#include "models/plan.h"

namespace micronet::bindings {

namespace {
std::atomic<int> g_threads{0};  // 0: never set by this module
std::mutex g_threads_mu;
}  // namespace

void apply_num_threads(int threads) {
  if (g_threads.load(std::memory_order_relaxed) == threads) return;
  std::lock_guard<std::mutex> lock(g_threads_mu);
  if (g_threads.load() == threads) return;
  HalideModel::set_num_threads(threads);
  g_threads.store(threads);
}

int current_num_threads() { return g_threads.load(); }

Model::Model(TensorMap weights, std::string source, ModelMetadata meta, int threads,
             std::string target, std::shared_ptr<const ModelPackage> package)
    : weights_(std::move(weights)),
      source_(std::move(source)),
      meta_(std::move(meta)),
      threads_(threads),
      target_(std::move(target)),
      package_(std::move(package)) {
  config_ = package_ ? package_->config() : model_config(meta_.arch);
  if (meta_.input_h <= 0 || meta_.input_w <= 0) meta_.input_h = meta_.input_w = kDefaultSize;
  const ModelPlan plan = plan_model(config_, meta_.input_h, meta_.input_w, meta_.num_classes);
  meta_.num_classes = plan.num_classes;
  default_ = std::make_shared<const HalideModel>(plan, weights_, source_, target_, package_);
  // After the weights' check, which names the tensor when the head has another width.
  if (!meta_.class_names.empty() && int(meta_.class_names.size()) != meta_.num_classes)
    throw FormatError(source_ + ": " + std::to_string(meta_.class_names.size()) +
                      " class names for a model of " + std::to_string(meta_.num_classes) + " classes");
}

std::shared_ptr<const HalideModel> Model::model_for(int h, int w) {
  if (h == meta_.input_h && w == meta_.input_w) return default_;
  std::lock_guard<std::mutex> lock(mu_);
  const std::pair<int, int> key{h, w};
  for (auto it = extra_.begin(); it != extra_.end(); ++it)
    if (it->first == key) {
      extra_.splice(extra_.begin(), extra_, it);
      return extra_.front().second;
    }
  // plan_model throws std::invalid_argument for sizes the network cannot take.
  const ModelPlan plan = plan_model(config_, h, w, meta_.num_classes);
  auto m = std::make_shared<const HalideModel>(plan, weights_, source_, target_, package_);
  extra_.emplace_front(key, m);
  if (extra_.size() > kMaxExtraSizes) extra_.pop_back();  // callers still running keep theirs
  return m;
}

std::vector<std::pair<int, int>> Model::cached_sizes() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::pair<int, int>> out{{meta_.input_h, meta_.input_w}};
  for (const auto& e : extra_) out.push_back(e.first);
  return out;
}

std::vector<float> Model::run(const float* input, int batch, int h, int w) {
  std::shared_ptr<const HalideModel> m = model_for(h, w);
  apply_num_threads(threads_);
  return m->run(input, batch);
}

BenchResult Model::benchmark(int batch, int iters, int warmup, int h, int w) {
  std::shared_ptr<const HalideModel> m = model_for(h, w);
  apply_num_threads(threads_);
  // The input of `micronet bench`: N(0, 1) from mt19937(7).
  std::vector<float> input(size_t(batch) * 3 * h * w);
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  for (float& v : input) v = normal(rng);
  for (int i = 0; i < warmup; ++i) m->run(input.data(), batch);
  std::vector<double> ms;
  ms.reserve(iters);
  for (int i = 0; i < iters; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    m->run(input.data(), batch);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  BenchResult r;
  r.median_ms = ms[ms.size() / 2];
  r.min_ms = ms.front();
  r.max_ms = ms.back();
  r.batch = batch;
  r.iters = iters;
  r.threads = threads_;
  r.height = h;
  r.width = w;
  return r;
}

}  // namespace micronet::bindings
