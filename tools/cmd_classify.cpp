#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>

#include <opencv2/imgcodecs.hpp>

#include "models/datasets/fashion_mnist.h"
#include "runtime/preprocess.h"
#include "tools/backend.h"
#include "tools/cli_args.h"
#include "tools/commands.h"

namespace micronet::cli {

namespace {
std::vector<std::string> read_labels(const std::string& path) {
  std::vector<std::string> labels;
  if (path.empty()) return labels;
  std::ifstream f(path);
  if (!f) throw FormatError(path + ": cannot open the labels file");
  for (std::string line; std::getline(f, line);) labels.push_back(line);
  return labels;
}

// Metadata preprocess "grey3": decode as greyscale, then preprocess_grey() at the model size.
std::vector<float> grey_input(const std::string& path, const ModelMetadata& m, const ModelPlan& plan) {
  const cv::Mat grey = cv::imread(path, cv::IMREAD_GRAYSCALE);
  if (grey.empty()) throw FormatError(path + ": cannot read or decode the image");
  cv::Mat f;
  grey.convertTo(f, CV_32F);
  GreyPreprocess p;
  p.out_h = plan.input_h, p.out_w = plan.input_w, p.mean = m.mean, p.std = m.std;
  std::vector<float> out(size_t(3) * p.out_h * p.out_w);
  preprocess_grey_f32(f.ptr<float>(), f.rows, f.cols, p, false, out.data());
  return out;
}
}  // namespace

// micronet classify [--arch A] [--weights W] IMAGE... [--topk 5] [--labels FILE]
//                   [--backend halide|libtorch] [--threads N]
// With a weights file whose metadata describes the model (arch, classes, input size,
// class names, preprocessing; see models/model_metadata.h) the file is all it needs;
// otherwise ImageNet preprocessing (RGB, shorter side 256, centre crop 224).
int cmd_classify(int argc, char** argv) {
  Args a(argc, argv, 2, {"arch", "weights", "topk", "labels", "backend", "threads", "target"}, {});
  const std::vector<std::string>& images = a.positional();
  if (images.empty()) throw UsageError("usage: micronet classify --arch A [--weights W] IMAGE...");
  const ModelMetadata meta = read_weights_metadata(a.get("weights"));
  const ModelPlan plan = plan_for_weights(a.get("arch"), meta, a.get("weights"),
                                          meta.input_h > 0 ? meta.input_h : 224,
                                          meta.input_w > 0 ? meta.input_w : 224);
  if (!meta.grey() && plan.input_h != plan.input_w)
    throw FormatError(a.get("weights") + ": ImageNet preprocessing needs a square input size");
  const std::vector<std::string> labels =
      a.has("labels") ? read_labels(a.get("labels")) : meta.class_names;
  if (!labels.empty() && int(labels.size()) != plan.num_classes)
    throw FormatError(a.get("labels") + ": has " + std::to_string(labels.size()) +
                      " lines, expected " + std::to_string(plan.num_classes) + " class names");
  const int topk = std::min(a.get_int("topk", 5), plan.num_classes);
  std::string source;
  const TensorMap w = load_weights_or_random(a.get("weights"), plan, &source);
  auto backend = make_backend(a.get("backend", "halide"), plan, w, source, a.get_int("threads", 1),
                              a.get("target", "host"));

  std::vector<float> batch;
  for (const std::string& img : images) {
    PreprocessOptions imagenet;  // 256 -> 224, scaled to the model's size
    imagenet.crop = plan.input_h;
    imagenet.resize_shorter = int(std::lround(plan.input_h * 256.0 / 224.0));
    const std::vector<float> x = meta.grey() ? grey_input(img, meta, plan)
                                             : preprocess_image_file(img, imagenet);
    batch.insert(batch.end(), x.begin(), x.end());
  }
  const std::vector<float> logits = backend->run(batch.data(), int(images.size()));
  for (size_t i = 0; i < images.size(); ++i) {
    const float* l = logits.data() + i * plan.num_classes;
    std::vector<int> idx(plan.num_classes);
    std::iota(idx.begin(), idx.end(), 0);
    std::partial_sort(idx.begin(), idx.begin() + topk, idx.end(),
                      [&](int p, int q) { return l[p] > l[q]; });
    std::printf("%s\n", images[i].c_str());
    for (int k = 0; k < topk; ++k)
      std::printf("  %d. class %4d  %-30s logit %.4f\n", k + 1, idx[k],
                  labels.empty() ? "" : labels[idx[k]].c_str(), l[idx[k]]);
  }
  return 0;
}

}  // namespace micronet::cli
