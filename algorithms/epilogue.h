// The epilogue shared by every convolution kernel: the activation that follows the conv
// (nothing, ReLU6 or Dynamic Shift-Max), an optional output channel selection (a channel
// shuffle that sits between the conv and a residual add, applied as an index map) and the
// optional residual add. Dynamic Shift-Max needs the global pool of the whole conv output,
// so the conv result `z` is the one barrier inside the kernel.
#pragma once

#include <functional>
#include <vector>

#include "Halide.h"
#include "algorithms/activations.h"

namespace micronet::gen {

// The Halide buffers an epilogue reads. Unused ones are still part of every kernel's
// signature (one calling convention per op family); the runtime passes small dummies.
struct EpilogueInputs {
  Halide::Func fc1_w;        // (c, s)   Linear(C, S) weight, torch (S, C) row-major
  Halide::Func fc1_b;        // (s)
  Halide::Func fc2_w;        // (j, s)   Linear(S, C*J*K) weight transposed (j contiguous)
  Halide::Func fc2_b;        // (j)
  Halide::Func coef_offset;  // (j)      init_a / init_b per coefficient
  Halide::Func shift_perm;   // (c, j)   channel read by group shift j (j = 0: c itself)
  Halide::Func out_select;   // (c)      output plane c holds logical channel out_select(c)
  Halide::Func residual;     // (spatial..., c, n) residual source, stored planes
  Halide::Func res_map;      // (c)      logical residual channel -> stored plane
};

struct EpilogueParams {
  int act = kActNone;
  int channels = 0;         // C of the conv output
  int J = 2, K = 1, squeeze = 4;
  bool select_output = false;
  bool residual = false;
};

// The Funcs an epilogue creates, for the schedule.
struct EpilogueStages {
  Halide::Func pooled;   // (c, n) mean of z over space         [shift-max only]
  Halide::Func hidden;   // (s, n) ReLU(FC1)                    [shift-max only]
  Halide::Func fc2;      // (j, n) FC2 before h_sigmoid              [shift-max only]
  Halide::Func coef;     // (j, n) (h_sigmoid(FC2) - 0.5) * 4 + offset  [shift-max only]
  Halide::RDom pool_r;   // the pooling reduction domain
  Halide::RDom fc1_r, fc2_r;
};

// Dynamic Shift-Max hyper-function (pool -> FC -> ReLU -> FC -> h_sigmoid -> [-2, 2] + init
// offsets) over the whole conv result z(spatial..., c, n); fills stages->coef(j, n).
void define_shift_max_coefficients(Halide::Func z, const std::vector<Halide::Expr>& spatial_extent,
                                   const Halide::Var& n, const EpilogueInputs& in,
                                   const EpilogueParams& p, EpilogueStages* stages);

// The epilogue's value at output plane c. `z_own` is the conv result at this position's
// own channel (used when nothing selects or shifts channels, so no index arithmetic is
// needed); `z_at(ch)` is the conv result at logical channel ch of the same position.
Halide::Expr epilogue_value(const Halide::Expr& z_own,
                            const std::function<Halide::Expr(const Halide::Expr&)>& z_at,
                            const std::vector<Halide::Expr>& spatial, const Halide::Expr& c,
                            const Halide::Expr& n, const EpilogueInputs& in,
                            const EpilogueParams& p, const EpilogueStages& stages);

// Defines `out(spatial..., c, n)` from the conv result `z(spatial..., c, n)`.
// `spatial_extent` are the extents of z's spatial dims (for the pool).
void define_epilogue(Halide::Func out, Halide::Func z, const std::vector<Halide::Var>& spatial,
                     const Halide::Var& c, const Halide::Var& n,
                     const std::vector<Halide::Expr>& spatial_extent, const EpilogueInputs& in,
                     const EpilogueParams& p, EpilogueStages* stages);

}  // namespace micronet::gen
