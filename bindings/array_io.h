// Python-side argument handling of micronet_halide: paths (str / bytes / os.PathLike,
// checked before any C++ reads them), float32 NCHW inputs from numpy or torch (zero-copy
// when they are C-contiguous native float32), uint8 images, and logits back to the kind of
// object the caller passed.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

namespace micronet::bindings {

namespace py = pybind11;

bool is_path_like(py::handle obj);
// str(obj) through os.fsdecode; TypeError for non-paths.
std::string path_string(py::handle obj);
// path_string(obj), raising FileNotFoundError (errno ENOENT, with .filename) when it does
// not exist and IsADirectoryError when it is a folder. `what` names the file's role.
std::string existing_file(py::handle obj, const std::string& what);

bool is_torch_tensor(py::handle obj);

struct FloatInput {
  py::array array;     // what the model reads: the caller's buffer, or a contiguous copy
  bool copied = false;
  bool torch = false;  // the caller passed a torch.Tensor
  int batch = 0, height = 0, width = 0;
  const float* data() const { return static_cast<const float*>(array.data()); }
};

// x: numpy.ndarray or CPU torch.Tensor, float32, N x 3 x H x W, N, H, W >= 1. ValueError
// for other dtypes, ranks, channel counts, empty arrays and non-CPU tensors; TypeError for
// objects that are neither. Non-contiguous, misaligned or byte-swapped arrays are copied.
FloatInput nchw_float32(py::handle x);

// N x C logits as a numpy array (owning `logits`, no copy), or a torch.Tensor sharing it.
py::object logits_object(std::vector<float>&& logits, int rows, int cols, bool torch);

// A uint8 image from numpy or a CPU torch tensor, C-contiguous (copied when it was not).
struct ImageArray {
  py::array array;
  int height = 0, width = 0, channels = 0;  // channels: 1 (grey) or 3 (RGB)
  const uint8_t* data() const { return static_cast<const uint8_t*>(array.data()); }
};

// image: H x W x 3 uint8 RGB, or with grey_ok also H x W / H x W x 1 grey. ValueError for
// another dtype, shape or an empty image (with a hint for RGBA / grey), TypeError for an
// object that is no array.
ImageArray uint8_image(py::handle image, bool grey_ok);

}  // namespace micronet::bindings
