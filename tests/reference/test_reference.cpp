// The LibTorch reference against the official state_dict listings and against naive
// scalar loops written from the paper / spec, so that a mistake in the reference cannot
// hide behind the Halide kernels it checks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <ostream>

#include "models/config.h"
#include "models/plan.h"
#include "reference/reference_model.h"
#include "state_dict_tsv.h"

namespace micronet {
namespace {

// ---- random weights ----------------------------------------------------------------

struct Rng {
  at::Generator gen;
  explicit Rng(uint64_t seed) : gen(at::detail::createCPUGenerator(seed)) {}
  torch::Tensor normal(std::vector<int64_t> shape, double std = 1.0) {
    return torch::randn(shape, gen) * std;
  }
  torch::Tensor uniform(std::vector<int64_t> shape, double lo, double hi) {
    return torch::rand(shape, gen) * (hi - lo) + lo;
  }
};

void put(TensorMap& w, const std::string& key, const torch::Tensor& t) { w[key] = from_torch(t); }

void put_bn(TensorMap& w, Rng& r, const std::string& key, int64_t c) {
  put(w, key + ".weight", r.uniform({c}, 0.5, 1.5));
  put(w, key + ".bias", r.normal({c}, 0.3));
  put(w, key + ".running_mean", r.normal({c}, 0.3));
  put(w, key + ".running_var", r.uniform({c}, 0.3, 2.0));
}

torch::Tensor get(const TensorMap& w, const std::string& key) { return to_torch(w.at(key)); }

void expect_close(const torch::Tensor& got, const torch::Tensor& want, double tol = 1e-5) {
  ASSERT_EQ(got.sizes(), want.sizes());
  const double err = (got - want).abs().max().item<double>();
  const double scale = std::max(1.0, want.abs().max().item<double>());
  EXPECT_LE(err, tol * scale) << "max abs error " << err << " (scale " << scale << ")";
}

// ---- naive loops ---------------------------------------------------------------------

// Grouped 2-D convolution, groups from the shapes, zero padding, double accumulation.
torch::Tensor naive_conv(const torch::Tensor& x, const torch::Tensor& w, int sh, int sw, int ph,
                         int pw) {
  const int64_t N = x.size(0), Ci = x.size(1), H = x.size(2), W = x.size(3);
  const int64_t Co = w.size(0), cpg_in = w.size(1), kh = w.size(2), kw = w.size(3);
  const int64_t groups = Ci / cpg_in, cpg_out = Co / groups;
  const int64_t OH = (H + 2 * ph - kh) / sh + 1, OW = (W + 2 * pw - kw) / sw + 1;
  auto xa = x.accessor<float, 4>();
  auto wa = w.accessor<float, 4>();
  torch::Tensor out = torch::zeros({N, Co, OH, OW});
  auto oa = out.accessor<float, 4>();
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < Co; ++o)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          double acc = 0;
          for (int64_t ci = 0; ci < cpg_in; ++ci)
            for (int64_t i = 0; i < kh; ++i)
              for (int64_t j = 0; j < kw; ++j) {
                const int64_t ih = oh * sh + i - ph, iw = ow * sw + j - pw;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                acc += double(wa[o][ci][i][j]) * xa[n][(o / cpg_out) * cpg_in + ci][ih][iw];
              }
          oa[n][o][oh][ow] = float(acc);
        }
  return out;
}

torch::Tensor naive_bn(const torch::Tensor& x, const TensorMap& w, const std::string& key) {
  const torch::Tensor g = get(w, key + ".weight"), b = get(w, key + ".bias"),
                      m = get(w, key + ".running_mean"), v = get(w, key + ".running_var");
  torch::Tensor out = x.clone();
  auto oa = out.accessor<float, 4>();
  for (int64_t n = 0; n < x.size(0); ++n)
    for (int64_t c = 0; c < x.size(1); ++c) {
      const double scale = g[c].item<double>() / std::sqrt(v[c].item<double>() + 1e-5);
      for (int64_t h = 0; h < x.size(2); ++h)
        for (int64_t q = 0; q < x.size(3); ++q)
          oa[n][c][h][q] = float((oa[n][c][h][q] - m[c].item<double>()) * scale + b[c].item<double>());
    }
  return out;
}

// out[j*g + i] = in[i*(C/g) + j]
torch::Tensor naive_shuffle(const torch::Tensor& x, int g) {
  const int64_t C = x.size(1), cpg = C / g;
  torch::Tensor out = torch::empty_like(x);
  for (int64_t i = 0; i < g; ++i)
    for (int64_t j = 0; j < cpg; ++j) out.select(1, j * g + i).copy_(x.select(1, i * cpg + j));
  return out;
}

struct ShiftMaxCase {
  int C, J, K, groups;
  std::array<float, 2> init_a, init_b;
};

void PrintTo(const ShiftMaxCase& c, std::ostream* os) {
  *os << "C=" << c.C << " J=" << c.J << " K=" << c.K << " groups=" << c.groups << " init_a=("
      << c.init_a[0] << "," << c.init_a[1] << ") init_b=(" << c.init_b[0] << "," << c.init_b[1]
      << ")";
}

// Paper Eq. 4 with the official shift: the j-th shifted input takes channel
// ((gi + j) mod g) * gc + (ci + j) mod gc for channel c = gi * gc + ci.
//   out[c] = max_k sum_j (coef[(k*J + j)*C + c] + offset(k, j)) * x[shift_j(c)]
torch::Tensor naive_shift_max(const torch::Tensor& x, const TensorMap& w, const std::string& key,
                              const ShiftMaxCase& sc) {
  const torch::Tensor w1 = get(w, key + ".fc.0.weight"), b1 = get(w, key + ".fc.0.bias"),
                      w2 = get(w, key + ".fc.2.weight"), b2 = get(w, key + ".fc.2.bias");
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3), S = w1.size(0);
  const int J = sc.J, K = sc.K, g = sc.groups, gc = int(C) / g;
  auto xa = x.accessor<float, 4>();
  auto w1a = w1.accessor<float, 2>(), w2a = w2.accessor<float, 2>();
  auto b1a = b1.accessor<float, 1>(), b2a = b2.accessor<float, 1>();
  torch::Tensor out = torch::empty_like(x);
  auto oa = out.accessor<float, 4>();
  for (int64_t n = 0; n < N; ++n) {
    std::vector<double> pooled(C, 0.0), hidden(S, 0.0), coef(C * J * K, 0.0);
    for (int64_t c = 0; c < C; ++c) {
      for (int64_t h = 0; h < H; ++h)
        for (int64_t q = 0; q < W; ++q) pooled[c] += xa[n][c][h][q];
      pooled[c] /= double(H * W);
    }
    for (int64_t s = 0; s < S; ++s) {
      double acc = b1a[s];
      for (int64_t c = 0; c < C; ++c) acc += double(w1a[s][c]) * pooled[c];
      hidden[s] = std::max(acc, 0.0);
    }
    for (int64_t o = 0; o < C * J * K; ++o) {
      double acc = b2a[o];
      for (int64_t s = 0; s < S; ++s) acc += double(w2a[o][s]) * hidden[s];
      const double hsig = std::min(std::max(acc + 3.0, 0.0), 6.0) / 6.0;
      coef[o] = (hsig - 0.5) * 4.0;
    }
    for (int64_t c = 0; c < C; ++c) {
      const int gi = int(c) / gc, ci = int(c) % gc;
      for (int64_t h = 0; h < H; ++h)
        for (int64_t q = 0; q < W; ++q) {
          double best = -std::numeric_limits<double>::infinity();
          for (int k = 0; k < K; ++k) {
            double acc = 0;
            for (int j = 0; j < J; ++j) {
              const int src = ((gi + j) % g) * gc + (ci + j) % gc;
              const double offset = j == 0 ? sc.init_a[k] : j == 1 ? sc.init_b[k] : 0.0;
              acc += (coef[(k * J + j) * C + c] + offset) * xa[n][src][h][q];
            }
            best = std::max(best, acc);
          }
          oa[n][c][h][q] = float(best);
        }
    }
  }
  return out;
}

// ---- state_dict names ----------------------------------------------------------------

class PerArch : public ::testing::TestWithParam<std::string> {};

TEST_P(PerArch, StateDictEqualsOfficialListing) {
  const testing::KeyShapes official = testing::read_state_dict_tsv(GetParam());
  ReferenceModel model(plan_model(model_config(GetParam())));
  EXPECT_EQ(model.state_dict_names(), official);

  // named_parameters() and named_buffers() each list their part in the official order.
  testing::KeyShapes params, buffers;
  for (const auto& ks : official) {
    const bool buffer = ks.first.find("running_") != std::string::npos ||
                        ks.first.find("num_batches_tracked") != std::string::npos;
    (buffer ? buffers : params).push_back(ks);
  }
  testing::KeyShapes got_params, got_buffers;
  for (const auto& p : model.module().named_parameters())
    got_params.emplace_back(p.key(), p.value().sizes().vec());
  for (const auto& b : model.module().named_buffers())
    got_buffers.emplace_back(b.key(), b.value().sizes().vec());
  EXPECT_EQ(got_params, params);
  EXPECT_EQ(got_buffers, buffers);
}

// Batch rows are independent (BatchNorm in eval mode), outputs finite and not constant.
TEST_P(PerArch, ForwardBatchRowsEqualSingleImages) {
  ReferenceModel model(plan_model(model_config(GetParam())));
  model.randomize(7);
  Rng r(11);
  const torch::Tensor x = r.normal({3, 3, 224, 224});
  const torch::Tensor y = model.forward(x);
  ASSERT_EQ(y.sizes(), (std::vector<int64_t>{3, 1000}));
  EXPECT_TRUE(torch::isfinite(y).all().item<bool>());
  EXPECT_GT(y.std().item<double>(), 1e-3);
  for (int64_t i = 0; i < 3; ++i) expect_close(model.forward(x.narrow(0, i, 1)), y.narrow(0, i, 1));
}

// The TensorMap path (used by the per-op Halide checks) equals the module path.
TEST_P(PerArch, RunBlockOnStateEqualsForward) {
  const ModelPlan plan = plan_model(model_config(GetParam()));
  ReferenceModel model(plan);
  model.randomize(3);
  const TensorMap weights = model.state();
  torch::Tensor x = Rng(5).normal({1, 3, 224, 224});
  const torch::Tensor want = model.forward(x);
  for (const Block& b : plan.blocks) x = run_block(b, weights, x);
  EXPECT_TRUE(torch::equal(x, want));
}

INSTANTIATE_TEST_SUITE_P(Official, PerArch, ::testing::Values("m0", "m1", "m2", "m3"));

// ---- load / state / randomize ------------------------------------------------------

TEST(ReferenceModel, StateRoundTripsThroughLoad) {
  const ModelPlan plan = plan_model(model_config("m0"));
  ReferenceModel a(plan), b(plan);
  a.randomize(1);
  const TensorMap s = a.state();
  EXPECT_EQ(s.at("features.1.layers.0.conv.1.num_batches_tracked").dtype, DType::I64);
  b.load_state(s, "roundtrip");
  const torch::Tensor x = Rng(2).normal({1, 3, 224, 224});
  EXPECT_TRUE(torch::equal(a.forward(x), b.forward(x)));
}

TEST(ReferenceModel, LoadRejectsBadWeightsNamingTheKey) {
  const ModelPlan plan = plan_model(model_config("m0"));
  ReferenceModel model(plan);
  const TensorMap good = model.state();

  TensorMap wrong_shape = good;
  wrong_shape["features.4.layers.1.fc.2.bias"] = Tensor::f32({3}, {0.f, 0.f, 0.f});
  try {
    model.load_state(wrong_shape, "bad.safetensors");
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("features.4.layers.1.fc.2.bias"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("bad.safetensors"), std::string::npos);
  }
  TensorMap missing = good;
  missing.erase("classifier.2.linear.1.running_var");
  EXPECT_THROW(model.load_state(missing, "x"), FormatError);
  TensorMap extra = good;
  extra["module.features.0.stem.0.conv.0.weight"] = good.at("features.0.stem.0.conv.0.weight");
  EXPECT_THROW(model.load_state(extra, "x"), FormatError);
}

TEST(ReferenceModel, RandomizeIsDeterministicAndRandomizesBatchNorm) {
  const ModelPlan plan = plan_model(model_config("m1"));
  ReferenceModel a(plan), b(plan);
  a.randomize(42);
  b.randomize(42);
  const TensorMap sa = a.state(), sb = b.state();
  for (const auto& kv : sa) EXPECT_EQ(kv.second.bytes, sb.at(kv.first).bytes) << kv.first;
  const torch::Tensor var = to_torch(sa.at("features.2.layers.4.conv.1.running_var"));
  const torch::Tensor gamma = to_torch(sa.at("features.2.layers.4.conv.1.weight"));
  EXPECT_TRUE((var > 0).all().item<bool>());
  EXPECT_FALSE(torch::allclose(var, torch::ones_like(var)));
  EXPECT_FALSE(torch::allclose(gamma, torch::ones_like(gamma)));
  b.randomize(43);
  EXPECT_NE(b.state().at("features.0.stem.0.conv.0.weight").bytes,
            sa.at("features.0.stem.0.conv.0.weight").bytes);
}

TEST(ReferenceModel, NonSquareInput256x192) {
  ReferenceModel model(plan_model(model_config("m2"), 256, 192));
  model.randomize(9);
  const torch::Tensor y = model.forward(Rng(4).normal({2, 3, 256, 192}));
  ASSERT_EQ(y.sizes(), (std::vector<int64_t>{2, 1000}));
  EXPECT_TRUE(torch::isfinite(y).all().item<bool>());
  EXPECT_THROW(model.forward(torch::zeros({1, 3, 224, 224})), std::invalid_argument);
}

// ---- Dynamic Shift-Max ---------------------------------------------------------------

Op shift_max_op(const ShiftMaxCase& sc, int squeeze) {
  Op op;
  op.kind = OpKind::ShiftMax;
  op.key = "sm";
  op.in_channels = op.out_channels = sc.C;
  op.J = sc.J;
  op.K = sc.K;
  op.squeeze = squeeze;
  op.perm_groups = sc.groups;
  op.init_a = sc.init_a;
  op.init_b = sc.init_b;
  return op;
}

void check_shift_max(const Op& op, uint64_t seed) {
  Rng r(seed);
  TensorMap w;
  // Unit-scale weights drive h_sigmoid through both clamps and its linear part.
  const int64_t C = op.in_channels, S = op.squeeze, out = C * op.J * op.K;
  put(w, op.key + ".fc.0.weight", r.normal({S, C}));
  put(w, op.key + ".fc.0.bias", r.normal({S}));
  put(w, op.key + ".fc.2.weight", r.normal({out, S}));
  put(w, op.key + ".fc.2.bias", r.normal({out}));
  const torch::Tensor x = r.normal({2, C, 3, 5}) + 0.2;
  const ShiftMaxCase sc{int(C), op.J, op.K, op.perm_groups, op.init_a, op.init_b};
  expect_close(run_op(op, w, x), naive_shift_max(x, w, op.key, sc));
}

class ShiftMaxVsEq4 : public ::testing::TestWithParam<ShiftMaxCase> {};

TEST_P(ShiftMaxVsEq4, MatchesNaiveLoop) {
  check_shift_max(shift_max_op(GetParam(), 4), 100 + GetParam().groups);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ShiftMaxVsEq4,
    ::testing::Values(
        // J = 2 as in the official models, K = 1 and K = 2, permutation groups 1..C.
        ShiftMaxCase{12, 2, 1, 1, {1.f, 0.f}, {0.f, 0.f}},
        ShiftMaxCase{12, 2, 1, 3, {1.f, 0.f}, {0.f, 0.f}},
        ShiftMaxCase{12, 2, 1, 12, {1.f, 0.f}, {0.f, 0.f}},
        ShiftMaxCase{12, 2, 2, 1, {1.f, 1.f}, {0.f, 0.f}},
        ShiftMaxCase{12, 2, 2, 2, {1.f, 1.f}, {0.f, 0.f}},
        ShiftMaxCase{12, 2, 2, 4, {1.f, 0.5f}, {0.f, 0.5f}},
        ShiftMaxCase{12, 2, 2, 6, {1.f, 0.5f}, {0.f, 0.5f}},
        // J = 1 is Dynamic ReLU; J = 3 adds a second shift.
        ShiftMaxCase{8, 1, 2, 2, {1.f, 0.f}, {0.f, 0.f}},
        ShiftMaxCase{8, 1, 1, 1, {1.f, 0.f}, {0.f, 0.f}},
        ShiftMaxCase{12, 3, 2, 3, {1.f, 0.5f}, {0.f, 0.5f}},
        ShiftMaxCase{12, 3, 1, 4, {1.f, 0.f}, {0.25f, 0.f}}),
    [](const auto& info) {
      const ShiftMaxCase& c = info.param;
      return "C" + std::to_string(c.C) + "_J" + std::to_string(c.J) + "_K" +
             std::to_string(c.K) + "_g" + std::to_string(c.groups) + "_" +
             std::to_string(info.index);
    });

// Every shift-max layer of the smallest and largest official models, at 3x5 pixels.
TEST(ShiftMaxOfficialLayers, MatchNaiveLoop) {
  for (const char* arch : {"m0", "m3"}) {
    uint64_t seed = 0;
    for (const Block& b : plan_model(model_config(arch)).blocks)
      for (const Op& op : b.ops)
        if (op.kind == OpKind::ShiftMax) {
          SCOPED_TRACE(op.key + " " + op.workload_key());
          check_shift_max(op, ++seed);
        }
  }
}

// ---- channel shuffle, convolutions, head ---------------------------------------------

TEST(ChannelShuffle, MatchesNaiveLoop) {
  const torch::Tensor x = Rng(1).normal({2, 12, 3, 2});
  for (int g : {1, 2, 3, 4, 6, 12}) {
    Op op;
    op.kind = OpKind::Shuffle;
    op.groups = g;
    EXPECT_TRUE(torch::equal(run_op(op, TensorMap{}, x), naive_shuffle(x, g))) << "groups " << g;
  }
}

struct DwCase {
  int C, e1, e2, kernel, stride, H, W;
};

void PrintTo(const DwCase& d, std::ostream* os) {
  *os << "C=" << d.C << " e=" << d.e1 << "x" << d.e2 << " k=" << d.kernel << " s=" << d.stride
      << " " << d.H << "x" << d.W;
}

class FactorizedDepthwise : public ::testing::TestWithParam<DwCase> {};

TEST_P(FactorizedDepthwise, MatchesNaiveConvLoops) {
  const DwCase& d = GetParam();
  Op op;
  op.kind = OpKind::DepthwiseSep;
  op.key = "dw";
  op.in_channels = d.C;
  op.exp1 = d.e1;
  op.exp2 = d.e2;
  op.kernel = d.kernel;
  op.stride = d.stride;
  op.out_channels = d.C * d.e1 * d.e2;
  Rng r(d.C * 100 + d.kernel * 10 + d.stride);
  TensorMap w;
  const int64_t mid = d.C * d.e1;
  put(w, "dw.conv.0.weight", r.normal({mid, 1, d.kernel, 1}, 0.5));
  put_bn(w, r, "dw.conv.1", mid);
  put(w, "dw.conv.2.weight", r.normal({op.out_channels, 1, 1, d.kernel}, 0.5));
  put_bn(w, r, "dw.conv.3", op.out_channels);
  const torch::Tensor x = r.normal({2, d.C, d.H, d.W});

  const int k = d.kernel, s = d.stride;
  torch::Tensor want = naive_bn(naive_conv(x, get(w, "dw.conv.0.weight"), s, 1, k / 2, 0), w, "dw.conv.1");
  want = naive_bn(naive_conv(want, get(w, "dw.conv.2.weight"), 1, s, 0, k / 2), w, "dw.conv.3");
  const torch::Tensor got = run_op(op, w, x);
  EXPECT_EQ(got.size(2), (d.H + 2 * (k / 2) - k) / s + 1);
  expect_close(got, want);
}

INSTANTIATE_TEST_SUITE_P(Cases, FactorizedDepthwise,
                         ::testing::Values(DwCase{3, 2, 3, 3, 2, 7, 9},  // lite expansion
                                           DwCase{4, 2, 2, 5, 2, 9, 7},
                                           DwCase{6, 1, 1, 5, 1, 5, 6},  // micro-B/C: none
                                           DwCase{2, 1, 4, 3, 1, 8, 5},
                                           DwCase{5, 1, 1, 3, 2, 1, 2}),
                         [](const auto& info) {
                           const DwCase& d = info.param;
                           return "C" + std::to_string(d.C) + "_e" + std::to_string(d.e1) + "x" +
                                  std::to_string(d.e2) + "_k" + std::to_string(d.kernel) + "_s" +
                                  std::to_string(d.stride) + "_" + std::to_string(d.H) + "x" +
                                  std::to_string(d.W);
                         });

TEST(GroupConv, MatchesNaiveConvLoop) {
  Rng r(8);
  for (int groups : {1, 2, 4}) {
    Op op;
    op.kind = OpKind::GroupConv;
    op.key = "gc";
    op.in_channels = 8;
    op.out_channels = 12;
    op.groups = groups;
    TensorMap w;
    put(w, "gc.conv.0.weight", r.normal({12, 8 / groups, 1, 1}));
    put_bn(w, r, "gc.conv.1", 12);
    const torch::Tensor x = r.normal({2, 8, 3, 4});
    const torch::Tensor want = naive_bn(naive_conv(x, get(w, "gc.conv.0.weight"), 1, 1, 0, 0), w, "gc.conv.1");
    expect_close(run_op(op, w, x), want);
  }
}

// Stem: 3x1 conv (3 -> g1, stride (2,1)), BN, 1x3 conv (groups g1), BN, shuffle(g1), ReLU6.
TEST(Stem, MatchesNaiveLoops) {
  const ModelPlan plan = plan_model(model_config("m3"), 9, 7);  // stem groups (4, 3)
  const Op& op = plan.blocks.at(0).ops.at(0);
  Rng r(6);
  TensorMap w;
  put(w, op.key + ".conv.0.weight", r.normal({4, 3, 3, 1}, 0.5));
  put_bn(w, r, op.key + ".conv.1", 4);
  put(w, op.key + ".conv.2.weight", r.normal({12, 1, 1, 3}, 0.5));
  put_bn(w, r, op.key + ".conv.3", 12);
  const torch::Tensor x = r.normal({2, 3, 9, 7});
  torch::Tensor want = naive_bn(naive_conv(x, get(w, op.key + ".conv.0.weight"), 2, 1, 1, 0), w, op.key + ".conv.1");
  want = naive_bn(naive_conv(want, get(w, op.key + ".conv.2.weight"), 1, 2, 0, 1), w, op.key + ".conv.3");
  want = naive_shuffle(want, 4).clamp(0.0, 6.0);
  const torch::Tensor got = run_op(op, w, x);
  ASSERT_EQ(got.sizes(), (std::vector<int64_t>{2, 12, 5, 4}));
  expect_close(got, want);
}

// Head: ReLU6 -> mean -> h_swish -> (Linear, BN1d, h_swish) x 2, dropout skipped.
TEST(Head, MatchesNaiveLoop) {
  Op op;
  op.kind = OpKind::Head;
  op.key = "classifier";
  op.in_channels = 6;
  op.hidden = 5;
  op.num_classes = op.out_channels = 4;
  Rng r(12);
  TensorMap w;
  const auto swish_linear_weights = [&](const std::string& k, int64_t in, int64_t out) {
    put(w, k + ".0.weight", r.normal({out, in}));
    put(w, k + ".0.bias", r.normal({out}));
    for (const char* s : {".1.weight", ".1.bias", ".1.running_mean"}) put(w, k + s, r.normal({out}));
    put(w, k + ".1.running_var", r.uniform({out}, 0.3, 2.0));
  };
  swish_linear_weights("classifier.0.linear", 6, 5);
  swish_linear_weights("classifier.2.linear", 5, 4);
  const torch::Tensor x = r.normal({2, 6, 3, 2}) * 3.0;

  const auto hswish = [](double v) { return v * std::min(std::max(v + 3.0, 0.0), 6.0) / 6.0; };
  const auto layer = [&](const std::vector<double>& in, const std::string& k) {
    const torch::Tensor W = get(w, k + ".0.weight"), B = get(w, k + ".0.bias");
    std::vector<double> out(W.size(0));
    for (int64_t o = 0; o < W.size(0); ++o) {
      double acc = B[o].item<double>();
      for (int64_t i = 0; i < W.size(1); ++i) acc += W[o][i].item<double>() * in[i];
      const double bn = (acc - get(w, k + ".1.running_mean")[o].item<double>()) /
                            std::sqrt(get(w, k + ".1.running_var")[o].item<double>() + 1e-5) *
                            get(w, k + ".1.weight")[o].item<double>() +
                        get(w, k + ".1.bias")[o].item<double>();
      out[o] = hswish(bn);
    }
    return out;
  };
  const torch::Tensor got = run_op(op, w, x);
  ASSERT_EQ(got.sizes(), (std::vector<int64_t>{2, 4}));
  for (int64_t n = 0; n < 2; ++n) {
    std::vector<double> pooled(6, 0.0);
    for (int64_t c = 0; c < 6; ++c) {
      for (int64_t i = 0; i < 6; ++i)
        pooled[c] += std::min(std::max(x[n][c][i / 2][i % 2].item<double>(), 0.0), 6.0) / 6.0;
      pooled[c] = hswish(pooled[c]);
    }
    const std::vector<double> logits = layer(layer(pooled, "classifier.0.linear"), "classifier.2.linear");
    for (int64_t o = 0; o < 4; ++o) EXPECT_NEAR(got[n][o].item<double>(), logits[o], 1e-5);
  }
}

}  // namespace
}  // namespace micronet
