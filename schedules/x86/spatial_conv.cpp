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
  // Rows here are 7..112 wide: a vector wider than the row only runs the scalar tail,
  // so narrow layers use the widest of V, V/2, 4 that fits their estimated width.
  const int out_w = (sh.est_w + 2 * (sh.kernel / 2) - sh.kernel) / sh.stride + 1;
  int xv = V;
  while (xv > 4 && xv > out_w) xv /= 2;
  xv = k.get("x_vector", xv);
  const bool par = k.get("parallel", 1) != 0;
  // Planes are tiny (7x7 .. 56x56): a parallel task or a heap allocation per plane cost
  // more than the plane's arithmetic, so planes are grouped into tasks of `planes`.
  const int planes = k.get("planes_per_task", 16);
  Var xo("xo"), xi("xi"), co("co"), ci("ci");

  // `plane` is the Func whose channel loop holds one plane of the vertical conv `mid`.
  // Internal Funcs round their rows up to whole vectors (their inputs are padded); only
  // the kernel's output guards its tail, since it must not write past the caller's buffer.
  auto plane_tasks = [&](Func f) {
    f.split(s.c, co, ci, planes, TailStrategy::GuardWithIf);
    if (par) f.parallel(co);
  };
  Func plane = sh.conv_at_root() ? s.z : s.output;
  if (sh.conv_at_root()) {
    s.z.compute_root().split(s.x, xo, xi, xv, TailStrategy::RoundUp).vectorize(xi);
    s.output.split(s.x, xo, xi, xv, TailStrategy::GuardWithIf).vectorize(xi);
    plane_tasks(s.output);
    if (sh.act == gen::kActShiftMax) schedule_shift_max(s.epi, t);
  } else {
    s.output.split(s.x, xo, xi, xv, TailStrategy::GuardWithIf).vectorize(xi);
  }
  plane_tasks(plane);
  // With expansion (e2 > 1) several output planes read one `mid` plane: compute it once.
  if (sh.exp2 > 1) {
    s.mid.compute_root();
    plane_tasks(s.mid);
  } else {
    s.mid.compute_at(plane, ci).store_at(plane, co);
  }
  s.mid.split(s.x, xo, xi, xv, TailStrategy::RoundUp).vectorize(xi);
}

}  // namespace micronet::sched::x86
