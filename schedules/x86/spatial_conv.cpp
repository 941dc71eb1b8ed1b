// x86 schedule of the factorized spatial convs (stem, depthwise kx1 + 1xk), and its
// tuning space.
//
// The vertical conv `mid` feeds the horizontal conv that consumes it; where `mid` is made
// (per output row, per plane, per task of planes, or whole) trades recomputation against
// the footprint between the two (mid_at). Rows are vectorized along x; planes (channels)
// are grouped into tasks, the parallel loop.
#include "models/kernel_abi.h"
#include "schedules/knob_space.h"
#include "schedules/schedule.h"
#include "schedules/x86/common.h"

namespace micronet::sched::x86 {

using namespace Halide;

namespace {

enum MidAt { kMidPerRow = 0, kMidPerPlane = 1, kMidPerTask = 2, kMidRoot = 3 };

int output_width(const ConvShape& sh) {
  return (sh.est_w + 2 * (sh.kernel / 2) - sh.kernel) / sh.stride + 1;
}

// Rows here are 7..112 wide: a vector wider than the row only runs the scalar tail, so
// narrow layers default to the widest of V, V/2, 4 that fits their estimated width.
int default_x_vector(const ConvShape& sh, const Target& t) {
  int xv = t.natural_vector_size<float>();
  while (xv > 4 && xv > output_width(sh)) xv /= 2;
  return xv;
}

}  // namespace

KnobSpace spatial_conv_space(const ConvShape& sh, const Target& t) {
  const int out_w = output_width(sh);
  const int xv = default_x_vector(sh, t);
  const int widest = std::max(8, ceil_pow2(out_w));
  const int planes = sh.out_channels;
  KnobSpace s;
  s.define("mid_at", {kMidPerRow, kMidPerPlane, kMidPerTask, kMidRoot},
           sh.exp2 > 1 ? kMidRoot : kMidPerPlane,
           "where the vertical conv is computed: 0 per output row, 1 per plane, 2 per task of "
           "planes, 3 whole (once, when several output planes share one `mid` plane)");
  s.define("planes_per_task", {1, 2, 4, 8, 16, 32, 64}, 16,
           "planes per parallel task (a task or allocation per tiny plane costs more than its math)");
  s.define("x_vector", {4, 8, 16, 32}, xv, "floats per vector along a row");
  s.define("x_unroll", {1, 2}, 1, "vectors per iteration along a row (independent accumulators)");
  s.define("y_unroll", {1, 2}, 1, "output rows per iteration");
  if (sh.conv_at_root())
    s.define("apply_vector", {4, 8, 16, 32}, xv,
             "floats per vector of the epilogue pass (Shift-Max apply / channel select)");
  s.require("a row step (x_vector * x_unroll) must not exceed the row (" + std::to_string(out_w) +
                " wide, rounded up to " + std::to_string(widest) + ")",
            [=](const Knobs& k) { return k.get("x_vector", 4) * k.get("x_unroll", 1) <= widest; });
  s.require("the epilogue vector must not exceed the row",
            [=](const Knobs& k) { return k.get("apply_vector", 4) <= widest; });
  s.require("planes_per_task must not exceed the planes (" + std::to_string(planes) + ") rounded up",
            [=](const Knobs& k) { return k.get("planes_per_task", 1) <= std::max(1, ceil_pow2(planes)); });
  return s;
}

void schedule_spatial_conv(SpatialConvStages& s, const ConvShape& sh, const Target& t,
                           const Knobs& tuned) {
  const Knobs k = x86::spatial_conv_space(sh, t).resolve(tuned);
  const int xv = k.get("x_vector", 4), xu = k.get("x_unroll", 1), yu = k.get("y_unroll", 1);
  // At least two tasks whenever the layer has planes to share: a record tuned on one thread
  // may pick one task for the whole layer (planes_per_task >= planes), which costs nothing
  // there but leaves a second core idle (M2's first depthwise layer on two threads: 1.07x
  // one thread's speed with one task, 1.84x with two).
  // Halves stay multiples of 4 planes, so planes that share a `mid` plane (exp2 <= 4) stay
  // in one task.
  const int all_planes = sh.out_channels;
  const int half = (all_planes / 2 + 3) / 4 * 4;
  const int planes = half >= 4 && half < all_planes ? std::min(k.get("planes_per_task", 16), half)
                                                    : k.get("planes_per_task", 16);
  const int mid_at = k.get("mid_at", kMidPerPlane);
  const bool par = true;  // tasks of planes are the parallel loop (a no-op at one thread)
  const TailStrategy guard = TailStrategy::GuardWithIf;
  // Internal Funcs may round their rows up to whole steps (their input rows are padded by
  // kRowHalo columns, layout.h) as long as the overshoot, through the stride and taps of
  // the horizontal conv and the rounding of `mid`, stays inside that padding.
  const int step = xv * xu;
  const TailStrategy internal_tail =
      (step - 1) * sh.stride + sh.kernel + xv <= kRowHalo ? TailStrategy::RoundUp : guard;
  Var xo("xo"), xi("xi"), xu_v("xu"), yo("yo"), yi("yi"), co("co"), ci("ci");

  auto row_loops = [&](Func f, TailStrategy tail) {
    f.split(s.x, xo, xi, step, tail);
    if (xu > 1)
      f.split(xi, xu_v, xi, xv).vectorize(xi).unroll(xu_v);
    else
      f.vectorize(xi);
  };
  auto plane_tasks = [&](Func f) {
    f.split(s.c, co, ci, planes, guard);
    if (par) f.parallel(co);
  };

  // `plane`: the Func whose loops hold one plane of the horizontal conv (the kernel output,
  // or the stored conv result when the epilogue needs it whole).
  Func plane = sh.conv_at_root() ? s.z : s.output;
  if (sh.conv_at_root()) {
    s.z.compute_root();
    row_loops(s.z, internal_tail);
    const int av = k.get("apply_vector", xv);
    s.output.split(s.x, xo, xi, av, guard).vectorize(xi);
    plane_tasks(s.output);
    if (sh.act == gen::kActShiftMax) schedule_shift_max(s.epi, t, /*pool_tasks_of=*/16, sh.out_channels);
  } else {
    row_loops(s.output, guard);
  }
  Var row = s.y;
  if (yu > 1) {
    plane.split(s.y, yo, yi, yu, guard).unroll(yi);
    row = yo;
  }
  plane_tasks(plane);

  switch (mid_at) {
    // One row of `mid` per output row: safe with strides 2..4 only because the generators
    // zero its padding columns in `mid` itself (dwsep_generator.cpp: a select around these
    // reads made Halide 14 peel each row's first vector into misaligned constant-index loads).
    case kMidPerRow: s.mid.compute_at(plane, row).store_at(plane, ci); break;
    case kMidPerPlane: s.mid.compute_at(plane, ci).store_at(plane, co); break;
    case kMidPerTask: s.mid.compute_at(plane, co); break;
    default: s.mid.compute_root(); plane_tasks(s.mid); break;
  }
  s.mid.split(s.x, xo, xi, xv, TailStrategy::RoundUp).vectorize(xi);
}

}  // namespace micronet::sched::x86
