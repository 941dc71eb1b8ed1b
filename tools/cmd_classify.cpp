#include <algorithm>
#include <cstdio>
#include <fstream>
#include <numeric>

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
}  // namespace

// micronet classify --arch A [--weights W] IMAGE... [--topk 5] [--labels FILE]
//                   [--backend halide|libtorch] [--threads N]
int cmd_classify(int argc, char** argv) {
  Args a(argc, argv, 2, {"arch", "weights", "topk", "labels", "backend", "threads"}, {});
  const std::vector<std::string>& images = a.positional();
  if (images.empty()) throw UsageError("usage: micronet classify --arch A [--weights W] IMAGE...");
  const ModelPlan plan = plan_model(model_config(a.require("arch")));
  const std::vector<std::string> labels = read_labels(a.get("labels"));
  if (!labels.empty() && int(labels.size()) != plan.num_classes)
    throw FormatError(a.get("labels") + ": has " + std::to_string(labels.size()) +
                      " lines, expected " + std::to_string(plan.num_classes) + " class names");
  const int topk = std::min(a.get_int("topk", 5), plan.num_classes);
  std::string source;
  const TensorMap w = load_weights_or_random(a.get("weights"), plan, &source);
  auto backend = make_backend(a.get("backend", "halide"), plan, w, source, a.get_int("threads", 1));

  std::vector<float> batch;
  for (const std::string& img : images) {
    const std::vector<float> x = preprocess_image_file(img);
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
