// safetensors: round trips, strict rejection of corrupt files, atomic writes.
#include <gtest/gtest.h>

#include <cstring>

#include "formats/npy.h"
#include "formats/safetensors.h"
#include "test_util.h"

namespace micronet {
namespace {

using testing::ScratchDir;
using testing::slurp;
using testing::spit;

Tensor raw(DType dtype, std::vector<int64_t> shape, std::vector<uint8_t> bytes) {
  Tensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.bytes = std::move(bytes);
  return t;
}

TensorMap sample() {
  TensorMap m;
  m["conv.weight"] = Tensor::f32({2, 3}, {1.f, -2.f, 3.5f, 0.f, -0.f, 1e-30f});
  m["bn.num_batches_tracked"] = raw(DType::I64, {}, {7, 0, 0, 0, 0, 0, 0, 0});
  m["half"] = raw(DType::F16, {2}, {0x00, 0x3c, 0x00, 0xc0});
  m["mask"] = raw(DType::Bool, {3}, {1, 0, 1});
  m["empty"] = raw(DType::F32, {0, 3}, {});
  return m;
}

// A file made by hand from a header text and a data section.
std::vector<uint8_t> file_of(const std::string& header, const std::vector<uint8_t>& data) {
  std::string f;
  for (int i = 0; i < 8; ++i) f += char(uint64_t(header.size()) >> (8 * i));
  f += header;
  f.append(data.begin(), data.end());
  return std::vector<uint8_t>(f.begin(), f.end());
}

TEST(Safetensors, RoundTripKeepsValuesShapesDtypesAndMetadata) {
  ScratchDir dir;
  const std::string path = dir / "w.safetensors";
  const std::map<std::string, std::string> meta = {{"arch", "m0"}, {"note", "a \"quoted\"\nline"}};
  write_safetensors(path, sample(), meta);

  std::map<std::string, std::string> meta_back;
  const TensorMap back = read_safetensors(path, &meta_back);
  EXPECT_EQ(meta_back, meta);
  const TensorMap want = sample();
  ASSERT_EQ(back.size(), want.size());
  for (const auto& [key, t] : want) {
    ASSERT_TRUE(back.count(key)) << key;
    EXPECT_EQ(back.at(key).dtype, t.dtype) << key;
    EXPECT_EQ(back.at(key).shape, t.shape) << key;
    EXPECT_EQ(back.at(key).bytes, t.bytes) << key;
  }
}

TEST(Safetensors, HeaderIsPaddedToEightBytesAndOutputIsDeterministic) {
  ScratchDir dir;
  write_safetensors(dir / "a", sample());
  write_safetensors(dir / "b", sample());
  const std::vector<uint8_t> a = slurp(dir / "a");
  EXPECT_EQ(a, slurp(dir / "b"));
  uint64_t n = 0;
  std::memcpy(&n, a.data(), 8);
  EXPECT_EQ(n % 8, 0u);
  EXPECT_EQ(a[8 + n - 1] == ' ' || a[8 + n - 1] == '}', true);
}

TEST(Safetensors, ReadsAFileWithoutMetadataOrTensors) {
  ScratchDir dir;
  spit(dir / "e", file_of("{}      ", {}));
  EXPECT_TRUE(read_safetensors(dir / "e").empty());
}

TEST(Safetensors, TruncatedDataIsAnErrorNamingFileAndKey) {
  ScratchDir dir;
  const std::string path = dir / "t.safetensors";
  write_safetensors(path, sample());
  std::vector<uint8_t> f = slurp(path);
  f.resize(f.size() - 4);
  spit(path, f);
  EXPECT_THROW_MSG(read_safetensors(path), FormatError, path, "past the data section");
}

TEST(Safetensors, HeaderLengthBeyondTheFileIsAnError) {
  ScratchDir dir;
  std::vector<uint8_t> f = file_of("{}", {});
  f[0] = 0xff;
  f[5] = 0x01;
  spit(dir / "h", f);
  EXPECT_THROW_MSG(read_safetensors(dir / "h"), FormatError,
                   dir / "h" + ": not a safetensors file (header length 1099511628031 > file size 10)");
  spit(dir / "short", std::vector<uint8_t>{1, 0, 0});
  EXPECT_THROW_MSG(read_safetensors(dir / "short"), FormatError, "not a safetensors file (3 bytes");
}

TEST(Safetensors, BadJsonIsAnError) {
  ScratchDir dir;
  spit(dir / "j", file_of("{\"a\": {\"dtype\": \"F32\",", {}));
  EXPECT_THROW_MSG(read_safetensors(dir / "j"), FormatError, dir / "j", "bad header");
  spit(dir / "arr", file_of("[1, 2]", {}));
  EXPECT_THROW_MSG(read_safetensors(dir / "arr"), FormatError, "does not start with '{'");
}

TEST(Safetensors, OffsetsMustMatchTheShapeAndDtype) {
  ScratchDir dir;
  spit(dir / "o", file_of(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,12]}})",
                          std::vector<uint8_t>(12)));
  EXPECT_THROW_MSG(read_safetensors(dir / "o"), FormatError, "'w'", "span 12 bytes", "needs 8");
}

TEST(Safetensors, OverlappingOrHoleyOffsetsAreErrors) {
  ScratchDir dir;
  spit(dir / "ov", file_of(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                           R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                           std::vector<uint8_t>(12)));
  EXPECT_THROW_MSG(read_safetensors(dir / "ov"), FormatError, "'b'", "overlaps");
  spit(dir / "hole", file_of(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                             std::vector<uint8_t>(8)));
  EXPECT_THROW_MSG(read_safetensors(dir / "hole"), FormatError, "belong to no tensor");
  spit(dir / "tail", file_of(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                             std::vector<uint8_t>(9)));
  EXPECT_THROW_MSG(read_safetensors(dir / "tail"), FormatError, "5 trailing bytes");
  spit(dir / "rev", file_of(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})",
                            std::vector<uint8_t>(8)));
  EXPECT_THROW_MSG(read_safetensors(dir / "rev"), FormatError, "'a'", "data_offsets");
}

TEST(Safetensors, UnknownDtypeAndMalformedEntriesNameTheKey) {
  ScratchDir dir;
  spit(dir / "d", file_of(R"({"w":{"dtype":"F8","shape":[1],"data_offsets":[0,1]}})", {0}));
  EXPECT_THROW_MSG(read_safetensors(dir / "d"), FormatError, dir / "d", "'w'", "unknown dtype 'F8'");
  spit(dir / "s", file_of(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}})", {}));
  EXPECT_THROW_MSG(read_safetensors(dir / "s"), FormatError, "'w'", "shape");
  spit(dir / "x", file_of(R"({"w":{"dtype":"F32","shape":[],"data_offsets":[0,4],"z":1}})",
                          std::vector<uint8_t>(4)));
  EXPECT_THROW_MSG(read_safetensors(dir / "x"), FormatError, "'w'", "exactly");
  spit(dir / "m", file_of(R"({"__metadata__":{"a":1}})", {}));
  EXPECT_THROW_MSG(read_safetensors(dir / "m"), FormatError, "__metadata__");
}

TEST(Safetensors, OtherFormatsAreNamedNotParsed) {
  // An .npy passed as weights said "header length 379676406402707 exceeds the file".
  ScratchDir dir;
  const std::string npy = dir / "input.npy";
  write_npy_f32(npy, Tensor::f32({2}, {1.f, 2.f}));
  EXPECT_THROW_MSG(read_safetensors(npy), FormatError, npy + ": not a safetensors file (starts with the .npy magic)");
  spit(dir / "m.pth", std::string("PK\x03\x04 rest of a zip archive"));
  EXPECT_THROW_MSG(read_safetensors(dir / "m.pth"), FormatError, "not a safetensors file", "zip", ".pth");
  spit(dir / "g.gz", std::string("\x1f\x8b\x08 gzip"));
  EXPECT_THROW_MSG(read_safetensors(dir / "g.gz"), FormatError, "not a safetensors file (starts with the gzip magic)");
}

TEST(Safetensors, OverlappingEntriesAreRefusedBeforeCopyingAnything) {
  // 100 entries that all claim the same 8 MB: every one was copied (800 MB) before the
  // overlap was noticed.
  ScratchDir dir;
  const uint64_t n = 2u << 20;  // floats
  std::string header = "{";
  for (int i = 0; i < 100; ++i)
    header += (i ? ",\"t" : "\"t") + std::to_string(i) + "\":{\"dtype\":\"F32\",\"shape\":[" +
              std::to_string(n) + "],\"data_offsets\":[0," + std::to_string(4 * n) + "]}";
  header += "}";
  spit(dir / "ov", file_of(header, std::vector<uint8_t>(4 * n)));
  const long before = testing::peak_rss_mib();
  EXPECT_THROW_MSG(read_safetensors(dir / "ov"), FormatError, "overlaps the previous tensor's bytes");
  EXPECT_LT(testing::peak_rss_mib() - before, 64) << "MiB allocated before the error";
}

TEST(Safetensors, ShapesWhoseProductOverflowsAreRefusedEvenWhenEmpty) {
  ScratchDir dir;
  spit(dir / "z", file_of(R"({"w":{"dtype":"F32","shape":[0,4611686018427387904,4],"data_offsets":[0,0]}})", {}));
  EXPECT_THROW_MSG(read_safetensors(dir / "z"), FormatError, "'w'", "shape overflows");
  spit(dir / "b", file_of(R"({"w":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,0]}})", {}));
  EXPECT_THROW_MSG(read_safetensors(dir / "b"), FormatError, "'w'", "shape overflows");
  spit(dir / "ok", file_of(R"({"w":{"dtype":"F32","shape":[0,1099511627776,4],"data_offsets":[0,0]}})", {}));
  EXPECT_EQ(read_safetensors(dir / "ok").at("w").numel(), 0);
}

TEST(Safetensors, FailedWriteLeavesNoFile) {
  ScratchDir dir;
  const std::string missing = dir / "no/such/dir/w.safetensors";
  EXPECT_THROW(write_safetensors(missing, sample()), FormatError);
  EXPECT_FALSE(std::filesystem::exists(missing));

  // A tensor whose bytes disagree with its shape is refused; an older file stays intact
  // and no temporary is left behind.
  const std::string path = dir / "w.safetensors";
  write_safetensors(path, sample());
  const std::vector<uint8_t> before = slurp(path);
  TensorMap bad = sample();
  bad["conv.weight"].bytes.pop_back();
  EXPECT_THROW_MSG(write_safetensors(path, bad), FormatError, "'conv.weight'", "23 bytes");
  EXPECT_EQ(slurp(path), before);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));

  // A failure after the temporary exists (renaming a file over a folder) removes it.
  const std::string folder = dir / "folder";
  std::filesystem::create_directory(folder);
  EXPECT_THROW_MSG(write_safetensors(folder, sample()), FormatError, "rename");
  EXPECT_FALSE(std::filesystem::exists(folder + ".tmp"));
}

TEST(Safetensors, MissingFileIsAFormatError) {
  ScratchDir dir;
  EXPECT_THROW_MSG(read_safetensors(dir / "absent"), FormatError, dir / "absent");
  EXPECT_THROW_MSG(read_safetensors(dir.path().string()), FormatError, "directory");
}

}  // namespace
}  // namespace micronet
