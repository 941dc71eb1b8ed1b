// x86 schedule of the factorized spatial convs (stem, depthwise kx1 + 1xk).
//
// The vertical conv `mid` is computed one output row at a time, just before the
// horizontal conv that consumes it, so each `mid` value is made once and read from L1.
// Rows are vectorized along x; planes (channels) are the parallel loop.
#include "schedules/schedule.h"

namespace micronet::sched::x86 {

using namespace Halide;

void schedule_spatial_conv(SpatialConvStages& s, const ConvShape& sh, const Target& t,
                           const Knobs& k) {
  const int V = t.natural_vector_size<float>();
  const int vx = V * k.get("x_vectors", 1);
  const bool par = k.get("parallel", 1) != 0;
  const TailStrategy guard = TailStrategy::GuardWithIf;
  Var xo("xo"), xi("xi");

  // `rows` is the Func whose row loop the vertical conv is computed in.
  Func rows = sh.conv_at_root() ? s.z : s.output;
  rows.split(s.x, xo, xi, vx, guard).vectorize(xi, V, guard);
  if (par) rows.parallel(s.c);
  if (sh.conv_at_root()) {
    s.z.compute_root();
  } else {
    s.z.compute_at(s.output, xo);
    s.z.split(s.x, xo, xi, vx, guard).vectorize(xi, V, guard);
  }
  s.z.update().split(s.x, xo, xi, vx, guard).vectorize(xi, V, guard);
  s.mid.compute_at(rows, s.y).split(s.x, xo, xi, V, guard).vectorize(xi);
  s.mid.update().split(s.x, xo, xi, V, guard).vectorize(xi);

  if (sh.conv_at_root()) {
    s.output.split(s.x, xo, xi, V, guard).vectorize(xi);
    if (par) s.output.parallel(s.c);
    if (sh.act == gen::kActShiftMax) schedule_shift_max(s.epi, t);
  }
}

}  // namespace micronet::sched::x86
