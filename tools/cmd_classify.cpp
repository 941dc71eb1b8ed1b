#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <numeric>

#include <nlohmann/json.hpp>
#include <opencv2/core/utils/logger.hpp>

#include "preprocess/grey_image.h"
#include "preprocess/preprocess.h"
#include "tools/activity.h"
#include "tools/backend.h"
#include "tools/commands.h"
#include "tools/memory_budget.h"
#include "tools/usage_error.h"

namespace micronet::cli {

namespace {

std::vector<std::string> read_labels(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw FormatError(path + ": cannot open the labels file");
  std::vector<std::string> labels;
  for (std::string line; std::getline(f, line);) labels.push_back(line);
  return labels;
}

// One image as the model's input, decoded through read_image_bounded (a missing,
// undecodable or too large file is a FormatError naming it, raised before its pixels are
// decoded). Metadata preprocess "grey3": greyscale, resized whole; else ImageNet (RGB,
// shorter side scaled by 256/224 of the model size, centre crop).
std::vector<float> image_input(const std::string& path, const ModelMetadata& m, const ModelPlan& plan,
                               int64_t max_pixels) {
  if (m.grey()) {
    GreyPreprocess p;
    p.out_h = plan.input_h, p.out_w = plan.input_w, p.mean = m.mean, p.std = m.std;
    return preprocess_grey_file(path, p, max_pixels);
  }
  return preprocess_image_file(path, imagenet_options_for(plan.input_h), max_pixels);
}

struct Ranked {
  int cls;
  float prob, logit;
};

// The k best classes of one row of logits, with softmax probabilities.
std::vector<Ranked> top_k(const float* l, int classes, int k) {
  const float mx = *std::max_element(l, l + classes);
  double sum = 0;
  for (int i = 0; i < classes; ++i) sum += std::exp(double(l[i]) - mx);
  std::vector<int> idx(size_t(classes), 0);
  std::iota(idx.begin(), idx.end(), 0);
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](int p, int q) { return l[p] > l[q]; });
  std::vector<Ranked> out;
  for (int r = 0; r < k; ++r)
    out.push_back({idx[size_t(r)], float(std::exp(double(l[idx[size_t(r)]]) - mx) / sum), l[idx[size_t(r)]]});
  return out;
}

// Prints results as they come: text blocks, or the elements of one JSON document's "images"
// array (opened by the caller), so memory stays flat however many files there are.
class Printer {
 public:
  Printer(bool json, const std::vector<std::string>& labels) : json_(json), labels_(labels) {}
  void result(const std::string& path, const std::vector<Ranked>& top) {
    if (json_) {
      nlohmann::json list = nlohmann::json::array();
      for (const Ranked& r : top)
        list.push_back({{"class", r.cls}, {"name", name(r.cls)}, {"prob", r.prob}, {"logit", r.logit}});
      element({{"file", path}, {"top", list}});
      return;
    }
    std::printf("%s\n", path.c_str());
    for (size_t k = 0; k < top.size(); ++k)
      std::printf("  %zu. class %4d  %-30s prob %.4f  logit %.4f\n", k + 1, top[k].cls, name(top[k].cls).c_str(),
                  top[k].prob, top[k].logit);
  }
  void failure(const std::string& path, const std::string& why) {
    std::cerr << "micronet classify: error: " << why << "\n";
    if (json_) element({{"file", path}, {"error", why}});
  }

 private:
  std::string name(int cls) const { return labels_.empty() ? "" : labels_[size_t(cls)]; }
  void element(const nlohmann::json& j) {
    std::printf("%s    %s", first_ ? "\n" : ",\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    std::fflush(stdout);
    first_ = false;
  }
  bool json_;
  const std::vector<std::string>& labels_;
  bool first_ = true;
};

}  // namespace

// micronet classify [--arch A] [--weights W] IMAGE... [--topk 5] [--labels FILE] [--json]
//                   [--batch N] [--max-pixels N] [--backend halide|libtorch] [--threads N]
// With a weights file whose metadata describes the model (arch, classes, input size,
// class names, preprocessing; see models/model_metadata.h) the file is all it needs;
// otherwise ImageNet preprocessing (RGB, shorter side 256, centre crop 224). Images are
// decoded and run --batch at a time; a file that cannot be read is reported and skipped,
// and the exit status is then 1.
int cmd_classify(const ClassifyArgs& a) {
  ModelFiles files = open_files(a.package, a.weights);
  const ModelMetadata meta = files.meta;
  const ModelPlan plan = plan_files(files, a.arch, meta.input_h > 0 ? meta.input_h : 224,
                                    meta.input_w > 0 ? meta.input_w : 224);
  if (!meta.grey() && plan.input_h != plan.input_w)
    throw FormatError(a.weights + ": ImageNet preprocessing needs a square input size");
  if (a.topk > plan.num_classes)
    throw UsageError("--topk " + std::to_string(a.topk) + ": MicroNet-" + plan.arch + " has only " +
                     std::to_string(plan.num_classes) + " classes");
  const std::vector<std::string> labels = a.labels.empty() ? meta.class_names : read_labels(a.labels);
  if (!labels.empty() && int(labels.size()) != plan.num_classes)
    throw FormatError(a.labels + ": has " + std::to_string(labels.size()) + " lines, expected " +
                      std::to_string(plan.num_classes) + " class names");
  const int chunk = std::min<int>(a.batch, int(a.images.size()));
  check_batch_fits(plan, chunk, "--batch");
  std::string source;
  const TensorMap w = take_cli_weights(files, plan, &source);
  auto backend = make_backend(a.backend, plan, w, source,
                              threads_for_target(a.target, a.threads, a.threads_given), files, a.target);
  // Missing/undecodable files are reported by read_image_bounded; OpenCV's own warnings would
  // only repeat them in its internal terms.
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);

  Printer out(a.json, labels);
  if (a.json) {
    const nlohmann::json head = {{"arch", plan.arch}, {"weights", a.weights.empty() ? source : a.weights},
                                 {"backend", backend->name()}, {"topk", a.topk}};
    const std::string h = head.dump();
    std::printf("%s, \"images\": [", h.substr(0, h.size() - 1).c_str());
  }
  int failed = 0;
  std::vector<float> batch;
  struct Slot {
    std::string path, error;  // error: "" when decoded (then it is the next image of `batch`)
  };
  std::vector<Slot> slots;
  for (size_t start = 0; start < a.images.size(); start += size_t(chunk)) {
    batch.clear();
    slots.clear();
    int decoded = 0;
    for (size_t i = start; i < std::min(a.images.size(), start + size_t(chunk)); ++i) {
      const std::string& path = a.images[i];
      try {
        Activity doing("decoding " + path);
        const std::vector<float> x = image_input(path, meta, plan, a.max_pixels);
        batch.insert(batch.end(), x.begin(), x.end());
        slots.push_back({path, ""});
        ++decoded;
      } catch (const std::bad_alloc&) {
        throw;
      } catch (const std::exception& e) {  // FormatError, or OpenCV's for a corrupt file
        slots.push_back({path, e.what()});
        ++failed;
      }
    }
    std::vector<float> logits;
    if (decoded) {
      Activity doing("running MicroNet-" + plan.arch + " on " + std::to_string(decoded) + " images");
      logits = backend->run(batch.data(), decoded);
    }
    // In the order given, failures included.
    size_t k = 0;
    for (const Slot& s : slots) {
      if (!s.error.empty()) {
        out.failure(s.path, s.error);
        continue;
      }
      out.result(s.path, top_k(logits.data() + k++ * size_t(plan.num_classes), plan.num_classes, a.topk));
    }
  }
  if (a.json) std::printf("\n]}\n");
  if (failed)
    std::cerr << "micronet classify: " << failed << " of " << a.images.size() << " images could not be read\n";
  return failed ? 1 : 0;
}

}  // namespace micronet::cli
