// Micro-Factorized depthwise conv: a kx1 conv (stride (s,1), groups C_in, C_in -> C_in*e1)
// then a 1xk conv (stride (1,s), groups C_in*e1, -> C_in*e1*e2), each with BatchNorm
// folded into weight/bias at load time, followed by the shared epilogue.
#include "Halide.h"
#include "algorithms/epilogue.h"
#include "generators/generator_params.h"
#include "models/kernel_abi.h"
#include "schedules/schedule.h"

namespace micronet::gen {

using namespace Halide;

class DepthwiseSep : public Generator<DepthwiseSep> {
 public:
  GeneratorParam<int> in_channels{"in_channels", 16};
  GeneratorParam<int> kernel{"kernel", 3};
  GeneratorParam<int> stride{"stride", 1};
  GeneratorParam<int> exp1{"exp1", 1};
  GeneratorParam<int> exp2{"exp2", 1};
  MICRONET_EPILOGUE_PARAMS
  MICRONET_SCHEDULE_PARAMS

  Input<Buffer<float>> input{"input", 4};        // (x, y, c, n), x from -kRowHalo (layout.h)
  Input<Buffer<int32_t>> in_map{"in_map", 1};    // (c) logical channel -> stored plane
  Input<Buffer<float>> weight_v{"weight_v", 2};  // (ky, m) kx1 weights, m < C_in*e1
  Input<Buffer<float>> bias_v{"bias_v", 1};      // (m)
  Input<Buffer<float>> weight_h{"weight_h", 2};  // (kx, o) 1xk weights, o < C_in*e1*e2
  Input<Buffer<float>> bias_h{"bias_h", 1};      // (o)
  MICRONET_EPILOGUE_INPUTS(2)
  Output<Buffer<float>> output{"output", 4};     // (x, y, c, n)

  void generate() {
    const int cin = in_channels, k = kernel, s = stride, pad = k / 2;
    const int cmid = cin * int(exp1), cout = cmid * int(exp2);
    Var x("x"), y("y"), c("c"), n("n");
    Expr in_w = input.dim(0).extent() - 2 * kRowHalo, in_h = input.dim(1).extent();
    Expr out_w = (in_w + 2 * pad - k) / s + 1, out_h = (in_h + 2 * pad - k) / s + 1;

    // Zero rows above and below; columns are read straight through the row halo (their
    // values are discarded by mid), keeping the row loads dense.
    Func padded("padded");
    padded(x, y, c, n) = select(y >= 0 && y < in_h, input(x, clamp(y, 0, in_h - 1), c, n), 0.0f);
    // k <= 7 taps, written out as sums: pure Funcs that a schedule may round up freely.
    Expr v = bias_v(c);
    for (int t = 0; t < k; ++t)
      v += weight_v(t, c) * padded(x, y * s + t - pad, clamp(in_map(c / exp1), 0, cin - 1), n);
    Func mid("mid");  // vertical conv; its columns outside the image are zero padding
    // Zero columns outside the row in `mid` itself, not in a select around the horizontal
    // conv's reads of it: with the select there, Halide 14's loop partitioning peeled the
    // first vector of each row (the select wraps the GuardWithIf tail's likely-predicated
    // loads), and where `mid` is one row (x86 mid_at=0) that vector's strided loads of
    // `mid` had constant indices, which Halide 14's stride-2..4 load codegen mis-aligns
    // (an odd constant base is rounded down and claimed 64-byte aligned: mod_imp(r, 0) is 0),
    // so LLVM emitted vmovaps at mid+8 bytes and the kernel crashed
    // (dwsep_c24_e1x2_k7s2_relu6, x86 mid_at=0 x_vector=4; tests/autotune/test_harness.cpp).
    mid(x, y, c, n) = select(x >= 0 && x < in_w, v, 0.0f);
    Expr h = bias_h(c);
    for (int t = 0; t < k; ++t) h += weight_h(t, c) * mid(x * s + t - pad, y, c / exp2, n);
    Func z("z");
    z(x, y, c, n) = h;

    EpilogueStages stages;
    define_epilogue(output, z, {x, y}, c, n, {out_w, out_h}, epilogue_inputs(),
                    epilogue_params(cout), &stages);

    input.dim(0).set_min(-kRowHalo);
    input.dim(2).set_bounds(0, cin);
    in_map.dim(0).set_bounds(0, cin);
    weight_v.dim(0).set_bounds(0, k).dim(1).set_bounds(0, cmid);
    weight_h.dim(0).set_bounds(0, k).dim(1).set_bounds(0, cout);
    output.dim(0).set_bounds(0, out_w).dim(1).set_bounds(0, out_h).dim(2).set_bounds(0, cout);

    if (auto_schedule) {
      input.set_estimates({{-kRowHalo, est_w + 2 * kRowHalo}, {0, est_h}, {0, cin}, {0, 1}});
      in_map.set_estimates({{0, cin}});
      weight_v.set_estimates({{0, k}, {0, cmid}});
      bias_v.set_estimates({{0, cmid}});
      weight_h.set_estimates({{0, k}, {0, cout}});
      bias_h.set_estimates({{0, cout}});
      const int ow = (est_w + 2 * pad - k) / s + 1, oh = (est_h + 2 * pad - k) / s + 1;
      set_epilogue_estimates(cout, ow * oh);
      output.set_estimates({{0, ow}, {0, oh}, {0, cout}, {0, 1}});
      return;
    }
    sched::ConvShape sh;
    sh.in_channels = cin;
    sh.out_channels = cout;
    sh.groups = cin;
    sh.kernel = k;
    sh.stride = s;
    sh.exp1 = exp1;
    sh.exp2 = exp2;
    sh.act = act;
    sh.select_output = select_output;
    sh.residual = residual;
    sh.est_h = est_h;
    sh.est_w = est_w;
    sched::SpatialConvStages st{output, z, mid, stages, x, y, c, n};
    sched::schedule_spatial_conv(st, sh, get_target(), knobs());
  }

 private:
  MICRONET_EPILOGUE_METHODS
};

}  // namespace micronet::gen

HALIDE_REGISTER_GENERATOR(micronet::gen::DepthwiseSep, micronet_dwsep)
