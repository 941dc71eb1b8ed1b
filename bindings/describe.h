// Python dicts that describe things: a model's metadata (Model.metadata) and the kernel
// targets of this build with whether each can run here (targets()).
#pragma once

#include <pybind11/pybind11.h>

#include "models/model_metadata.h"

namespace micronet::bindings {

namespace py = pybind11;

// {'arch', 'num_classes', 'input_size': (H, W), 'class_names': [...] ([] when the file names
// none), 'preprocess': 'grey3' | 'imagenet', 'resize': str, 'mean': [3 floats], 'std':
// [3 floats] (per input channel, applied to values scaled to [0, 1]), 'extra': {every other
// metadata key: str}}. `meta` has its arch, classes and input size filled in.
py::dict metadata_dict(const ModelMetadata& meta);

// {target: {'compiled': bool, 'runnable': bool, 'kernels': int, 'reason': str}} for "host"
// and every GPU API the project knows ("opencl", "cuda"), compiled into this build or not.
// runnable: a tiny device allocation succeeds (runtime/device_targets.h: probe_target, as
// `micronet targets` decides); reason: why not ("" when runnable).
py::dict targets_dict();

}  // namespace micronet::bindings
