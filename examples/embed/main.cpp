// The runtime as a library: one model, one call. Loads a weights file whose metadata names
// its model (as `micronet train` writes them), runs one all-grey image, prints the classes.
#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "models/config.h"
#include "models/model_metadata.h"
#include "models/plan.h"
#include "runtime/halide_model.h"
#include "formats/safetensors.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s WEIGHTS.safetensors\n", argv[0]);
    return 2;
  }
  try {
    std::map<std::string, std::string> meta_map;
    const micronet::TensorMap weights = micronet::read_safetensors(argv[1], &meta_map);
    const micronet::ModelMetadata meta = micronet::ModelMetadata::from_map(meta_map, argv[1]);
    if (meta.arch.empty()) throw micronet::FormatError(std::string(argv[1]) + ": no arch in its metadata");
    const int h = meta.input_h > 0 ? meta.input_h : 224, w = meta.input_w > 0 ? meta.input_w : 224;
    const micronet::ModelPlan plan =
        micronet::plan_model(micronet::model_config(meta.arch), h, w, meta.num_classes);
    const micronet::HalideModel model(plan, weights, argv[1]);

    const std::vector<float> image(size_t(3) * h * w, 0.f);  // batch 1, N x 3 x H x W
    const std::vector<float> logits = model.run(image.data(), 1);
    const size_t best = std::max_element(logits.begin(), logits.end()) - logits.begin();
    std::printf("%s (%dx%d): %zu logits, top class %zu", meta.arch.c_str(), h, w, logits.size(), best);
    if (best < meta.class_names.size()) std::printf(" (%s)", meta.class_names[best].c_str());
    std::printf(", logit %.4f\n", logits[best]);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
