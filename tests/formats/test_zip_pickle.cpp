// The zip reader and the restricted unpickler on hand-built inputs, so each rule is hit
// directly rather than through torch.save.
#include <gtest/gtest.h>

#include <cstring>

#include "formats/restricted_unpickler.h"
#include "formats/zip_reader.h"
#include "checkpoint_builder.h"
#include "test_util.h"

namespace micronet {
namespace {

using testing::ScratchDir;
using testing::spit;

using testing::Pickle;
using testing::put;
using testing::zip_of;

TEST(ZipReader, ReadsStoredEntriesInOrder) {
  ScratchDir dir;
  spit(dir / "a.zip", zip_of({{"arch/data.pkl", "pickle"}, {"arch/data/0", std::string(3, '\0')}}));
  const ZipReader zip(dir / "a.zip");
  EXPECT_EQ(zip.names(), (std::vector<std::string>{"arch/data.pkl", "arch/data/0"}));
  EXPECT_TRUE(zip.has("arch/data/0"));
  EXPECT_FALSE(zip.has("arch/data/1"));
  const std::vector<uint8_t> d = zip.read("arch/data.pkl");
  EXPECT_EQ(std::string(d.begin(), d.end()), "pickle");
  EXPECT_THROW_MSG(zip.read("nope"), FormatError, dir / "a.zip", "'nope' is missing");
}

TEST(ZipReader, DetectsCorruption) {
  ScratchDir dir;
  std::string z = zip_of({{"x/data.pkl", "payload"}});
  std::string flipped = z;
  flipped[flipped.find("payload")] = 'P';
  spit(dir / "crc.zip", flipped);
  EXPECT_THROW_MSG(ZipReader(dir / "crc.zip").read("x/data.pkl"), FormatError, dir / "crc.zip", "CRC mismatch");

  spit(dir / "cut.zip", z.substr(0, z.size() - 10));
  EXPECT_THROW_MSG(ZipReader(dir / "cut.zip"), FormatError, dir / "cut.zip", "truncated");

  std::string bad_cd = z;
  bad_cd[bad_cd.find("PK\x01\x02")] = 'Q';
  spit(dir / "cd.zip", bad_cd);
  EXPECT_THROW_MSG(ZipReader(dir / "cd.zip"), FormatError, "bad central directory");

  spit(dir / "txt.zip", std::string("hello, this is not an archive at all"));
  EXPECT_THROW_MSG(ZipReader(dir / "txt.zip"), FormatError, "not a zip archive");
}

TEST(ZipReader, InflatesDeflateEntries) {
  if (!testing::python_has("zipfile")) GTEST_SKIP();
  ScratchDir dir;
  const std::string path = dir / "d.zip";
  std::string log;
  ASSERT_EQ(testing::run_python(
                "-c \"import zipfile, sys; z = zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED); "
                "z.writestr('a/b', b'abc' * 1000); z.close()\" " + path, &log), 0) << log;
  const std::vector<uint8_t> d = ZipReader(path).read("a/b");
  ASSERT_EQ(d.size(), 3000u);
  EXPECT_EQ(std::string(d.begin(), d.begin() + 6), "abcabc");
}

StorageLoader floats_0_to(int n) {
  return [n](const std::string& key, uint64_t) {
    EXPECT_EQ(key, "0");
    std::vector<float> v(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) v[size_t(i)] = float(i);
    std::vector<uint8_t> b(v.size() * 4);
    std::memcpy(b.data(), v.data(), b.size());
    return b;
  };
}

const StorageLoader no_storage = [](const std::string&, uint64_t) -> std::vector<uint8_t> {
  ADD_FAILURE() << "storage loaded";
  return {};
};

TEST(RestrictedUnpickler, BuildsPlainValues) {
  Pickle p;
  p.op('}').op('q').op('\0').op('(').str("a").op('J');
  put(p.s, uint32_t(-5), 4);
  p.str("b").op('\x8a').op('\x02').op('\x00').op('\x80');  // LONG1 -32768
  p.str("c").op('G');
  for (char c : std::string("\x3f\xf8\0\0\0\0\0\0", 8)) p.op(c);  // 1.5
  p.str("d").op(']').int1(1).op('a').op('N').op('\x88').op('\x87').op('u').op('.');
  const PickleRef v = unpickle_restricted(p.bytes(), no_storage, "x.pth");
  ASSERT_EQ(v->kind, PickleValue::Kind::Dict);
  EXPECT_EQ(v->get("a")->integer, -5);
  EXPECT_EQ(v->get("b")->integer, -32768);
  EXPECT_EQ(v->get("c")->real, 1.5);
  ASSERT_EQ(v->get("d")->kind, PickleValue::Kind::Tuple);
  EXPECT_EQ(v->get("d")->items.at(0)->items.at(0)->integer, 1);
  EXPECT_TRUE(v->get("d")->items.at(2)->boolean);
}

TEST(RestrictedUnpickler, GathersAStridedViewInCOrder) {
  // storage 0..11; view at offset 1, size (2, 3), stride (1, 4): rows are columns of a 3x4.
  const PickleRef v = unpickle_restricted(Pickle::tensor_dict(12, 1, {2, 3}, {1, 4}).bytes(),
                                          floats_0_to(12), "x.pth");
  const Tensor& t = v->get("w")->tensor;
  EXPECT_EQ(t.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(t.to_f32(), (std::vector<float>{1, 5, 9, 2, 6, 10}));
}

TEST(RestrictedUnpickler, ViewsPastTheStorageAreErrors) {
  EXPECT_THROW_MSG(unpickle_restricted(Pickle::tensor_dict(4, 1, {4}, {1}).bytes(), floats_0_to(4), "x.pth"),
                   FormatError, "x.pth", "reaches past the storage");
  // The storage file must hold exactly numel elements.
  EXPECT_THROW_MSG(unpickle_restricted(Pickle::tensor_dict(5, 0, {4}, {1}).bytes(), floats_0_to(4), "x.pth"),
                   FormatError, "storage '0' holds 16 bytes");
}

TEST(RestrictedUnpickler, ForbiddenGlobalsAreRefusedBeforeAnyCall) {
  Pickle p;
  p.global("os", "system").str("touch /tmp/should_not_exist").op('\x85').op('R').op('.');
  EXPECT_THROW_MSG(unpickle_restricted(p.bytes(), no_storage, "evil.pth"), FormatError,
                   "evil.pth: pickle references a forbidden global 'os.system'; only plain state_dicts are accepted");
  Pickle q;  // the protocol-4 spelling
  q.op('\x8c').op('\x08').s += "builtins";
  q.op('\x8c').op('\x04').s += "eval";
  q.op('\x93').op('.');
  EXPECT_THROW_MSG(unpickle_restricted(q.bytes(), no_storage, "evil.pth"), FormatError,
                   "forbidden global 'builtins.eval'");
  // A whitelisted name that is not callable stays inert.
  Pickle r;
  r.global("torch", "FloatStorage").op(')').op('R').op('.');
  EXPECT_THROW_MSG(unpickle_restricted(r.bytes(), no_storage, "x.pth"), FormatError, "cannot be called");
}

TEST(RestrictedUnpickler, UnsupportedOpcodesAndTruncationAreErrors) {
  Pickle p;
  p.op('i').s += "os\nsystem\n";
  EXPECT_THROW_MSG(unpickle_restricted(p.bytes(), no_storage, "x.pth"), FormatError,
                   "unsupported pickle opcode 0x69 ('i')", "offset 2");
  Pickle t;
  t.op('}').str("a");
  EXPECT_THROW_MSG(unpickle_restricted(t.bytes(), no_storage, "x.pth"), FormatError, "without STOP");
  Pickle u;
  u.op('s').op('.');
  EXPECT_THROW_MSG(unpickle_restricted(u.bytes(), no_storage, "x.pth"), FormatError, "underflow");
  Pickle g;
  g.op('h').op('\x07').op('.');
  EXPECT_THROW_MSG(unpickle_restricted(g.bytes(), no_storage, "x.pth"), FormatError, "memo slot 7");
}

}  // namespace
}  // namespace micronet
