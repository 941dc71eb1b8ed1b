// The planner against the paper's figures and the official state_dict listings.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "models/config.h"
#include "models/cost.h"
#include "models/plan.h"
#include "models/state_dict_layout.h"
#include "state_dict_tsv.h"

namespace micronet {
namespace {

struct PaperFigures {
  const char* arch;
  double params, madds;
};

class PerModel : public ::testing::TestWithParam<PaperFigures> {};

TEST_P(PerModel, CostMatchesPaperWithinOnePercent) {
  const PaperFigures& f = GetParam();
  const CostReport r = cost_report(plan_model(model_config(f.arch)));
  EXPECT_NEAR(double(r.params) / f.params, 1.0, 0.01) << f.arch << " params " << r.params;
  EXPECT_NEAR(double(r.madds) / f.madds, 1.0, 0.01) << f.arch << " madds " << r.madds;
}

TEST_P(PerModel, LayoutEqualsOfficialStateDict) {
  const PaperFigures& f = GetParam();
  const testing::KeyShapes official = testing::read_state_dict_tsv(f.arch);
  const std::vector<ParamSpec> layout = state_dict_layout(plan_model(model_config(f.arch)));
  ASSERT_EQ(layout.size(), official.size()) << f.arch;
  for (size_t i = 0; i < layout.size(); ++i) {
    EXPECT_EQ(layout[i].key, official[i].first) << f.arch << " entry " << i;
    EXPECT_EQ(layout[i].shape, official[i].second) << f.arch << " " << official[i].first;
    const bool counter = layout[i].key.find("num_batches_tracked") != std::string::npos;
    EXPECT_EQ(layout[i].dtype, counter ? DType::I64 : DType::F32) << layout[i].key;
  }
}

// Weights do not depend on the input size: a 256x192 plan has the 224x224 layout.
TEST_P(PerModel, NonSquareInputPlansWithSameLayout) {
  const ModelConfig& cfg = model_config(GetParam().arch);
  const ModelPlan plan = plan_model(cfg, 256, 192);
  const Block& head = plan.blocks.back();
  ASSERT_EQ(head.kind, BlockKind::Head);
  EXPECT_EQ(head.in_h, 8);  // total stride 32
  EXPECT_EQ(head.in_w, 6);
  const std::vector<ParamSpec> a = state_dict_layout(plan), b = state_dict_layout(plan_model(cfg));
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].key, b[i].key);
    EXPECT_EQ(a[i].shape, b[i].shape);
  }
}

INSTANTIATE_TEST_SUITE_P(Official, PerModel,
                         ::testing::Values(PaperFigures{"m0", 1.02e6, 4.05e6},
                                           PaperFigures{"m1", 1.78e6, 6.12e6},
                                           PaperFigures{"m2", 2.39e6, 12.74e6},
                                           PaperFigures{"m3", 2.62e6, 20.81e6}),
                         [](const auto& info) { return std::string(info.param.arch); });

TEST(Plan, NumClassesChangesOnlyTheLastLinear) {
  const std::vector<ParamSpec> layout = state_dict_layout(plan_model(model_config("m0"), 224, 224, 10));
  for (const ParamSpec& p : layout) {
    if (p.key == "classifier.2.linear.0.weight") EXPECT_EQ(p.shape, (std::vector<int64_t>{10, 640}));
    if (p.key == "classifier.2.linear.1.running_var") EXPECT_EQ(p.shape, (std::vector<int64_t>{10}));
  }
}

TEST(Plan, RejectsNonPositiveInput) {
  const ModelConfig& cfg = model_config("m1");
  EXPECT_THROW(plan_model(cfg, 0, 224), std::invalid_argument);
  EXPECT_THROW(plan_model(cfg, 224, -3), std::invalid_argument);
  EXPECT_THROW(model_config("m9"), std::invalid_argument);
}

// Found by UBSan: `micronet info m0 --height 2147483647` overflowed conv_out's int arithmetic
// and printed a nonsense plan. Sizes past what the plan (and Halide's int32 indexing) can
// hold are refused, naming the size, before any arithmetic.
TEST(Plan, RejectsSizesThePlanCannotHold) {
  const ModelConfig& cfg = model_config("m0");
  for (int side : {2147483647, 1 << 30, kMaxInputSide + 1}) {
    try {
      plan_model(cfg, side, 224);
      ADD_FAILURE() << "no error for height " << side;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(std::to_string(side)), std::string::npos) << e.what();
    }
    EXPECT_THROW(plan_model(cfg, 224, side), std::invalid_argument);
  }
  // The largest side still plans (a batch too big for it is the runtime's error).
  const ModelPlan tall = plan_model(cfg, kMaxInputSide, 32);
  EXPECT_EQ(tall.blocks.back().out_h, 1);
}

// Stride-2 3x3/5x5 convs with padding k/2 never shrink below one pixel.
TEST(Plan, TinyInputShrinksToOnePixel) {
  const ModelPlan plan = plan_model(model_config("m2"), 1, 1);
  for (const Block& b : plan.blocks) {
    EXPECT_EQ(b.out_h, 1);
    EXPECT_EQ(b.out_w, 1);
  }
}

// out[c] = in[perm[c]] after viewing channels as (g, C/g) and transposing.
TEST(ShufflePermutation, HandComputed) {
  EXPECT_EQ(shuffle_permutation(6, 2), (std::vector<int>{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(shuffle_permutation(6, 3), (std::vector<int>{0, 2, 4, 1, 3, 5}));
  EXPECT_EQ(shuffle_permutation(4, 1), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(shuffle_permutation(4, 4), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_THROW(shuffle_permutation(6, 4), std::invalid_argument);
}

// Both the group and the index inside the group rotate by one.
TEST(ShiftMaxPermutation, HandComputed) {
  EXPECT_EQ(shift_max_permutation(6, 2), (std::vector<int>{4, 5, 3, 1, 2, 0}));
  EXPECT_EQ(shift_max_permutation(8, 4), (std::vector<int>{3, 2, 5, 4, 7, 6, 1, 0}));
  EXPECT_EQ(shift_max_permutation(4, 1), (std::vector<int>{1, 2, 3, 0}));
  EXPECT_EQ(shift_max_permutation(4, 4), (std::vector<int>{1, 2, 3, 0}));
  EXPECT_EQ(shift_max_permutation(3, 3), (std::vector<int>{1, 2, 0}));
  EXPECT_THROW(shift_max_permutation(6, 4), std::invalid_argument);
}

TEST(ShiftMaxSqueeze, OfficialMakeDivisible) {
  EXPECT_EQ(shift_max_squeeze(8, 8), 4);     // floor of 4
  EXPECT_EQ(shift_max_squeeze(48, 8), 8);
  EXPECT_EQ(shift_max_squeeze(128, 8), 16);
  EXPECT_EQ(shift_max_squeeze(1536, 16), 96);
}

}  // namespace
}  // namespace micronet
