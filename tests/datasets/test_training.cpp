// Training mode of the LibTorch reference (BatchNorm batch statistics and running updates
// as nn.BatchNorm, dropout, autograd through run_op) and a short training run that lowers
// the loss on real Fashion-MNIST images.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <numeric>

#include "preprocess/fashion_mnist.h"
#include "reference/reference_model.h"
#include "reference/trainer.h"

namespace micronet {
namespace {

BatchNormParams params_of(torch::nn::BatchNorm2d& bn) {
  return {bn->weight.detach().clone(), bn->bias.detach().clone(), bn->running_mean.clone(),
          bn->running_var.clone(), 1e-5, bn->num_batches_tracked.clone()};
}

TEST(TrainingMode, BatchNormMatchesTorchModuleInTraining) {
  torch::manual_seed(3);
  torch::nn::BatchNorm2d bn(5);
  {
    torch::NoGradGuard g;
    bn->weight.uniform_(0.5, 1.5);
    bn->bias.normal_();
    bn->running_mean.normal_();
    bn->running_var.uniform_(0.5, 2.0);
  }
  BatchNormParams p = params_of(bn);
  const torch::Tensor x = torch::randn({4, 5, 3, 2}) * 2 + 1;
  bn->train();
  const torch::Tensor want = bn->forward(x);
  const torch::Tensor got = ref_batch_norm(x, p, /*training=*/true);
  EXPECT_TRUE(torch::allclose(got, want, 1e-5, 1e-6));
  // Running statistics: momentum 0.1, unbiased batch variance, one more batch tracked.
  EXPECT_TRUE(torch::allclose(p.running_mean, bn->running_mean, 1e-6, 1e-7));
  EXPECT_TRUE(torch::allclose(p.running_var, bn->running_var, 1e-6, 1e-7));
  EXPECT_EQ(p.num_batches_tracked.item<int64_t>(), 1);
  EXPECT_EQ(bn->num_batches_tracked.item<int64_t>(), 1);
}

TEST(TrainingMode, EvalBatchNormIsTheDefaultAndLeavesStatistics) {
  torch::manual_seed(4);
  torch::nn::BatchNorm2d bn(3);
  BatchNormParams p = params_of(bn);
  const torch::Tensor mean = p.running_mean.clone();
  const torch::Tensor x = torch::randn({2, 3, 4, 4}) + 3;
  bn->eval();
  EXPECT_TRUE(torch::allclose(ref_batch_norm(x, p), bn->forward(x)));
  EXPECT_TRUE(torch::equal(p.running_mean, mean));
  EXPECT_EQ(p.num_batches_tracked.item<int64_t>(), 0);
}

TEST(TrainingMode, ModelParametersAreLeavesAndTrainForwardRecordsGradients) {
  ReferenceModel model(plan_model(model_config("m0"), 32, 32, 10));
  init_for_training(model, 1);
  const std::vector<torch::Tensor> ps = model.parameters();
  ASSERT_FALSE(ps.empty());
  int64_t count = 0;
  for (const torch::Tensor& t : ps) {
    EXPECT_TRUE(t.is_leaf());
    EXPECT_TRUE(t.requires_grad());
    count += t.numel();
  }
  EXPECT_LT(count, 1000000);  // a 10-class head: well below M0's 1.0M

  const torch::Tensor x = torch::randn({8, 3, 32, 32});
  const TensorMap before = model.state();
  EXPECT_FALSE(model.forward(x).requires_grad()) << "eval forward records no graph";
  const torch::Tensor y = model.forward_train(x);
  ASSERT_TRUE(y.requires_grad());
  y.square().sum().backward();
  for (const torch::Tensor& t : ps) ASSERT_TRUE(t.grad().defined());

  const TensorMap after = model.state();
  const std::string bn = "features.0.stem.0.conv.1";
  EXPECT_NE(before.at(bn + ".running_mean").bytes, after.at(bn + ".running_mean").bytes);
  EXPECT_EQ(after.at(bn + ".num_batches_tracked").to_f32()[0], 1.f);
  EXPECT_EQ(after.at("classifier.2.linear.1.num_batches_tracked").to_f32()[0], 1.f);
  // Dropout (M0: 0.05 on the 640 hidden features) makes two training passes differ.
  torch::manual_seed(0);
  const torch::Tensor a = model.forward_train(x).detach();
  const torch::Tensor b = model.forward_train(x).detach();
  EXPECT_FALSE(torch::equal(a, b));
}

TEST(Training, AFewStepsLowerTheLossAndAreSeeded) {
  const ImageDataset train = load_fashion_mnist(default_fashion_mnist_dir(), Split::Train);
  const ModelPlan plan = plan_model(model_config("m0"), 32, 32, 10);
  TrainOptions opt;
  opt.epochs = 1;
  opt.batch = 32;
  opt.lr = 0.1;
  opt.warmup_steps = 2;
  opt.train_limit = 32 * 24;
  opt.eval_each_epoch = false;
  opt.threads = 1;
  opt.preprocess.out_h = opt.preprocess.out_w = 32;
  const TrainedModel m = train_new_model(plan, train, train, opt, nullptr);
  const std::vector<float>& l = m.report.step_losses;
  ASSERT_EQ(l.size(), 24u);
  const float first = std::accumulate(l.begin(), l.begin() + 4, 0.f) / 4;
  const float last = std::accumulate(l.end() - 4, l.end(), 0.f) / 4;
  EXPECT_GT(first, 2.0f) << "an untrained 10-class model starts near ln(10) = 2.30";
  EXPECT_LT(last, 0.8f * first) << "first 4 steps " << first << ", last 4 " << last;
  EXPECT_EQ(m.state.at("classifier.2.linear.1.num_batches_tracked").to_f32()[0], 24.f);

  const TrainedModel again = train_new_model(plan, train, train, opt, nullptr);
  EXPECT_EQ(again.report.step_losses, l) << "same seed, one thread: the same run";
}

}  // namespace
}  // namespace micronet
