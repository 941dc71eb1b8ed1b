// ARM (NEON) schedule of the factorized spatial convs (stem, depthwise kx1 + 1xk).
//
// As on x86: the vertical conv `mid` is computed one plane at a time just before the
// horizontal conv that consumes it (or whole when several output planes share it), rows
// vectorized along x with 4-lane vectors, unrolled `x_unroll` vectors per iteration so
// the 32 registers hold several independent accumulators; planes are the parallel loop.
#include "schedules/knob_space.h"
#include "schedules/schedule.h"

namespace micronet::sched::arm {

using namespace Halide;

KnobSpace spatial_conv_space(const ConvShape& sh, const Target& t) {
  const int V = t.natural_vector_size<float>();
  const int out_w = (sh.est_w + 2 * (sh.kernel / 2) - sh.kernel) / sh.stride + 1;
  KnobSpace s;
  // Two vectors per iteration where rows are wide enough, else one.
  s.define("x_vector", {4, 8, 16}, V * (out_w >= 4 * V ? 2 : 1), "floats per step along a row");
  s.define("parallel", {0, 1}, 1, "planes as parallel tasks");
  return s;
}

void schedule_spatial_conv(SpatialConvStages& s, const ConvShape& sh, const Target& t,
                           const Knobs& tuned) {
  const Knobs k = arm::spatial_conv_space(sh, t).resolve(tuned);
  const int V = t.natural_vector_size<float>();
  const int xv = k.get("x_vector", V);
  const bool par = k.get("parallel", 1) != 0;
  Var xo("xo"), xi("xi");

  Func plane = sh.conv_at_root() ? s.z : s.output;
  if (sh.conv_at_root()) {
    s.z.compute_root().split(s.x, xo, xi, xv, TailStrategy::RoundUp).vectorize(xi, V);
    s.output.split(s.x, xo, xi, V, TailStrategy::GuardWithIf).vectorize(xi);
    if (par) s.output.parallel(s.c);
    if (sh.act == gen::kActShiftMax) schedule_shift_max(s.epi, t);
  } else {
    s.output.split(s.x, xo, xi, xv, TailStrategy::GuardWithIf).vectorize(xi, V);
  }
  if (par) plane.parallel(s.c);
  if (sh.exp2 > 1) {
    s.mid.compute_root();
    if (par) s.mid.parallel(s.c);
  } else {
    s.mid.compute_at(plane, s.c);
  }
  s.mid.split(s.x, xo, xi, xv, TailStrategy::RoundUp).vectorize(xi, V);
}

}  // namespace micronet::sched::arm
