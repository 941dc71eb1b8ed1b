// The Halide path against the LibTorch reference, on random weights with randomized
// BatchNorm statistics: every kernel of every model in isolation (on the exact tensor the
// reference feeds it), then whole models. Relative L2 error <= 1e-4 throughout.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <numeric>

#include "generators/layout.h"
#include "models/kernel_plan.h"
#include "models/reference/reference_model.h"
#include "runtime/halide_model.h"
#include "runtime/kernel_call.h"

namespace micronet {
namespace {

constexpr double kTolerance = 1e-4;

double rel_l2(const torch::Tensor& got, const torch::Tensor& want) {
  const double num = (got - want).norm().item<double>();
  const double den = want.norm().item<double>();
  return den == 0.0 ? num : num / den;
}

// Stored planes from logical channels: plane map[c] holds logical channel c. The tensor
// is a view into a larger allocation with kRowHalo floats of (NaN-filled) slack on each
// side, as the runtime's arena provides: kernels that read rows through the halo must
// neither fault nor let those values leak into results.
torch::Tensor to_storage(const torch::Tensor& logical, const std::vector<int>& map) {
  torch::Tensor slab = torch::full({logical.numel() + 2 * kRowHalo}, NAN);
  torch::Tensor stored = slab.narrow(0, kRowHalo, logical.numel()).view(logical.sizes());
  for (size_t c = 0; c < map.size(); ++c) stored.select(1, map[c]).copy_(logical.select(1, int64_t(c)));
  return stored;
}

torch::Tensor from_storage(const torch::Tensor& stored, const std::vector<int>& map) {
  std::vector<int64_t> idx(map.begin(), map.end());
  return stored.index_select(1, torch::tensor(idx, torch::kLong));
}

struct Case {
  std::string arch;
  int height, width, batch;
};

std::string case_name(const testing::TestParamInfo<Case>& i) {
  return i.param.arch + "_" + std::to_string(i.param.height) + "x" + std::to_string(i.param.width) +
         "_n" + std::to_string(i.param.batch);
}

class EveryKernel : public testing::TestWithParam<Case> {};

// Walks the plan with the reference; at each kernel, runs the Halide kernel on the
// reference's input for it and compares with the reference's output of the same ops
// (conv, activation, following shuffles, residual add).
TEST_P(EveryKernel, MatchesReference) {
  torch::NoGradGuard no_grad;
  const Case& c = GetParam();
  const ModelPlan plan = plan_model(model_config(c.arch), c.height, c.width);
  ReferenceModel ref(plan);
  ref.randomize(11);
  const TensorMap w = ref.state();
  const std::vector<KernelStep> steps = lower_plan(plan);
  const std::vector<PreparedStep> prepared = prepare_weights(plan, steps, w);
  torch::manual_seed(5);
  torch::Tensor logical = torch::randn({c.batch, 3, c.height, c.width});

  size_t si = 0;
  for (size_t bi = 0; bi < plan.blocks.size(); ++bi) {
    const Block& b = plan.blocks[bi];
    const torch::Tensor block_in = logical;
    for (size_t oi = 0; oi < b.ops.size();) {
      if (b.ops[oi].kind == OpKind::Shuffle) {
        logical = run_op(b.ops[oi++], w, logical);
        continue;
      }
      ASSERT_LT(si, steps.size());
      const KernelStep& st = steps[si];
      ASSERT_EQ(st.block, int(bi));
      ASSERT_EQ(st.conv_op, int(oi));
      const torch::Tensor x = logical;
      torch::Tensor want = run_op(b.ops[oi++], w, x);
      if (st.act_op >= 0) {
        want = run_op(b.ops[st.act_op], w, want);
        oi = size_t(st.act_op) + 1;
      }
      while (oi < b.ops.size() && b.ops[oi].kind == OpKind::Shuffle) want = run_op(b.ops[oi++], w, want);
      if (st.spec.residual) want = want + block_in;

      const KernelEntry* kernel = find_kernel(st.spec.name());
      ASSERT_NE(kernel, nullptr) << st.spec.name();
      const torch::Tensor in = to_storage(x, st.spec.family == KernelFamily::Stem ? std::vector<int>{0, 1, 2} : st.in_map);
      torch::Tensor res;
      if (st.spec.residual) res = to_storage(block_in, st.res_map);
      torch::Tensor out = torch::empty(want.sizes());
      call_kernel(*kernel, st, prepared[si], c.batch, in.data_ptr<float>(),
                  st.spec.residual ? res.data_ptr<float>() : nullptr, out.data_ptr<float>());
      const torch::Tensor got = st.spec.family == KernelFamily::Head ? out : from_storage(out, st.out_map);
      const double err = rel_l2(got, want);
      if (getenv("MICRONET_PRINT_ERRORS")) printf("step %zu %s err %.3g\n", si, st.spec.name().c_str(), err);
      EXPECT_LE(err, kTolerance) << "step " << si << " kernel " << st.spec.name() << " ("
                                 << b.ops[st.conv_op].key << ")";
      logical = want;
      ++si;
    }
  }
  EXPECT_EQ(si, steps.size());
}

INSTANTIATE_TEST_SUITE_P(RealLayerShapes, EveryKernel,
                         testing::Values(Case{"m0", 224, 224, 1}, Case{"m1", 224, 224, 1},
                                         Case{"m2", 224, 224, 1}, Case{"m3", 224, 224, 1}),
                         case_name);
// Odd sizes (tails in every vector loop, odd strided outputs) and batch 3.
INSTANTIATE_TEST_SUITE_P(OddSizesBatch3, EveryKernel,
                         testing::Values(Case{"m0", 97, 131, 3}, Case{"m3", 75, 61, 3},
                                         Case{"m2", 256, 192, 1}),
                         case_name);

std::vector<int64_t> top5(const torch::Tensor& row) {
  const torch::Tensor idx = std::get<1>(row.topk(5)).contiguous();
  return std::vector<int64_t>(idx.data_ptr<int64_t>(), idx.data_ptr<int64_t>() + 5);
}

class WholeModel : public testing::TestWithParam<Case> {};

TEST_P(WholeModel, HalideMatchesLibTorch) {
  torch::NoGradGuard no_grad;
  const Case& c = GetParam();
  const ModelPlan plan = plan_model(model_config(c.arch), c.height, c.width);
  ReferenceModel ref(plan);
  ref.randomize(23);
  HalideModel model(plan, ref.state(), "random test weights");
  torch::manual_seed(9);
  const torch::Tensor x = torch::randn({c.batch, 3, c.height, c.width});
  const torch::Tensor want = ref.forward(x);
  const std::vector<float> logits = model.run(x.data_ptr<float>(), c.batch);
  const torch::Tensor got = torch::from_blob(const_cast<float*>(logits.data()),
                                             {c.batch, plan.num_classes}).clone();
  EXPECT_LE(rel_l2(got, want), kTolerance);
  for (int n = 0; n < c.batch; ++n) {
    // Same top-5; a swap is accepted only between logits equal to 1e-6 (an exact tie in
    // the reference, e.g. h_swish's zeros).
    const std::vector<int64_t> a = top5(got[n]), b = top5(want[n]);
    for (int k = 0; k < 5; ++k)
      if (a[k] != b[k])
        EXPECT_NEAR(want[n][a[k]].item<float>(), want[n][b[k]].item<float>(), 1e-6)
            << "row " << n << " rank " << k;
  }
}

INSTANTIATE_TEST_SUITE_P(Models, WholeModel,
                         testing::Values(Case{"m0", 224, 224, 1}, Case{"m1", 224, 224, 1},
                                         Case{"m2", 224, 224, 1}, Case{"m3", 224, 224, 1},
                                         Case{"m0", 224, 224, 3}, Case{"m3", 256, 192, 2}),
                         case_name);

}  // namespace
}  // namespace micronet
