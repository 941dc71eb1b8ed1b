// NumPy .npy files holding float32, for inputs and outputs exchanged with Python.
#pragma once

#include <string>

#include "formats/tensor.h"

namespace micronet {

// Accepts NPY versions 1.0, 2.0 and 3.0 with descr '<f4' and fortran_order False only;
// anything else (other dtypes, big-endian, Fortran order, bad magic, short data) throws
// FormatError naming `path` and the problem.
Tensor read_npy_f32(const std::string& path);

// Writes version 1.0 (2.0 when the header needs it). `t` must be F32. Atomic.
void write_npy_f32(const std::string& path, const Tensor& t);

}  // namespace micronet
