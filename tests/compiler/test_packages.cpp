// Model packages end to end: a custom network (K=1 and K=2, J=1 and J=3, a 7x7 kernel)
// compiled by micronet-compile runs within rel L2 1e-4 (same top-5) of the LibTorch
// reference built from the same config, on the host and on OpenCL (PoCL); M0's package
// equals the built-in kernels; every refusal names what differs; two packages run at once.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "models/config_json.h"
#include "reference/reference_model.h"
#include "runtime/device_targets.h"
#include "runtime/halide_model.h"
#include "runtime/package.h"
#include "support/targets.h"

namespace fs = std::filesystem;

namespace micronet {
namespace {

// The custom network (tests/data/configs/tiny.json, shared with pytest and the aarch64 test):
// K=2 and K=1 Dynamic Shift-Max with J=3, a J=1 (Dynamic ReLU) final row, the official J=2 in
// Micro-Block-A, ReLU6, a 7x7 depthwise kernel, a residual; 8 kernels (a few seconds cold).
const std::string kCustomConfig = MICRONET_SOURCE_DIR "/tests/data/configs/tiny.json";

const std::string kWork = MICRONET_TEST_WORK_DIR;

// Compiles (cache in the build tree) and returns the package folder.
std::string compile(const std::string& name, const std::vector<std::string>& args) {
  const std::string out = kWork + "/" + name;
  std::string cmd = std::string(MICRONET_COMPILE_EXE) + " --cache-dir " + kWork + "/cache --out " + out;
  for (const std::string& a : args) cmd += " " + a;
  cmd += " > " + kWork + "/" + name + ".log 2>&1";
  fs::create_directories(kWork);
  if (std::system(cmd.c_str()) != 0) {
    std::ifstream log(kWork + "/" + name + ".log");
    ADD_FAILURE() << cmd << "\n" << std::string(std::istreambuf_iterator<char>(log), {});
  }
  return out;
}

std::string custom_config_file() { return kCustomConfig; }

std::vector<float> random_input(int n, int h, int w, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d;
  std::vector<float> x(size_t(n) * 3 * h * w);
  for (float& v : x) v = d(rng);
  return x;
}

double rel_l2(const std::vector<float>& a, const std::vector<float>& b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) num += double(a[i] - b[i]) * (a[i] - b[i]), den += double(b[i]) * b[i];
  return std::sqrt(num / den);
}

std::vector<int> top5(const float* v, int n) {
  std::vector<int> idx(n);
  for (int i = 0; i < n; ++i) idx[i] = i;
  std::partial_sort(idx.begin(), idx.begin() + 5, idx.end(), [&](int a, int b) { return v[a] > v[b]; });
  idx.resize(5);
  return idx;
}

// The package's logits against the reference built from the same config.
void check_against_reference(const std::string& dir, const std::string& api) {
  const auto pkg = ModelPackage::open(dir);
  ASSERT_EQ(pkg->device_api(), api);
  const ModelPlan plan = plan_model(pkg->config(), 64, 64, pkg->num_classes());
  ReferenceModel ref(plan);
  ref.randomize(11);  // random weights, BatchNorm statistics calibrated on random inputs
  const int n = 2;
  const std::vector<float> x = random_input(n, 64, 64, 5);
  const torch::Tensor out = ref.forward(torch::from_blob(const_cast<float*>(x.data()), {n, 3, 64, 64}).clone());
  const std::vector<float> want(out.data_ptr<float>(), out.data_ptr<float>() + out.numel());
  HalideModel model(plan, ref.state(), "random", api, pkg);
  const std::vector<float> got = model.run(x.data(), n);
  ASSERT_EQ(got.size(), want.size());
  const double err = rel_l2(got, want);
  std::cout << "  " << dir << " (" << pkg->halide_target() << "): rel L2 " << err << " vs the LibTorch reference\n";
  EXPECT_LE(err, 1e-4);
  for (int i = 0; i < n; ++i) EXPECT_EQ(top5(&got[size_t(i) * 10], 10), top5(&want[size_t(i) * 10], 10));
}

TEST(Packages, CustomConfigOnHostMatchesReference) {
  check_against_reference(compile("tiny-host", {"--config", custom_config_file()}), "host");
}

TEST(Packages, CustomConfigOnOpenClMatchesReference) {
  const std::string why = probe_target("opencl");
  if (!why.empty()) GTEST_SKIP() << "no OpenCL device: " << why;
  check_against_reference(compile("tiny-opencl", {"--config", custom_config_file(), "--target", "opencl"}), "opencl");
}

TEST(Packages, M0PackageEqualsBuiltInKernels) {
  const auto pkg = ModelPackage::open(compile("m0-host", {"--arch", "m0", "--size", "64x64", "--classes", "10"}));
  const ModelPlan plan = plan_model(model_config("m0"), 64, 64, 10);
  ReferenceModel ref(plan);
  ref.randomize(3);
  const std::vector<float> x = random_input(2, 64, 64, 9);
  HalideModel builtin(plan, ref.state(), "random"), packaged(plan, ref.state(), "random", "host", pkg);
  EXPECT_EQ(builtin.run(x.data(), 2), packaged.run(x.data(), 2));
}

TEST(Packages, TwoPackagesRunConcurrentlyInOneProcess) {
  const auto tiny = ModelPackage::open(compile("tiny-host", {"--config", custom_config_file()}));
  const auto m0 = ModelPackage::open(compile("m0-host", {"--arch", "m0", "--size", "64x64", "--classes", "10"}));
  const ModelPlan tiny_plan = plan_model(tiny->config(), 64, 64, 10), m0_plan = plan_model(m0->config(), 64, 64, 10);
  ReferenceModel r1(tiny_plan), r2(m0_plan);
  r1.randomize(1);
  r2.randomize(2);
  HalideModel a(tiny_plan, r1.state(), "random", "host", tiny), b(m0_plan, r2.state(), "random", "host", m0);
  const std::vector<float> x = random_input(1, 64, 64, 4);
  const std::vector<float> want_a = a.run(x.data(), 1), want_b = b.run(x.data(), 1);
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        if (t % 2 == 0 && a.run(x.data(), 1) != want_a) ++bad;
        if (t % 2 == 1 && b.run(x.data(), 1) != want_b) ++bad;
        // Opening a package while others run is safe too.
        if (i == 2) ModelPackage::open(t % 2 ? m0->dir() : tiny->dir());
      }
    });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
}

// A copy of the tiny package with `edit` applied, and the message open() gives.
std::string refusal(const std::string& name, const std::function<void(const std::string&)>& edit) {
  const std::string good = compile("tiny-host", {"--config", custom_config_file()});
  const std::string dir = kWork + "/bad-" + name;
  fs::remove_all(dir);
  fs::copy(good, dir, fs::copy_options::recursive);
  edit(dir);
  try {
    ModelPackage::open(dir);
  } catch (const PackageError& e) {
    return e.what();
  }
  return "(accepted)";
}

void replace_in(const std::string& path, const std::string& from, const std::string& to) {
  std::ifstream in(path);
  std::string s((std::istreambuf_iterator<char>(in)), {});
  const size_t at = s.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  s.replace(at, from.size(), to);
  std::ofstream(path) << s;
}

TEST(Packages, CorruptedOrTruncatedLibraryIsRefused) {
  std::string m = refusal("flip", [](const std::string& d) {
    std::fstream f(d + "/kernels.so", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4000);
    f.put('\x5a');
  });
  EXPECT_NE(m.find("SHA-256"), std::string::npos) << m;
  EXPECT_NE(m.find("edited or corrupted"), std::string::npos) << m;
  m = refusal("truncated", [](const std::string& d) { fs::resize_file(d + "/kernels.so", 1000); });
  EXPECT_NE(m.find("is 1000 bytes"), std::string::npos) << m;
  m = refusal("missing", [](const std::string& d) { fs::remove(d + "/kernels.so"); });
  EXPECT_NE(m.find("kernels.so is missing"), std::string::npos) << m;
}

TEST(Packages, EditedManifestIsRefusedNamingTheField) {
  std::string m = refusal("kernels", [](const std::string& d) {
    replace_in(d + "/manifest.json", "\"name\": \"stem_g3x2_k3s2\"", "\"name\": \"stem_g3x2_k3s1\"");
  });
  EXPECT_NE(m.find("its kernels are"), std::string::npos) << m;
  m = refusal("config", [](const std::string& d) { replace_in(d + "/manifest.json", "\"out_ch\": 128", "\"out_ch\": 256"); });
  EXPECT_NE(m.find("its config"), std::string::npos) << m;
  m = refusal("target", [](const std::string& d) { replace_in(d + "/manifest.json", "-no_runtime", "-no_runtime-sse41"); });
  EXPECT_NE(m.find("its halide_target is"), std::string::npos) << m;
  m = refusal("json", [](const std::string& d) { fs::resize_file(d + "/manifest.json", 100); });
  EXPECT_NE(m.find("unreadable manifest"), std::string::npos) << m;
}

TEST(Packages, OtherVersionOrArchitectureIsRefused) {
  std::string m = refusal("version", [](const std::string& d) {
    replace_in(d + "/manifest.json", std::string("\"project_version\": \"") + package_runtime_version() + "\"",
               "\"project_version\": \"0.0.1\"");
  });
  EXPECT_NE(m.find("compiled by micronet 0.0.1, this runtime is micronet " + std::string(package_runtime_version())),
            std::string::npos) << m;
  m = refusal("arch", [](const std::string& d) {
    replace_in(d + "/manifest.json", "\"halide_target\": \"x86-64-linux", "\"halide_target\": \"arm-64-linux");
  });
  EXPECT_NE(m.find("compiled for arm-64"), std::string::npos) << m;
  EXPECT_NE(m.find("this machine is x86-64"), std::string::npos) << m;
  // CPU features: every feature this CPU has passes; the message for one it lacks names it.
  EXPECT_EQ(target_mismatch("x86-64-linux-sse41-no_runtime"), "");
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx512bw"))
    EXPECT_NE(target_mismatch("x86-64-linux-avx512_skylake").find("lacks avx512"), std::string::npos);
}

}  // namespace
}  // namespace micronet
