#include "reference/kernel_cases.h"

#include "models/kernel_plan.h"
#include "reference/reference_model.h"

namespace micronet {

KernelCases make_kernel_cases(const ModelPlan& plan, const TensorMap* given, int batch,
                              uint64_t seed) {
  torch::NoGradGuard no_grad;
  ReferenceModel ref(plan);
  if (given) ref.load_state(*given, "kernel cases weights");
  else ref.randomize(seed);
  const TensorMap weights = ref.state();
  KernelCases cases;
  cases.arch = plan.arch;
  cases.input_h = plan.input_h;
  cases.input_w = plan.input_w;
  cases.batch = batch;
  cases.num_classes = plan.num_classes;
  cases.seed = seed;
  cases.weights = weights;
  torch::manual_seed(seed);
  torch::Tensor logical = torch::randn({batch, 3, plan.input_h, plan.input_w});
  cases.model_input = from_torch(logical);
  cases.model_logits = from_torch(ref.forward(logical));

  const std::vector<KernelStep> steps = lower_plan(plan);
  size_t si = 0;
  for (size_t bi = 0; bi < plan.blocks.size(); ++bi) {
    const Block& b = plan.blocks[bi];
    const torch::Tensor block_in = logical;
    for (size_t oi = 0; oi < b.ops.size();) {
      if (b.ops[oi].kind == OpKind::Shuffle) {  // a shuffle before any conv of the block
        logical = run_op(b.ops[oi++], weights, logical);
        continue;
      }
      if (si >= steps.size() || steps[si].block != int(bi) || steps[si].conv_op != int(oi))
        throw std::logic_error("kernel cases: lower_plan disagrees with the plan at block " +
                               std::to_string(bi) + " op " + std::to_string(oi));
      const KernelStep& st = steps[si];
      KernelCase kc;
      kc.input = from_torch(logical);
      torch::Tensor out = run_op(b.ops[oi++], weights, logical);
      if (st.act_op >= 0) {
        out = run_op(b.ops[size_t(st.act_op)], weights, out);
        oi = size_t(st.act_op) + 1;
      }
      while (oi < b.ops.size() && b.ops[oi].kind == OpKind::Shuffle) out = run_op(b.ops[oi++], weights, out);
      if (st.spec.residual) {
        out = out + block_in;
        kc.block_input = from_torch(block_in);
      }
      kc.expected = from_torch(out.contiguous());
      cases.steps.push_back(std::move(kc));
      logical = out;
      ++si;
    }
  }
  if (si != steps.size()) throw std::logic_error("kernel cases: steps left after the last block");
  return cases;
}

}  // namespace micronet
