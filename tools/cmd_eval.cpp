#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "preprocess/fashion_mnist.h"
#include "formats/file_io.h"
#include "tools/backend.h"
#include "tools/memory_budget.h"
#include "tools/usage_error.h"
#include "tools/commands.h"

namespace micronet::cli {

namespace {

struct Evaluation {
  std::string backend;
  std::vector<float> logits;  // n x classes
  std::vector<int> pred;
  int correct = 0;
  std::vector<std::vector<int>> confusion;  // [true][predicted]
  double seconds = 0;
};

Evaluation evaluate(Backend& b, const ImageDataset& d, int n, int classes, const GreyPreprocess& pre,
                    int batch) {
  Evaluation e;
  e.backend = b.name();
  e.confusion.assign(classes, std::vector<int>(classes, 0));
  const size_t per = size_t(3) * pre.out_h * pre.out_w;
  std::vector<float> buf;
  const auto t0 = std::chrono::steady_clock::now();
  for (int start = 0; start < n; start += batch) {
    const int m = std::min(batch, n - start);
    buf.resize(per * m);
    for (int i = 0; i < m; ++i)
      preprocess_grey(d.image(start + i), d.height, d.width, pre, false, buf.data() + per * i);
    const std::vector<float> l = b.run(buf.data(), m);
    e.logits.insert(e.logits.end(), l.begin(), l.end());
  }
  e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (int i = 0; i < n; ++i) {
    const float* l = e.logits.data() + size_t(i) * classes;
    const int p = int(std::max_element(l, l + classes) - l);
    e.pred.push_back(p);
    e.correct += p == d.labels[i];
    e.confusion[d.labels[i]][p]++;
  }
  return e;
}

// Images where the two backends' top-1 differ although the reference's logits of the two
// classes are not tied (|difference| above float rounding of the logits).
int disagreements_beyond_ties(const Evaluation& a, const Evaluation& ref, int classes, int* any) {
  int beyond = 0;
  *any = 0;
  for (size_t i = 0; i < a.pred.size(); ++i) {
    if (a.pred[i] == ref.pred[i]) continue;
    ++*any;
    const float* l = ref.logits.data() + i * classes;
    const float x = l[a.pred[i]], y = l[ref.pred[i]];
    if (std::fabs(x - y) > 1e-5f * (1.f + std::fabs(y))) ++beyond;
  }
  return beyond;
}

std::string json_str(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    if (uint8_t(c) < 0x20) continue;
    o += c;
  }
  return o + "\"";
}

// A confusion matrix image: rows true class, columns predicted class, cells shaded by the
// row fraction and labelled with counts.
void draw_confusion(const std::string& path, const Evaluation& e, const std::vector<std::string>& names,
                    const std::string& title) {
  const int k = int(names.size()), cell = 56, left = 130, top = 150, right = 20, bottom = 40;
  const int w = left + k * cell + right, h = top + k * cell + bottom;
  cv::Mat img(h, w, CV_8UC3, cv::Scalar(255, 255, 255));
  const auto font = cv::FONT_HERSHEY_SIMPLEX;
  cv::putText(img, title, {10, 24}, font, 0.55, {0, 0, 0}, 1, cv::LINE_AA);
  cv::putText(img, "predicted class", {left + k * cell / 2 - 60, 48}, font, 0.5, {0, 0, 0}, 1, cv::LINE_AA);
  // Column labels, written horizontally on a strip and rotated to read bottom-up.
  for (int j = 0; j < k; ++j) {
    cv::Mat strip(cell, top - 60, CV_8UC3, cv::Scalar(255, 255, 255));
    cv::putText(strip, names[j], {4, cell / 2 + 5}, font, 0.42, {0, 0, 0}, 1, cv::LINE_AA);
    cv::Mat rotated;
    cv::rotate(strip, rotated, cv::ROTATE_90_COUNTERCLOCKWISE);
    rotated.copyTo(img(cv::Rect(left + j * cell, 56, cell, top - 60)));
  }
  cv::putText(img, "true class", {6, top - 8}, font, 0.5, {0, 0, 0}, 1, cv::LINE_AA);
  for (int i = 0; i < k; ++i) {
    int row_total = 0;
    for (int j = 0; j < k; ++j) row_total += e.confusion[i][j];
    cv::putText(img, names[i], {6, top + i * cell + cell / 2 + 5}, font, 0.42, {0, 0, 0}, 1, cv::LINE_AA);
    for (int j = 0; j < k; ++j) {
      const int c = e.confusion[i][j];
      const double f = row_total ? double(c) / row_total : 0.0;
      const cv::Rect r(left + j * cell, top + i * cell, cell, cell);
      // White -> blue (BGR), diagonal cells green-blue to stand out.
      const cv::Scalar colour = i == j ? cv::Scalar(255 - 80 * f, 255 - 60 * f, 255 - 200 * f)
                                       : cv::Scalar(255 - 40 * std::sqrt(f), 255 - 180 * std::sqrt(f), 255 - 180 * std::sqrt(f));
      cv::rectangle(img, r, colour, cv::FILLED);
      cv::rectangle(img, r, {200, 200, 200}, 1);
      if (c) {
        const std::string t = std::to_string(c);
        int base = 0;
        const cv::Size ts = cv::getTextSize(t, font, 0.42, 1, &base);
        cv::putText(img, t, {r.x + (cell - ts.width) / 2, r.y + (cell + ts.height) / 2}, font, 0.42,
                    {0, 0, 0}, 1, cv::LINE_AA);
      }
    }
  }
  cv::Mat strip(20, k * cell, CV_8UC3, cv::Scalar(255, 255, 255));
  cv::putText(strip, "rows: true class, columns: predicted class, shade: fraction of the row", {0, 15},
              font, 0.42, {80, 80, 80}, 1, cv::LINE_AA);
  strip.copyTo(img(cv::Rect(left, top + k * cell + 10, k * cell, 20)));
  bool written = false;
  try {
    written = cv::imwrite(path, img);
  } catch (const cv::Exception& e) {  // OpenCV's own text names neither the flag nor the file
    throw FormatError("--plot " + path + ": cannot write the confusion matrix image (" + e.err + ")");
  }
  if (!written) throw FormatError("--plot " + path + ": cannot write the confusion matrix image");
}

// Up front, so that a typo fails before the whole test set runs: the folder must be writable
// and OpenCV must have an encoder for the extension (conf.txt would throw in cv::imwrite).
void check_plot_path(const std::string& path) {
  check_output_location(path, "--plot");
  bool ok = false;
  try {
    ok = cv::haveImageWriter(path);
  } catch (const cv::Exception&) {
  }
  if (!ok) {
    const size_t dot = path.rfind('.');
    const std::string ext = dot == std::string::npos || path.find('/', dot) != std::string::npos ? "" : path.substr(dot);
    throw UsageError("--plot " + path + ": no image format for " +
                     (ext.empty() ? std::string("a file without an extension") : "the extension '" + ext + "'") +
                     " (use .png, .jpg or .bmp)");
  }
}

}  // namespace

// micronet eval --weights W --dataset fashion-mnist [--backend halide|libtorch|all] [--json]
//               [--plot FILE.png] [--limit N] [--show N] [--threads N] [--batch N]
//               [--arch A] [--size S] [--data-dir DIR]
// Test-set accuracy, per-class accuracy and the confusion matrix. The weights file's
// metadata gives the arch, classes, input size and preprocessing (without it: --arch,
// --size, default 64, and Fashion-MNIST's mean/std). --backend all runs both backends and
// counts the images where their top-1 differs (and those not explained by a tie).
int cmd_eval(const EvalArgs& a) {
  ModelFiles files = open_files(a.package, a.weights);
  const std::string weights = files.weights_path;
  if (!a.plot.empty()) check_plot_path(a.plot);
  const int batch = a.batch, threads = a.threads;
  const ModelMetadata meta = files.meta;
  const ModelPlan plan = plan_files(files, a.arch, a.size > 0 ? a.size : meta.input_h > 0 ? meta.input_h : 64,
                                    a.size > 0 ? a.size : meta.input_w > 0 ? meta.input_w : 64);
  check_batch_fits(plan, batch, "--batch");
  const ImageDataset test =
      load_fashion_mnist(a.data_dir.empty() ? default_fashion_mnist_dir() : a.data_dir, Split::Test);
  const int classes = int(test.class_names.size());
  if (plan.num_classes != classes)
    throw FormatError(weights + ": the model has " + std::to_string(plan.num_classes) +
                      " classes, Fashion-MNIST has " + std::to_string(classes));
  const int n = a.limit > 0 ? std::min(a.limit, test.count) : test.count;
  GreyPreprocess pre;
  pre.out_h = plan.input_h, pre.out_w = plan.input_w;
  if (meta.grey()) pre.mean = meta.mean, pre.std = meta.std;

  std::string source;
  const TensorMap w = take_cli_weights(files, plan, &source);
  const std::vector<std::string> names =
      a.backend == "all" ? available_backends() : std::vector<std::string>{a.backend};
  std::vector<Evaluation> evals;
  for (const std::string& name : names) {
    auto b = make_backend(name, plan, w, source, threads, files);
    evals.push_back(evaluate(*b, test, n, classes, pre, batch));
  }
  const Evaluation& e = evals.front();
  int any = 0, beyond = 0;
  if (evals.size() > 1) beyond = disagreements_beyond_ties(evals[0], evals[1], classes, &any);

  auto acc = [&](const Evaluation& x) { return double(x.correct) / n; };
  auto class_acc = [&](const Evaluation& x, int c) {
    int tot = 0;
    for (int j = 0; j < classes; ++j) tot += x.confusion[c][j];
    return std::make_pair(tot ? double(x.confusion[c][c]) / tot : 0.0, tot);
  };
  if (!a.plot.empty()) {
    char title[200];
    std::snprintf(title, sizeof title, "MicroNet-%s on Fashion-MNIST test (%d images, %s): %.2f%%",
                  plan.arch.c_str(), n, e.backend.c_str(), 100.0 * acc(e));
    draw_confusion(a.plot, e, test.class_names, title);
  }
  const int show = std::min(a.show, n);
  if (a.json) {
    std::printf("{\"dataset\": \"fashion-mnist\", \"weights\": %s, \"arch\": \"%s\", \"input\": [%d, %d], "
                "\"backend\": \"%s\", \"n\": %d, \"correct\": %d, \"accuracy\": %.6f, \"seconds\": %.3f, \"per_class\": [",
                json_str(weights).c_str(), plan.arch.c_str(), plan.input_h, plan.input_w, e.backend.c_str(), n,
                e.correct, acc(e), e.seconds);
    for (int c = 0; c < classes; ++c)
      std::printf("%s{\"class\": %s, \"n\": %d, \"accuracy\": %.6f}", c ? ", " : "",
                  json_str(test.class_names[c]).c_str(), class_acc(e, c).second, class_acc(e, c).first);
    std::printf("], \"confusion\": [");
    for (int c = 0; c < classes; ++c) {
      std::printf("%s[", c ? ", " : "");
      for (int j = 0; j < classes; ++j) std::printf("%s%d", j ? ", " : "", e.confusion[c][j]);
      std::printf("]");
    }
    std::printf("], \"results\": [");
    for (size_t i = 0; i < evals.size(); ++i)
      std::printf("%s{\"backend\": \"%s\", \"correct\": %d, \"accuracy\": %.6f, \"seconds\": %.3f}", i ? ", " : "",
                  evals[i].backend.c_str(), evals[i].correct, acc(evals[i]), evals[i].seconds);
    std::printf("]");
    if (evals.size() > 1) std::printf(", \"disagreements\": %d, \"disagreements_beyond_ties\": %d", any, beyond);
    std::printf("}\n");
    return 0;
  }
  std::printf("MicroNet-%s (%s) on Fashion-MNIST test: %d images at %dx%d\n", plan.arch.c_str(),
              weights.c_str(), n, plan.input_h, plan.input_w);
  for (int i = 0; i < show; ++i)
    std::printf("  image %5d  true %-12s predicted %-12s %s\n", i, test.class_names[test.labels[i]].c_str(),
                test.class_names[e.pred[i]].c_str(), e.pred[i] == test.labels[i] ? "" : "(wrong)");
  std::printf("%-12s %5s %9s\n", "class", "n", "accuracy");
  for (int c = 0; c < classes; ++c)
    std::printf("%-12s %5d %8.2f%%\n", test.class_names[c].c_str(), class_acc(e, c).second,
                100.0 * class_acc(e, c).first);
  std::printf("confusion (rows true, columns predicted):\n");
  for (int c = 0; c < classes; ++c) {
    std::printf("  %-12s", test.class_names[c].c_str());
    for (int j = 0; j < classes; ++j) std::printf(" %5d", e.confusion[c][j]);
    std::printf("\n");
  }
  for (const Evaluation& x : evals)
    std::printf("accuracy (%s): %.2f%% (%d / %d), %.1f s, %.0f images/s\n", x.backend.c_str(),
                100.0 * acc(x), x.correct, n, x.seconds, n / x.seconds);
  if (evals.size() > 1)
    std::printf("top-1 disagreements %s vs %s: %d (%d not explained by tied logits)\n",
                evals[0].backend.c_str(), evals[1].backend.c_str(), any, beyond);
  if (!a.plot.empty()) std::printf("wrote %s\n", a.plot.c_str());
  return 0;
}

}  // namespace micronet::cli
