#include <iostream>

#include "runtime/npy.h"
#include "tools/backend.h"
#include "tools/cli_args.h"
#include "tools/commands.h"

namespace micronet::cli {

// micronet run [--arch A] --weights W --input IN.npy --output OUT.npy
//              [--backend halide|libtorch] [--threads N] [--classes N]
// --arch and --classes default to the weights file's metadata.
int cmd_run(int argc, char** argv) {
  Args a(argc, argv, 2, {"arch", "weights", "input", "output", "backend", "threads", "classes", "target"}, {});
  const std::string in_path = a.require("input"), out_path = a.require("output");
  const Tensor x = read_npy_f32(in_path);
  if (x.shape.size() != 4 || x.shape[1] != 3)
    throw FormatError(in_path + ": input must be float32 N x 3 x H x W (NCHW), got shape " +
                      x.shape_str());
  if (x.shape[0] < 1) throw FormatError(in_path + ": empty batch");
  const ModelPlan plan = plan_for_weights(a.get("arch"), read_weights_metadata(a.get("weights")),
                                          a.get("weights"), int(x.shape[2]), int(x.shape[3]),
                                          a.get_int("classes", -1));
  std::string source;
  const TensorMap w = load_weights_or_random(a.get("weights"), plan, &source);
  auto backend = make_backend(a.get("backend", "halide"), plan, w, source, a.get_int("threads", 1),
                              a.get("target", "host"));
  const int batch = int(x.shape[0]);
  std::vector<float> logits = backend->run(x.f32_data(), batch);
  write_npy_f32(out_path, Tensor::f32({batch, plan.num_classes}, std::move(logits)));
  std::cerr << "wrote " << out_path << ": " << batch << " x " << plan.num_classes << " logits ("
            << backend->name() << ")\n";
  return 0;
}

}  // namespace micronet::cli
