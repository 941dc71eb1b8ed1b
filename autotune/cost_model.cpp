#include "autotune/cost_model.h"

#include <xgboost/c_api.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace micronet::tune {

namespace {

void check(int rc, const char* what) {
  if (rc != 0) throw std::runtime_error(std::string("xgboost: ") + what + ": " + XGBGetLastError());
}

// Owns a DMatrix for the length of one fit or predict call.
class Matrix {
 public:
  Matrix(const std::vector<float>& rows, size_t n, size_t cols) {
    // _omp with one thread: building the matrix must not fan out on the compile core either.
    check(XGDMatrixCreateFromMat_omp(rows.data(), n, cols, std::numeric_limits<float>::quiet_NaN(),
                                     &handle_, 1),
          "DMatrix");
  }
  ~Matrix() { XGDMatrixFree(handle_); }
  Matrix(const Matrix&) = delete;
  Matrix& operator=(const Matrix&) = delete;
  DMatrixHandle get() const { return handle_; }

 private:
  DMatrixHandle handle_ = nullptr;
};

// Trees split on order only, so any monotone map of the value gives the same model; log2
// keeps model dumps readable. Knob values <= 0 (modes, flags) get the same odd extension.
float log2_feature(int v) {
  const double a = std::log2(1.0 + std::abs(static_cast<double>(v)));
  return static_cast<float>(v < 0 ? -a : a);
}

}  // namespace

CostModel::CostModel(const sched::KnobSpace& space, CostModelOptions options)
    : space_(space), options_(options) {}

CostModel::~CostModel() {
  if (booster_) XGBoosterFree(booster_);
}

std::vector<float> CostModel::features(const sched::Knobs& point) const {
  std::vector<float> row;
  row.reserve(num_features());
  for (const sched::KnobDomain& d : space_.knobs()) {
    const int v = point.get(d.name, d.default_value);
    const auto it = std::find(d.values.begin(), d.values.end(), v);
    if (it == d.values.end())
      throw std::invalid_argument("cost model: knob " + d.name + "=" + std::to_string(v) +
                                  " is outside its domain");
    const size_t index = static_cast<size_t>(it - d.values.begin());
    row.push_back(d.values.size() > 1 ? static_cast<float>(index) / (d.values.size() - 1) : 0.f);
    row.push_back(log2_feature(v));
  }
  return row;
}

std::vector<float> CostModel::feature_matrix(const std::vector<sched::Knobs>& points) const {
  std::vector<float> rows;
  rows.reserve(points.size() * num_features());
  for (const sched::Knobs& p : points) {
    const std::vector<float> row = features(p);
    rows.insert(rows.end(), row.begin(), row.end());
  }
  return rows;
}

void CostModel::fit(const std::vector<sched::Knobs>& points, const std::vector<double>& us) {
  if (points.size() != us.size())
    throw std::invalid_argument("cost model: " + std::to_string(points.size()) + " points but " +
                                std::to_string(us.size()) + " times");
  if (points.empty()) throw std::invalid_argument("cost model: nothing to fit");
  // Labels: -log(us), so that higher = faster and a 2x speed-up is the same step anywhere
  // in the range (kernel times span orders of magnitude across a space). Centred, with
  // base_score 0, so the first trees fit the differences rather than the mean.
  std::vector<float> labels(us.size());
  double mean = 0;
  for (size_t i = 0; i < us.size(); ++i) {
    if (!(us[i] > 0)) throw std::invalid_argument("cost model: time must be > 0 us");
    mean += -std::log(us[i]);
  }
  mean /= static_cast<double>(us.size());
  for (size_t i = 0; i < us.size(); ++i) labels[i] = static_cast<float>(-std::log(us[i]) - mean);

  const Matrix train(feature_matrix(points), points.size(), num_features());
  check(XGDMatrixSetFloatInfo(train.get(), "label", labels.data(), labels.size()), "labels");

  if (booster_) {
    XGBoosterFree(booster_);
    booster_ = nullptr;
  }
  DMatrixHandle dm = train.get();
  BoosterHandle b = nullptr;
  check(XGBoosterCreate(&dm, 1, &b), "booster");
  booster_ = b;
  const bool pairwise = options_.objective == CostModelOptions::Objective::Pairwise;
  const std::pair<const char*, std::string> params[] = {
      {"nthread", "1"},
      {"verbosity", "0"},
      // exact: a few hundred rows need no histogram; and it is deterministic.
      {"tree_method", "exact"},
      {"objective", pairwise ? "rank:pairwise" : "reg:squarederror"},
      {"base_score", "0"},
      {"max_depth", std::to_string(options_.max_depth)},
      {"eta", std::to_string(options_.eta)},
      // Small data: let a leaf hold a single measurement.
      {"min_child_weight", "1"},
      {"seed", std::to_string(options_.seed % 2147483647u)},
  };
  for (const auto& [key, value] : params) check(XGBoosterSetParam(b, key, value.c_str()), key);
  for (int i = 0; i < options_.rounds; ++i) check(XGBoosterUpdateOneIter(b, i, train.get()), "train");
}

std::vector<double> CostModel::predict(const std::vector<sched::Knobs>& points) const {
  if (!booster_) throw std::logic_error("cost model: predict() before fit()");
  if (points.empty()) return {};
  const Matrix m(feature_matrix(points), points.size(), num_features());
  bst_ulong n = 0;
  const float* out = nullptr;
  check(XGBoosterPredict(booster_, m.get(), 0, 0, 0, &n, &out), "predict");
  if (n != points.size()) throw std::runtime_error("xgboost: prediction count mismatch");
  return std::vector<double>(out, out + n);
}

}  // namespace micronet::tune
