// Stem ("spatialsepsf"): conv kx1 stride (2,1), 3 -> g1 channels, then conv 1xk stride (1,2)
// with groups g1, g1 -> g1*g2, BatchNorm folded into both, ReLU6. The shuffle(g1) that
// follows is an index map handed to the next kernel, not a data move.
#include "Halide.h"
#include "algorithms/activations.h"
#include "generators/generator_params.h"
#include "models/kernel_abi.h"
#include "schedules/schedule.h"

namespace micronet::gen {

using namespace Halide;

class Stem : public Generator<Stem> {
 public:
  GeneratorParam<int> g1{"g1", 2};
  GeneratorParam<int> g2{"g2", 2};
  GeneratorParam<int> kernel{"kernel", 3};
  GeneratorParam<int> stride{"stride", 2};
  MICRONET_SCHEDULE_PARAMS

  Input<Buffer<float>> input{"input", 4};        // (x, y, c, n), c = RGB, x from -kRowHalo
  Input<Buffer<float>> weight_v{"weight_v", 3};  // (ky, ci, m)
  Input<Buffer<float>> bias_v{"bias_v", 1};      // (m), m < g1
  Input<Buffer<float>> weight_h{"weight_h", 2};  // (kx, o), o < g1*g2
  Input<Buffer<float>> bias_h{"bias_h", 1};      // (o)
  Output<Buffer<float>> output{"output", 4};     // (x, y, c, n)

  void generate() {
    const int k = kernel, s = stride, pad = k / 2, cout = int(g1) * int(g2);
    Var x("x"), y("y"), c("c"), n("n");
    Expr in_w = input.dim(0).extent() - 2 * kRowHalo, in_h = input.dim(1).extent();
    Expr out_w = (in_w + 2 * pad - k) / s + 1, out_h = (in_h + 2 * pad - k) / s + 1;

    // Zero rows above and below; columns read straight through the row halo (layout.h),
    // their values discarded by mid, so row loads stay dense.
    Func padded("padded");
    padded(x, y, c, n) = select(y >= 0 && y < in_h, input(x, clamp(y, 0, in_h - 1), c, n), 0.0f);
    // 3 input channels x k taps, then k taps, written out as sums (pure Funcs).
    Expr v = bias_v(c);
    for (int ci = 0; ci < 3; ++ci)
      for (int t = 0; t < k; ++t) v += weight_v(t, ci, c) * padded(x, y * s + t - pad, ci, n);
    Func mid("mid");
    // Columns outside the row are zeroed in `mid` itself, not around the reads of it
    // (a Halide 14 misaligned-load crash otherwise: see dwsep_generator.cpp).
    mid(x, y, c, n) = select(x >= 0 && x < in_w, v, 0.0f);
    Expr h = bias_h(c);
    for (int t = 0; t < k; ++t) h += weight_h(t, c) * mid(x * s + t - pad, y, c / g2, n);
    Func z("z");
    z(x, y, c, n) = h;
    output(x, y, c, n) = relu6(z(x, y, c, n));

    input.dim(0).set_min(-kRowHalo);
    input.dim(2).set_bounds(0, 3);
    weight_v.dim(0).set_bounds(0, k).dim(1).set_bounds(0, 3).dim(2).set_bounds(0, g1);
    weight_h.dim(0).set_bounds(0, k).dim(1).set_bounds(0, cout);
    output.dim(0).set_bounds(0, out_w).dim(1).set_bounds(0, out_h).dim(2).set_bounds(0, cout);

    if (auto_schedule) {
      input.set_estimates({{-kRowHalo, est_w + 2 * kRowHalo}, {0, est_h}, {0, 3}, {0, 1}});
      weight_v.set_estimates({{0, k}, {0, 3}, {0, g1}});
      bias_v.set_estimates({{0, g1}});
      weight_h.set_estimates({{0, k}, {0, cout}});
      bias_h.set_estimates({{0, cout}});
      const int ow = (est_w + 2 * pad - k) / s + 1, oh = (est_h + 2 * pad - k) / s + 1;
      output.set_estimates({{0, ow}, {0, oh}, {0, cout}, {0, 1}});
      return;
    }
    sched::ConvShape sh;
    sh.in_channels = 3;
    sh.out_channels = cout;
    sh.groups = g1;
    sh.exp2 = g2;  // output channels per vertical-conv channel
    sh.kernel = k;
    sh.stride = s;
    sh.act = kActReLU6;
    sh.est_h = est_h;
    sh.est_w = est_w;
    sched::SpatialConvStages st{output, z, mid, {}, x, y, c, n};
    sched::schedule_spatial_conv(st, sh, get_target(),
                                 sched::load_knobs(tuning_file, workload, get_target()));
  }
};

}  // namespace micronet::gen

HALIDE_REGISTER_GENERATOR(micronet::gen::Stem, micronet_stem)
