// float32 .npy files: round trips, numpy interop, and one test per rejected variant.
#include <gtest/gtest.h>

#include "formats/npy.h"
#include "test_util.h"

namespace micronet {
namespace {

using testing::ScratchDir;
using testing::slurp;
using testing::spit;

// An NPY v1.0 file made by hand: magic, version, header dict, then `data`.
std::vector<uint8_t> npy_of(const std::string& dict, size_t data_bytes, int major = 1) {
  std::string header = dict;
  header += '\n';
  std::vector<uint8_t> f = {0x93, 'N', 'U', 'M', 'P', 'Y', uint8_t(major), 0};
  const size_t len_bytes = major == 1 ? 2 : 4;
  for (size_t i = 0; i < len_bytes; ++i) f.push_back(uint8_t(header.size() >> (8 * i)));
  f.insert(f.end(), header.begin(), header.end());
  f.resize(f.size() + data_bytes, 0);
  return f;
}

TEST(Npy, RoundTripKeepsShapeAndBits) {
  ScratchDir dir;
  const std::vector<Tensor> cases = {
      Tensor::f32({2, 3}, {1.f, -2.f, 3.5f, 0.f, -0.f, 1e-38f}),
      Tensor::f32({5}, {1, 2, 3, 4, 5}),
      Tensor::f32({}, {42.f}),
      Tensor::f32({0, 4}, {}),
      Tensor::f32({1, 3, 2, 2}, std::vector<float>(12, 0.25f)),
  };
  for (const Tensor& t : cases) {
    const std::string path = dir / ("t_" + t.shape_str() + ".npy");
    write_npy_f32(path, t);
    const std::vector<uint8_t> file = slurp(path);
    EXPECT_EQ((file.size() - t.bytes.size()) % 64, 0u) << "preamble is 64-byte aligned";
    const Tensor back = read_npy_f32(path);
    EXPECT_EQ(back.dtype, DType::F32);
    EXPECT_EQ(back.shape, t.shape);
    EXPECT_EQ(back.bytes, t.bytes);
  }
}

TEST(Npy, ReadsVersions2And3) {
  ScratchDir dir;
  for (int major : {2, 3}) {
    std::vector<uint8_t> f = npy_of("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 8, major);
    f[f.size() - 1] = 0x3f;  // second value 1.0 = 0x3f800000
    f[f.size() - 2] = 0x80;
    spit(dir / "v.npy", f);
    const Tensor t = read_npy_f32(dir / "v.npy");
    EXPECT_EQ(t.shape, std::vector<int64_t>{2});
    EXPECT_EQ(t.to_f32(), (std::vector<float>{0.f, 1.f}));
  }
}

TEST(Npy, InteroperatesWithNumpy) {
  if (!testing::python_has("numpy")) GTEST_SKIP() << MICRONET_PYTHON << " lacks numpy";
  ScratchDir dir;
  const std::string ours = dir / "ours.npy", theirs = dir / "theirs.npy", big = dir / "v2.npy";
  write_npy_f32(ours, Tensor::f32({2, 2}, {1.f, 2.f, 3.f, 4.5f}));
  const std::string script =
      "import numpy as np, sys; a = np.load(sys.argv[1]); "
      "assert a.dtype == np.float32 and a.shape == (2, 2) and a[1, 1] == 4.5, a; "
      "np.save(sys.argv[2], np.arange(6, dtype='<f4').reshape(3, 2)); "
      "f = open(sys.argv[3], 'wb'); "
      "np.lib.format.write_array(f, np.ones((2,), '<f4'), version=(2, 0)); f.close()";
  std::string log;
  ASSERT_EQ(testing::run_python("-c \"" + script + "\" " + ours + " " + theirs + " " + big, &log), 0) << log;
  const Tensor t = read_npy_f32(theirs);
  EXPECT_EQ(t.shape, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(t.to_f32(), (std::vector<float>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(read_npy_f32(big).to_f32(), (std::vector<float>{1, 1}));
}

TEST(Npy, Float64IsRejectedWithTheExpectedDtype) {
  ScratchDir dir;
  const std::string path = dir / "input.npy";
  spit(path, npy_of("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", 16));
  EXPECT_THROW_MSG(read_npy_f32(path), FormatError,
                   path + ": dtype '<f8' is not supported, expected float32 ('<f4')");
}

TEST(Npy, BigEndianIsRejected) {
  ScratchDir dir;
  spit(dir / "be.npy", npy_of("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 8));
  EXPECT_THROW_MSG(read_npy_f32(dir / "be.npy"), FormatError, "'>f4' is not supported");
}

TEST(Npy, FortranOrderIsRejected) {
  ScratchDir dir;
  spit(dir / "f.npy", npy_of("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", 16));
  EXPECT_THROW_MSG(read_npy_f32(dir / "f.npy"), FormatError, dir / "f.npy", "Fortran");
}

TEST(Npy, TruncatedOrOversizedDataIsRejected) {
  ScratchDir dir;
  spit(dir / "t.npy", npy_of("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 20));
  EXPECT_THROW_MSG(read_npy_f32(dir / "t.npy"), FormatError, dir / "t.npy", "20 bytes", "needs 24", "truncated");
  spit(dir / "o.npy", npy_of("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", 8));
  EXPECT_THROW_MSG(read_npy_f32(dir / "o.npy"), FormatError, "8 bytes", "needs 4");
}

TEST(Npy, BadMagicVersionOrHeaderIsRejected) {
  ScratchDir dir;
  spit(dir / "m.npy", std::string("PK\x03\x04 not numpy"));
  EXPECT_THROW_MSG(read_npy_f32(dir / "m.npy"), FormatError, dir / "m.npy", "bad magic");
  std::vector<uint8_t> v4 = npy_of("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", 4);
  v4[6] = 4;
  spit(dir / "v4.npy", v4);
  EXPECT_THROW_MSG(read_npy_f32(dir / "v4.npy"), FormatError, "version 4.0");
  std::vector<uint8_t> longer = npy_of("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", 0);
  longer[8] = 0xff;
  spit(dir / "l.npy", longer);
  EXPECT_THROW_MSG(read_npy_f32(dir / "l.npy"), FormatError, "exceeds the file");
  spit(dir / "k.npy", npy_of("{'descr': '<f4', 'shape': (), }", 4));
  EXPECT_THROW_MSG(read_npy_f32(dir / "k.npy"), FormatError, "bad npy header");
  spit(dir / "s.npy", npy_of("{'descr': '<f4', 'fortran_order': False, 'shape': (a,), }", 4));
  EXPECT_THROW_MSG(read_npy_f32(dir / "s.npy"), FormatError, "bad npy header");
}

TEST(Npy, ShapesWhoseProductOverflowsAreRefusedEvenWhenEmpty) {
  // (0, 2^62, 2^62) holds no data, so it passed; any reader of the shape that multiplies
  // two dimensions then overflows.
  ScratchDir dir;
  spit(dir / "z.npy", npy_of("{'descr': '<f4', 'fortran_order': False, "
                             "'shape': (0, 4611686018427387904, 4611686018427387904), }", 0));
  EXPECT_THROW_MSG(read_npy_f32(dir / "z.npy"), FormatError, dir / "z.npy", "overflows");
  spit(dir / "ok.npy", npy_of("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 1099511627776), }", 0));
  EXPECT_EQ(read_npy_f32(dir / "ok.npy").numel(), 0);
}

TEST(Npy, MoreThan64DimensionsAreRefused) {
  ScratchDir dir;
  std::string dims;
  for (int i = 0; i < 65; ++i) dims += "1, ";
  spit(dir / "r.npy", npy_of("{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }", 4));
  EXPECT_THROW_MSG(read_npy_f32(dir / "r.npy"), FormatError, "more than 64 dimensions");
  dims.resize(dims.size() - 3);  // 64 is fine
  spit(dir / "r64.npy", npy_of("{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }", 4));
  EXPECT_EQ(read_npy_f32(dir / "r64.npy").shape.size(), 64u);
}

TEST(Npy, FailedWriteLeavesNoFile) {
  ScratchDir dir;
  const std::string missing = dir / "absent/out.npy";
  EXPECT_THROW(write_npy_f32(missing, Tensor::f32({1}, {1.f})), FormatError);
  EXPECT_FALSE(std::filesystem::exists(missing));
  EXPECT_FALSE(std::filesystem::exists(missing + ".tmp"));

  Tensor ints;
  ints.dtype = DType::I64;
  ints.shape = {1};
  ints.bytes.assign(8, 0);
  EXPECT_THROW_MSG(write_npy_f32(dir / "i.npy", ints), FormatError, "I64");
  EXPECT_FALSE(std::filesystem::exists(dir / "i.npy"));
}

}  // namespace
}  // namespace micronet
