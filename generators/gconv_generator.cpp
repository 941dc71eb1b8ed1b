// 1x1 group convolution (BatchNorm folded into weight/bias at load time) + its epilogue
// (ReLU6 or Dynamic Shift-Max, output channel selection, residual add).
// Channel shuffles before the conv are folded into `in_map`: logical input channel c
// is read from stored plane in_map(c), so no shuffle ever moves data.
#include <stdexcept>

#include "Halide.h"
#include "algorithms/epilogue.h"
#include "generators/generator_params.h"
#include "schedules/schedule.h"

namespace micronet::gen {

using namespace Halide;

class GroupConv : public Generator<GroupConv> {
 public:
  GeneratorParam<int> in_channels{"in_channels", 16};
  GeneratorParam<int> out_channels{"out_channels", 16};
  GeneratorParam<int> groups{"groups", 1};
  MICRONET_EPILOGUE_PARAMS
  MICRONET_SCHEDULE_PARAMS

  Input<Buffer<float>> input{"input", 3};        // (xy, c, n): spatial dims flattened
  Input<Buffer<int32_t>> in_map{"in_map", 1};    // (c)
  Input<Buffer<float>> weight{"weight", 2};      // (r, o): r = input channel within group
  Input<Buffer<float>> bias{"bias", 1};          // (o)
  MICRONET_EPILOGUE_INPUTS(1)
  // (xy, oi, g, n): channel g*cout_pg + oi, the same memory as (xy, c, n). Indexing the
  // output by group keeps channel arithmetic out of the conv's inner loops.
  Output<Buffer<float>> output{"output", 4};

  void generate() {
    const int cin = in_channels, cout = out_channels, g = groups;
    const int cin_pg = cin / g, cout_pg = cout / g;
    if (cin % g != 0 || cout % g != 0)
      throw std::invalid_argument("gconv: channels not divisible by groups");

    Var i("i"), c("c"), n("n"), oi("oi"), gi("gi");  // oi: channel within group gi
    RDom r(0, cin_pg, "r");
    // The conv indexed by (group, channel-in-group) so that the schedule can keep one
    // group's input loads shared by all its output channels.
    Func acc("acc"), zg("zg"), z("z");
    acc(i, oi, gi, n) = bias(gi * cout_pg + oi);
    acc(i, oi, gi, n) += weight(r, gi * cout_pg + oi) * input(i, clamp(in_map(gi * cin_pg + r), 0, cin - 1), n);
    // A pure copy, so a schedule can store the conv whole while accumulating in registers.
    zg(i, oi, gi, n) = acc(i, oi, gi, n);
    z(i, c, n) = zg(i, c % cout_pg, c / cout_pg, n);

    EpilogueStages stages;
    const EpilogueParams ep = epilogue_params(cout);
    if (ep.act == kActShiftMax)
      define_shift_max_coefficients(z, {input.dim(0).extent()}, n, epilogue_inputs(), ep, &stages);
    output(i, oi, gi, n) = epilogue_value(
        zg(i, oi, gi, n), [&](const Expr& ch) { return z(i, ch, n); }, {i}, gi * cout_pg + oi, n,
        epilogue_inputs(), ep, stages);

    input.dim(1).set_bounds(0, cin);
    in_map.dim(0).set_bounds(0, cin);
    weight.dim(0).set_bounds(0, cin_pg).dim(1).set_bounds(0, cout);
    output.dim(0).set_bounds(0, input.dim(0).extent());
    output.dim(1).set_bounds(0, cout_pg).dim(2).set_bounds(0, g);

    if (auto_schedule) {
      const int hw = int(est_h) * int(est_w);
      input.set_estimates({{0, hw}, {0, cin}, {0, 1}});
      in_map.set_estimates({{0, cin}});
      weight.set_estimates({{0, cin_pg}, {0, cout}});
      bias.set_estimates({{0, cout}});
      set_epilogue_estimates(cout, hw);
      output.set_estimates({{0, hw}, {0, cout_pg}, {0, g}, {0, 1}});
      return;
    }
    sched::GconvStages s{output, acc, zg, z, stages, i, c, n, oi, gi, r, input.dim(0).extent()};
    sched::schedule_gconv(s, shape(cin, cout, g), get_target(), knobs());
  }

 private:
  sched::ConvShape shape(int cin, int cout, int g) const {
    sched::ConvShape sh;
    sh.in_channels = cin;
    sh.out_channels = cout;
    sh.groups = g;
    sh.act = act;
    sh.select_output = select_output;
    sh.residual = residual;
    sh.est_h = est_h;
    sh.est_w = est_w;
    return sh;
  }
  MICRONET_EPILOGUE_METHODS
};

}  // namespace micronet::gen

HALIDE_REGISTER_GENERATOR(micronet::gen::GroupConv, micronet_gconv)
