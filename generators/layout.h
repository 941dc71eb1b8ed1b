// Memory-layout facts shared by the generators and the runtime (no Halide types here).
#pragma once

namespace micronet {

// Kernels that convolve along rows (factorized depthwise) read their input as if every
// row had kRowHalo extra columns on each side: the buffer is described with x running
// from -kRowHalo, over the real row stride. Those columns alias the neighbouring rows'
// ends (or the arena's slack around each tensor), so the vector loads stay dense with no
// clamping; their values are never used (the algorithm zeroes x outside [0, width)).
// The runtime keeps kRowHalo floats of readable slack before and after every tensor.
constexpr int kRowHalo = 64;

}  // namespace micronet
