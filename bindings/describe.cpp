#include "bindings/describe.h"

#include <pybind11/stl.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "runtime/device_targets.h"
#include "preprocess/preprocess.h"
#include "support/targets.h"

namespace micronet::bindings {

namespace {
// 0.2860 read from a file as float is 0.28600001335144043 as a double: show the 7
// significant digits a float holds instead.
double shown(float v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.7g", v);
  return std::strtod(b, nullptr);
}
}  // namespace

py::dict metadata_dict(const ModelMetadata& meta) {
  py::dict d;
  d["arch"] = meta.arch;
  d["num_classes"] = meta.num_classes;
  d["input_size"] = py::make_tuple(meta.input_h, meta.input_w);
  d["class_names"] = meta.class_names;
  py::list mean, std;
  if (meta.grey()) {
    d["preprocess"] = "grey3";
    d["resize"] = "bilinear, whole image to " + std::to_string(meta.input_h) + "x" +
                  std::to_string(meta.input_w) + ", greyscale replicated to 3 channels";
    for (int c = 0; c < 3; ++c) mean.append(shown(meta.mean)), std.append(shown(meta.std));
  } else {
    const PreprocessOptions o = imagenet_options_for(meta.input_h);
    d["preprocess"] = "imagenet";
    d["resize"] = "bilinear, shorter side to " + std::to_string(o.resize_shorter) + ", centre crop " +
                  std::to_string(o.crop) + "x" + std::to_string(o.crop);
    for (int c = 0; c < 3; ++c) mean.append(shown(o.mean[c])), std.append(shown(o.std[c]));
  }
  d["mean"] = mean;
  d["std"] = std;
  d["extra"] = meta.extra;
  return d;
}

py::dict targets_dict() {
  // The target names (support/targets.h), then any other target a build compiled.
  std::vector<std::string> names = target_names();
  const std::vector<std::string> compiled = compiled_targets();
  for (const std::string& t : compiled)
    if (std::find(names.begin(), names.end(), t) == names.end()) names.push_back(t);
  py::dict d;
  for (const std::string& t : names) {
    const bool is_compiled = std::find(compiled.begin(), compiled.end(), t) != compiled.end();
    std::string why = "not compiled into this build";
    size_t kernels = 0;
    if (is_compiled) {
      py::gil_scoped_release nogil;  // a GPU driver may take a while to answer
      why = probe_target(t);
      kernels = kernels_for_target(t).size();
    }
    py::dict row;
    row["compiled"] = is_compiled;
    row["runnable"] = is_compiled && why.empty();
    row["kernels"] = kernels;
    row["reason"] = why;
    d[py::str(t)] = row;
  }
  return d;
}

}  // namespace micronet::bindings
