// load_torch_checkpoint on real torch.save output (made by scripts/make_test_checkpoint.py
// with the M0 key/shape listing), checked bit-exactly against a safetensors copy that the
// script writes independently.
#include <gtest/gtest.h>

#include "models/checkpoint_import.h"
#include "models/config.h"
#include "models/plan.h"
#include "models/state_dict_layout.h"
#include "formats/safetensors.h"
#include "test_util.h"

namespace micronet {
namespace {

using testing::ScratchDir;
using testing::slurp;
using testing::spit;

const char* const kStemWeight = "features.0.stem.0.conv.0.weight";   // 2x3x3x1
const char* const kStemBias = "features.0.stem.0.conv.1.bias";       // 2
const char* const kStemVar = "features.0.stem.0.conv.1.running_var";  // 2

class CheckpointImport : public ::testing::Test {
 protected:
  void SetUp() override {
    static const bool have_torch = testing::python_has("torch");
    if (!have_torch) GTEST_SKIP() << MICRONET_PYTHON << " cannot import torch";
  }

  // Writes <dir>/<name>.pth (and <name>.safetensors with the expected tensors) for M0.
  std::string make(const std::string& name, const std::string& options = "") {
    const std::string pth = dir / (name + ".pth");
    std::string log;
    const int rc = testing::run_python(
        std::string(MICRONET_SOURCE_DIR) + "/scripts/make_test_checkpoint.py --tsv " +
            testing::state_dict_dir() + "/micronet_m0_state_dict.tsv --out " + pth +
            " --reference " + dir / (name + ".safetensors") + " " + options,
        &log);
    EXPECT_EQ(rc, 0) << log;
    return pth;
  }

  static void expect_equal(const TensorMap& got, const TensorMap& want) {
    ASSERT_EQ(got.size(), want.size());
    for (const auto& [key, t] : want) {
      ASSERT_TRUE(got.count(key)) << key;
      EXPECT_EQ(got.at(key).dtype, t.dtype) << key;
      EXPECT_EQ(got.at(key).shape, t.shape) << key;
      EXPECT_TRUE(got.at(key).bytes == t.bytes) << key << " differs";
    }
  }

  static std::vector<ParamSpec> m0_layout() { return state_dict_layout(plan_model(model_config("m0"))); }

  ScratchDir dir;
};

TEST_F(CheckpointImport, TorchSaveImportsBitExactlyAndMatchesTheM0Layout) {
  const std::string pth = make("m0", std::string("--seed 3 --transpose ") + kStemWeight +
                                         " --transpose " + kStemBias);
  const TensorMap got = load_torch_checkpoint(pth);
  expect_equal(got, read_safetensors(dir / "m0.safetensors"));
  EXPECT_EQ(got.at("features.0.stem.0.conv.1.num_batches_tracked").dtype, DType::I64);
  EXPECT_NO_THROW(validate_state_dict(got, m0_layout(), pth));
}

TEST_F(CheckpointImport, NonContiguousTensorsAreGatheredInCOrder) {
  const std::string pth = make("nc", std::string("--transpose ") + kStemWeight + " --transpose " + kStemVar);
  const TensorMap want = read_safetensors(dir / "nc.safetensors");
  const TensorMap got = load_torch_checkpoint(pth);
  EXPECT_EQ(got.at(kStemWeight).bytes, want.at(kStemWeight).bytes);
  EXPECT_EQ(got.at(kStemWeight).shape, (std::vector<int64_t>{2, 3, 3, 1}));
  EXPECT_EQ(got.at(kStemVar).bytes, want.at(kStemVar).bytes);
}

TEST_F(CheckpointImport, StateDictWrapperIsUnwrapped) {
  const std::string pth = make("wrapped", "--wrap state_dict");
  expect_equal(load_torch_checkpoint(pth), read_safetensors(dir / "wrapped.safetensors"));
}

TEST_F(CheckpointImport, ModulePrefixIsStripped) {
  const std::string pth = make("dp", "--module-prefix --wrap state_dict");
  expect_equal(load_torch_checkpoint(pth), read_safetensors(dir / "dp.safetensors"));
}

TEST_F(CheckpointImport, DeflatedArchiveImportsTheSameValues) {
  const std::string pth = make("plain");
  const std::string deflated = dir / "deflated.pth";
  std::string log;
  ASSERT_EQ(testing::run_python(
                "-c \"import zipfile, sys; src = zipfile.ZipFile(sys.argv[1]); "
                "dst = zipfile.ZipFile(sys.argv[2], 'w', zipfile.ZIP_DEFLATED); "
                "[dst.writestr(i.filename, src.read(i)) for i in src.infolist()]; dst.close()\" " +
                    pth + " " + deflated, &log), 0) << log;
  expect_equal(load_torch_checkpoint(deflated), read_safetensors(dir / "plain.safetensors"));
}

TEST_F(CheckpointImport, WrongShapesDtypesAndMissingKeysImportButFailValidation) {
  const std::string pth = make("bad", std::string("--bad-shape ") + kStemBias + " --dtype-f64 " + kStemVar);
  const TensorMap got = load_torch_checkpoint(pth);
  EXPECT_EQ(got.at(kStemBias).shape, std::vector<int64_t>{3});
  EXPECT_EQ(got.at(kStemVar).dtype, DType::F64);
  EXPECT_THROW_MSG(validate_state_dict(got, m0_layout(), pth), FormatError, pth, kStemBias);

  const std::string dropped = make("dropped", std::string("--drop-key ") + kStemVar);
  EXPECT_THROW_MSG(validate_state_dict(load_torch_checkpoint(dropped), m0_layout(), dropped),
                   FormatError, kStemVar);
}

TEST_F(CheckpointImport, NonTensorEntryIsAnErrorNamingTheKey) {
  const std::string pth = make("int", std::string("--non-tensor ") + kStemBias);
  EXPECT_THROW_MSG(load_torch_checkpoint(pth), FormatError, pth, std::string("'") + kStemBias + "' is a int");
}

TEST_F(CheckpointImport, LegacyFormatIsRejectedWithAHint) {
  const std::string pth = make("legacy", "--legacy");
  EXPECT_THROW_MSG(load_torch_checkpoint(pth), FormatError, pth,
                   "legacy (non-zip) PyTorch checkpoint",
                   "_use_new_zipfile_serialization=True");
}

TEST_F(CheckpointImport, EvilPickleIsRefusedAndNothingRuns) {
  const std::string marker = dir / "PWNED";
  const std::string pth = make("evil", "--evil " + marker);
  EXPECT_THROW_MSG(load_torch_checkpoint(pth), FormatError, pth,
                   "forbidden global 'posix.system'", "only plain state_dicts are accepted");
  EXPECT_FALSE(std::filesystem::exists(marker)) << "the payload ran";

  // The payload is real: torch.load (without weights_only) runs it.
  ASSERT_EQ(testing::run_python("-c \"import torch, sys; torch.load(sys.argv[1])\" " + pth), 0);
  EXPECT_TRUE(std::filesystem::exists(marker)) << "the test's payload is inert";
}

TEST_F(CheckpointImport, TruncatedCheckpointIsAnError) {
  const std::string pth = make("cut");
  const std::vector<uint8_t> full = slurp(pth);
  for (size_t keep : {full.size() / 2, full.size() - 30, size_t(100)}) {
    spit(pth, std::vector<uint8_t>(full.begin(), full.begin() + std::ptrdiff_t(keep)));
    EXPECT_THROW_MSG(load_torch_checkpoint(pth), FormatError, pth);
  }
}

TEST_F(CheckpointImport, OtherFilesAreNotCheckpoints) {
  spit(dir / "notes.txt", std::string("just some text\n"));
  EXPECT_THROW_MSG(load_torch_checkpoint(dir / "notes.txt"), FormatError, dir / "notes.txt",
                   "not a PyTorch checkpoint");
  spit(dir / "empty.pth", std::string());
  EXPECT_THROW_MSG(load_torch_checkpoint(dir / "empty.pth"), FormatError, "not a PyTorch checkpoint");
  write_safetensors(dir / "w.safetensors", {{"w", Tensor::f32({1}, {1.f})}});
  EXPECT_THROW_MSG(load_torch_checkpoint(dir / "w.safetensors"), FormatError, "not a PyTorch checkpoint");
  EXPECT_THROW_MSG(load_torch_checkpoint(dir / "absent.pth"), FormatError, dir / "absent.pth");
}

}  // namespace
}  // namespace micronet
