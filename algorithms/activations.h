// Pointwise activations of MicroNet as Halide expressions (algorithm only).
#pragma once

#include "Halide.h"
#include "models/kernel_abi.h"

namespace micronet::gen {

inline Halide::Expr relu6(const Halide::Expr& x) { return Halide::clamp(x, 0.0f, 6.0f); }
// relu6(x + 3) / 6, as the official h_sigmoid.
inline Halide::Expr h_sigmoid(const Halide::Expr& x) { return relu6(x + 3.0f) / 6.0f; }
inline Halide::Expr h_swish(const Halide::Expr& x) { return x * h_sigmoid(x); }

// The activation codes (models/kernel_abi.h), as the generators' `act` parameter reads them.
using micronet::Activation;
using micronet::kActNone;
using micronet::kActReLU6;
using micronet::kActShiftMax;

}  // namespace micronet::gen
