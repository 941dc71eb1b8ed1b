// Schedules, one per op family per target family. A generator defines its Funcs, then
// hands them here; the function picks x86 / arm / gpu from the target and reads its
// knobs (tuned values or defaults).
#pragma once

#include "Halide.h"
#include "algorithms/epilogue.h"
#include "schedules/knob_space.h"
#include "schedules/knobs.h"

namespace micronet::sched {

struct ConvShape {
  int in_channels = 0, out_channels = 0, groups = 1;
  int kernel = 1, stride = 1, exp1 = 1, exp2 = 1;
  int act = 0;
  bool select_output = false, residual = false;
  int est_h = 56, est_w = 56;
  // The conv result must be stored whole when the epilogue pools it or reads it at
  // permuted channels.
  bool conv_at_root() const { return act == gen::kActShiftMax || select_output; }
};

struct GconvStages {
  Halide::Func output, acc, zg, z;
  gen::EpilogueStages epi;
  Halide::Var i, c, n, oi, gi;
  Halide::RDom r;
  Halide::Expr spatial_extent;  // H*W at run time
};

// Factorized depthwise (kx1 then 1xk) and the stem share one structure: a vertical conv
// `mid` feeding a horizontal conv `z`.
struct SpatialConvStages {
  Halide::Func output, z, mid;
  gen::EpilogueStages epi;
  Halide::Var x, y, c, n;
};

struct HeadStages {
  Halide::Func output, pooled, fc1, act1, fc2;
  Halide::Var c, o, n;
  Halide::RDom pool_r, fc1_r, fc2_r;
};

void schedule_gconv(GconvStages& s, const ConvShape& shape, const Halide::Target& t,
                    const Knobs& k);
void schedule_spatial_conv(SpatialConvStages& s, const ConvShape& shape, const Halide::Target& t,
                           const Knobs& k);
void schedule_head(HeadStages& s, int in_channels, int hidden, int classes,
                   const Halide::Target& t, const Knobs& k);
// The tuning space each schedule reads its knobs from (declared beside it, in the family's
// file), for the target's family. The autotuner enumerates these.
KnobSpace gconv_space(const ConvShape& shape, const Halide::Target& t);
KnobSpace spatial_conv_space(const ConvShape& shape, const Halide::Target& t);
KnobSpace head_space(int in_channels, int hidden, int classes, const Halide::Target& t);

namespace x86 {
KnobSpace gconv_space(const ConvShape& shape, const Halide::Target& t);
KnobSpace spatial_conv_space(const ConvShape& shape, const Halide::Target& t);
KnobSpace head_space(int in_channels, int hidden, int classes, const Halide::Target& t);
void schedule_gconv(GconvStages& s, const ConvShape& shape, const Halide::Target& t,
                    const Knobs& k);
void schedule_spatial_conv(SpatialConvStages& s, const ConvShape& shape, const Halide::Target& t,
                           const Knobs& k);
void schedule_head(HeadStages& s, int in_channels, int hidden, int classes,
                   const Halide::Target& t, const Knobs& k);
// pool_tasks_of: channels per parallel task of the pool (x86/shift_max.cpp); channels: the
// conv result's planes.
void schedule_shift_max(gen::EpilogueStages& e, const Halide::Target& t, int pool_tasks_of,
                        int channels);
}  // namespace x86

namespace arm {
KnobSpace gconv_space(const ConvShape& shape, const Halide::Target& t);
KnobSpace spatial_conv_space(const ConvShape& shape, const Halide::Target& t);
KnobSpace head_space(int in_channels, int hidden, int classes, const Halide::Target& t);
void schedule_gconv(GconvStages& s, const ConvShape& shape, const Halide::Target& t,
                    const Knobs& k);
void schedule_spatial_conv(SpatialConvStages& s, const ConvShape& shape, const Halide::Target& t,
                           const Knobs& k);
void schedule_head(HeadStages& s, int in_channels, int hidden, int classes,
                   const Halide::Target& t, const Knobs& k);
void schedule_shift_max(gen::EpilogueStages& e, const Halide::Target& t);
}  // namespace arm

namespace gpu {
KnobSpace gconv_space(const ConvShape& shape, const Halide::Target& t);
KnobSpace spatial_conv_space(const ConvShape& shape, const Halide::Target& t);
KnobSpace head_space(int in_channels, int hidden, int classes, const Halide::Target& t);
void schedule_gconv(GconvStages& s, const ConvShape& shape, const Halide::Target& t,
                    const Knobs& k);
void schedule_spatial_conv(SpatialConvStages& s, const ConvShape& shape, const Halide::Target& t,
                           const Knobs& k);
void schedule_head(HeadStages& s, int in_channels, int hidden, int classes,
                   const Halide::Target& t, const Knobs& k);
void schedule_shift_max(gen::EpilogueStages& e, const Halide::Target& t);
// One launch per Shift-Max, a block per image (shift_max.cpp: when it pays).
void schedule_shift_max_fused(gen::EpilogueStages& e);
}  // namespace gpu

}  // namespace micronet::sched
