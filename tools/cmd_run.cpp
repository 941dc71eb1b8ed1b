#include <cmath>
#include <iostream>

#include "formats/file_io.h"
#include "formats/npy.h"
#include "tools/activity.h"
#include "tools/backend.h"
#include "tools/commands.h"
#include "tools/cli_options.h"

namespace micronet::cli {

namespace {
// Both backends get the same check, and the message names the file and the NCHW position.
void require_finite(const Tensor& x, const std::string& path) {
  const float* v = x.f32_data();
  const size_t n = size_t(x.numel()), h = size_t(x.shape[2]), w = size_t(x.shape[3]), c = size_t(x.shape[1]);
  for (size_t i = 0; i < n; ++i) {
    if (std::isfinite(v[i])) continue;
    const char* what = std::isnan(v[i]) ? "NaN" : v[i] > 0 ? "+inf" : "-inf";
    throw FormatError(path + ": non-finite value (" + what + ") at flat index " + std::to_string(i) + " (n=" +
                      std::to_string(i / (c * h * w)) + ", c=" + std::to_string(i / (h * w) % c) + ", y=" +
                      std::to_string(i / w % h) + ", x=" + std::to_string(i % w) + ")");
  }
}
}  // namespace

// micronet run [--arch A] [--weights W] --input IN.npy --output OUT.npy
//              [--backend halide|libtorch] [--target T] [--threads N] [--classes N]
// --arch and --classes default to the weights file's metadata.
int cmd_run(const RunArgs& a) {
  check_output_location(a.output, "--output");
  require_not_same_file(a.output, a.input, "--output", "--input");
  ModelFiles files = open_files(a.package, a.weights);
  if (!files.weights_path.empty()) require_not_same_file(a.output, files.weights_path, "--output", "--weights");
  Tensor x;
  {
    Activity doing("reading --input " + a.input);
    x = read_npy_f32(a.input);
  }
  if (x.shape.size() != 4 || x.shape[1] != 3)
    throw FormatError(a.input + ": input must be float32 N x 3 x H x W (NCHW), got shape " + x.shape_str());
  if (x.shape[0] < 1) throw FormatError(a.input + ": empty batch");
  if (x.shape[2] > kMaxSize || x.shape[3] > kMaxSize)
    throw FormatError(a.input + ": input " + x.shape_str() + " is larger than " + std::to_string(kMaxSize) +
                      " pixels on a side");
  require_finite(x, a.input);
  const ModelPlan plan = plan_files(files, a.arch, int(x.shape[2]), int(x.shape[3]), a.classes);
  const int batch = int(x.shape[0]);
  std::string source;
  const TensorMap w = take_cli_weights(files, plan, &source);
  auto backend = make_backend(a.backend, plan, w, source,
                              threads_for_target(a.target, a.threads, a.threads_given), files, a.target);
  std::vector<float> logits;
  {
    Activity doing("running MicroNet-" + plan.arch + " on " + std::to_string(batch) + " images");
    logits = backend->run(x.f32_data(), batch);
  }
  write_npy_f32(a.output, Tensor::f32({batch, plan.num_classes}, std::move(logits)));
  std::cerr << "wrote " << a.output << ": " << batch << " x " << plan.num_classes << " logits ("
            << backend->name() << ")\n";
  return 0;
}

}  // namespace micronet::cli
