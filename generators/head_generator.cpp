// Head: ReLU6 -> global average pool -> h_swish -> Linear+BN1d+h_swish -> (dropout: identity
// at inference) -> Linear+BN1d+h_swish. BatchNorm1d is folded into each Linear at load time.
#include "Halide.h"
#include "algorithms/activations.h"
#include "generators/generator_params.h"
#include "schedules/schedule.h"

namespace micronet::gen {

using namespace Halide;

class Head : public Generator<Head> {
 public:
  GeneratorParam<int> in_channels{"in_channels", 384};
  GeneratorParam<int> hidden{"hidden", 640};
  GeneratorParam<int> classes{"classes", 1000};
  MICRONET_SCHEDULE_PARAMS

  Input<Buffer<float>> input{"input", 3};        // (xy, c, n)
  Input<Buffer<int32_t>> in_map{"in_map", 1};    // (c)
  Input<Buffer<float>> fc1_w{"fc1_w", 2};        // (o, c): transposed so o is contiguous
  Input<Buffer<float>> fc1_b{"fc1_b", 1};        // (o)
  Input<Buffer<float>> fc2_w{"fc2_w", 2};        // (k, o): transposed so k is contiguous
  Input<Buffer<float>> fc2_b{"fc2_b", 1};        // (k)
  Output<Buffer<float>> output{"output", 2};     // (k, n)

  void generate() {
    const int C = in_channels, H = hidden, K = classes;
    Var c("c"), o("o"), n("n");
    Expr hw = input.dim(0).extent();
    RDom pr(0, hw, "pool_r");
    Func pooled("pooled");
    pooled(c, n) = 0.0f;
    pooled(c, n) += relu6(input(pr, clamp(in_map(c), 0, C - 1), n));
    Func feature("feature");
    feature(c, n) = h_swish(pooled(c, n) / cast<float>(hw));

    RDom r1(0, C, "fc1_r");
    Func fc1("fc1");
    fc1(o, n) = fc1_b(o);
    fc1(o, n) += fc1_w(o, r1) * feature(r1, n);
    Func act1("act1");
    act1(o, n) = h_swish(fc1(o, n));

    RDom r2(0, H, "fc2_r");
    Func fc2("fc2");
    fc2(o, n) = fc2_b(o);
    fc2(o, n) += fc2_w(o, r2) * act1(r2, n);
    output(o, n) = h_swish(fc2(o, n));

    input.dim(1).set_bounds(0, C);
    in_map.dim(0).set_bounds(0, C);
    fc1_w.dim(0).set_bounds(0, H).dim(1).set_bounds(0, C);
    fc2_w.dim(0).set_bounds(0, K).dim(1).set_bounds(0, H);
    output.dim(0).set_bounds(0, K);

    if (auto_schedule) {
      input.set_estimates({{0, int(est_h) * int(est_w)}, {0, C}, {0, 1}});
      in_map.set_estimates({{0, C}});
      fc1_w.set_estimates({{0, H}, {0, C}});
      fc1_b.set_estimates({{0, H}});
      fc2_w.set_estimates({{0, K}, {0, H}});
      fc2_b.set_estimates({{0, K}});
      output.set_estimates({{0, K}, {0, 1}});
      return;
    }
    sched::HeadStages st{output, pooled, fc1, act1, fc2, c, o, n, pr, r1, r2};
    sched::schedule_head(st, C, H, K, get_target(),
                         sched::load_knobs(tuning_file, workload, get_target()));
  }
};

}  // namespace micronet::gen

HALIDE_REGISTER_GENERATOR(micronet::gen::Head, micronet_head)
