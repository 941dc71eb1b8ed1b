// Reference-cases files (`micronet check` input): the counts in their metadata are checked
// against the tensors the file holds before anything is allocated for them.
#include <gtest/gtest.h>

#include <climits>

#include "formats/kernel_cases.h"
#include "formats/safetensors.h"
#include "test_util.h"

namespace micronet {
namespace {

using testing::ScratchDir;

// A one-step cases file (batch 1, 2x2 input, 2 classes) with `meta` overriding fields.
std::string cases_file(const ScratchDir& dir, const std::map<std::string, std::string>& meta_override) {
  TensorMap t;
  t["model/input"] = Tensor::f32({1, 3, 2, 2}, std::vector<float>(12, 0.5f));
  t["model/logits"] = Tensor::f32({1, 2}, {0.25f, 0.75f});
  t["step000/input"] = t["model/input"];
  t["step000/expected"] = t["model/logits"];
  t["weights/w"] = Tensor::f32({1}, {1.f});
  std::map<std::string, std::string> meta = {
      {"format", "micronet-kernel-cases-1"}, {"arch", "m0"}, {"input_height", "2"}, {"input_width", "2"},
      {"batch", "1"}, {"num_classes", "2"}, {"steps", "1"}, {"seed", "3"}};
  for (const auto& [k, v] : meta_override) meta[k] = v;
  const std::string path = dir / "cases.safetensors";
  write_safetensors(path, t, meta);
  return path;
}

TEST(KernelCases, ReadsAValidFile) {
  ScratchDir dir;
  const KernelCases c = read_kernel_cases(cases_file(dir, {}));
  EXPECT_EQ(c.steps.size(), 1u);
  EXPECT_EQ(c.weights.count("w"), 1u);
  EXPECT_EQ(c.model_logits.to_f32(), (std::vector<float>{0.25f, 0.75f}));
}

TEST(KernelCases, AStepCountBeyondTheFileIsRefusedBeforeAllocating) {
  // steps=20000000 allocated 3.4 GB of empty steps before noticing step000/block_input
  // and friends were absent; steps=INT_MAX died with std::bad_alloc.
  ScratchDir dir;
  const std::string path = cases_file(dir, {{"steps", "20000000"}});
  const long before = testing::peak_rss_mib();
  EXPECT_THROW_MSG(read_kernel_cases(path), FormatError, path, "'steps' is 20000000, outside 0..4096");
  EXPECT_LT(testing::peak_rss_mib() - before, 64) << "MiB allocated before the error";
  EXPECT_THROW_MSG(read_kernel_cases(cases_file(dir, {{"steps", std::to_string(INT_MAX)}})), FormatError,
                   "'steps' is 2147483647");
  EXPECT_THROW_MSG(read_kernel_cases(cases_file(dir, {{"steps", "4"}})), FormatError,
                   "says 4 steps, but the file holds only 5 tensors");
}

TEST(KernelCases, SizesMustFitTheModelTensors) {
  ScratchDir dir;
  EXPECT_THROW_MSG(read_kernel_cases(cases_file(dir, {{"batch", "65536"}})), FormatError,
                   "model/input 1x3x2x2 or model/logits 1x2 does not fit the metadata (batch 65536");
  EXPECT_THROW_MSG(read_kernel_cases(cases_file(dir, {{"input_height", "2147483647"}})), FormatError,
                   "'input_height' is 2147483647, outside 1..65536");
  EXPECT_THROW_MSG(read_kernel_cases(cases_file(dir, {{"num_classes", "0"}})), FormatError, "'num_classes' is 0");
}

}  // namespace
}  // namespace micronet
