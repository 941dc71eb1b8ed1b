// What the compiled kernels and the code that plans and calls them agree on (no Halide
// types here): the memory layout of activations and the codes of the `act` generator
// parameter. The generators (generators/, algorithms/), the kernel plan (models/) and the
// runtime (runtime/) include this; nothing else defines these facts.
#pragma once

namespace micronet {

// What follows a convolution inside one compiled kernel (KernelSpec::act, the generators'
// `act` parameter).
enum Activation : int { kActNone = 0, kActReLU6 = 1, kActShiftMax = 2 };

// Kernels that convolve along rows (factorized depthwise) read their input as if every
// row had kRowHalo extra columns on each side: the buffer is described with x running
// from -kRowHalo, over the real row stride. Those columns alias the neighbouring rows'
// ends (or the arena's slack around each tensor), so the vector loads stay dense with no
// clamping; their values are never used (the algorithm zeroes x outside [0, width)).
// The runtime keeps kRowHalo floats of readable slack before and after every tensor.
constexpr int kRowHalo = 64;

}  // namespace micronet
