// Issue 30, the shared readers: special files refused before reading (a FIFO or /dev/zero
// hung them), sizes bounded before values are built (a 10 MB JSON array cost 878 MB), JSON
// strings checked as UTF-8, a BOM or UTF-16 named, nothing written that the reader refuses,
// and appends that are whole records or nothing on a full disk.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <map>

#include "formats/file_io.h"
#include "formats/json_lite.h"
#include "formats/safetensors.h"
#include "test_util.h"
#include "tests/common/small_tmpfs.h"

namespace micronet {
namespace {

namespace fs = std::filesystem;

using testing::peak_rss_mib;
using testing::ScratchDir;
using testing::spit;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

TEST(HostileFiles, FifoAndDevicesAreRefusedAtOnce) {
  ScratchDir dir;
  const std::string fifo = dir / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto t0 = std::chrono::steady_clock::now();
  // No writer: opening it blocked forever before; read_safetensors goes through the same reader.
  EXPECT_THROW_MSG(read_file_bytes(fifo), FormatError, fifo, "a FIFO");
  EXPECT_THROW_MSG(read_safetensors(fifo), FormatError, fifo, "not a regular file");
  EXPECT_THROW_MSG(read_file_bytes("/dev/zero"), FormatError, "/dev/zero", "character device");
  EXPECT_THROW_MSG(read_file_bytes(dir.path().string()), FormatError, "a directory");
  EXPECT_LT(seconds_since(t0), 1.0);
  EXPECT_FALSE(regular_file_or_absent(dir / "missing"));
  EXPECT_THROW_MSG(regular_file_or_absent(fifo), FormatError, "a FIFO");
}

TEST(HostileFiles, SizeIsCheckedBeforeReading) {
  ScratchDir dir;
  const std::string big = dir / "big";
  {
    std::ofstream f(big);
    f.seekp((64 << 20) - 1);
    f.put('x');  // sparse: 64 MiB that cost no disk
  }
  const long before = peak_rss_mib();
  EXPECT_THROW_MSG(read_file_bytes(big, 1 << 20), FormatError, big, "over the limit");
  EXPECT_LT(peak_rss_mib() - before, 8);
}

TEST(JsonLimits, ValuesAreCountedBeforeTheyAreBuilt) {
  // ~110 bytes per parsed value: 5M values were ~600 MB; the limit stops at 100k.
  std::string doc = "[";
  for (int i = 0; i < 5000000; ++i) doc += i ? ",0" : "0";
  doc += "]";
  JsonLimits limits;
  limits.max_values = 100000;
  const long before = peak_rss_mib();
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW_MSG(parse_json(doc, limits), JsonError, "more than 100000 values");
  EXPECT_LT(peak_rss_mib() - before, 60);
  EXPECT_LT(seconds_since(t0), 1.0);
}

TEST(JsonLimits, DepthStringAndDocumentSizeAreBounded) {
  JsonLimits limits;
  limits.max_depth = 4;
  limits.max_string_bytes = 10;
  limits.max_bytes = 100;
  EXPECT_THROW_MSG(parse_json("[[[[[[1]]]]]]", limits), JsonError, "nesting deeper than 4");
  EXPECT_THROW_MSG(parse_json("\"01234567890123\"", limits), JsonError, "longer than 10 bytes");
  EXPECT_THROW_MSG(parse_json("{\"012345678901234\": 1}", limits), JsonError, "longer than 10 bytes");
  EXPECT_THROW_MSG(parse_json(std::string(101, ' ') + "1", limits), JsonError, "over the limit of 100");
  EXPECT_THROW_MSG(parse_json("1" + std::string(500, '0')), JsonError, "400 characters");
  EXPECT_EQ(parse_json("[[[1]]]", limits).array[0].array[0].array[0].integer, 1);
}

TEST(JsonUtf8, StringsMustBeUtf8AndOtherEncodingsAreNamed) {
  EXPECT_THROW_MSG(parse_json("\"a\xff\""), JsonError, "not UTF-8");
  EXPECT_THROW_MSG(parse_json("\"\xc0\xaf\""), JsonError, "not UTF-8");      // overlong '/'
  EXPECT_THROW_MSG(parse_json("\"\xed\xa0\x80\""), JsonError, "not UTF-8");  // a surrogate
  EXPECT_THROW_MSG(parse_json("\"\xe2\x82\""), JsonError, "not UTF-8");      // cut short
  EXPECT_EQ(parse_json("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"").string, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  EXPECT_THROW_MSG(parse_json("\xef\xbb\xbf{}"), JsonError, "byte order mark");
  EXPECT_THROW_MSG(parse_json(std::string("{\0\"\0}\0", 6)), JsonError, "UTF-16");
  EXPECT_THROW_MSG(parse_json("\xff\xfe{\0}\0"), JsonError, "UTF-16");
  // Messages carry no raw bytes (they broke UTF-8 readers of the output, Python's among them).
  try {
    parse_json("[\x80]");
    ADD_FAILURE();
  } catch (const JsonError& e) {
    EXPECT_TRUE(is_valid_utf8(e.what())) << e.what();
    EXPECT_NE(std::string(e.what()).find("\\x80"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(is_valid_utf8("plain \xc3\xa9"));
  EXPECT_FALSE(is_valid_utf8("\xf5\x80\x80\x80"));
}

TEST(SafetensorsLimits, AHeaderOfManySmallValuesCostsLittle) {
  // A 16 MB header under the byte cap, of "0,0,...": it cost 891 MB before the value bound.
  ScratchDir dir;
  // Written in pieces, so the test's own buffers do not raise the peak it measures.
  const std::string head = "{\"t\":{\"dtype\":\"F32\",\"shape\":[", tail = "0],\"data_offsets\":[0,0]}}";
  const size_t zeros = (15u << 20) / 2;
  const uint64_t len = head.size() + 2 * zeros + tail.size();
  {
    std::ofstream f(dir / "hostile.safetensors", std::ios::binary);
    for (int i = 0; i < 8; ++i) f.put(char(uint8_t(len >> (8 * i))));
    f << head;
    std::string pairs;
    for (int i = 0; i < 4096; ++i) pairs += "0,";
    for (size_t i = 0; i < zeros / 4096; ++i) f << pairs;
    for (size_t i = 0; i < zeros % 4096; ++i) f << "0,";
    f << tail;
  }
  const long before = peak_rss_mib();
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW_MSG(read_safetensors(dir / "hostile.safetensors"), FormatError, "hostile.safetensors", "values");
  EXPECT_LT(seconds_since(t0), 1.0);
  EXPECT_LT(peak_rss_mib() - before, 100);
  std::cout << "  16 MB hostile header: " << (peak_rss_mib() - before) << " MiB, " << seconds_since(t0) << " s\n";
}

TEST(SafetensorsLimits, NothingIsWrittenThatTheReaderRefuses) {
  ScratchDir dir;
  const std::string out = dir / "w.safetensors";
  TensorMap t;
  t["x"] = Tensor::f32({1}, {1.f});
  // A 17 MB metadata value (`convert --config` with a huge config_name) made a header that
  // `run` then refused.
  EXPECT_THROW_MSG(write_safetensors(out, t, {{"config", std::string(17 << 20, 'a')}}), FormatError, "over the",
                   "nothing written");
  EXPECT_FALSE(fs::exists(out));
  EXPECT_THROW_MSG(write_safetensors(out, t, {{"name", "bad \xff byte"}}), FormatError, "not valid UTF-8");
  EXPECT_FALSE(fs::exists(out));
  write_safetensors(out, t, {{"name", "caf\xc3\xa9"}});
  std::map<std::string, std::string> meta;
  read_safetensors(out, &meta);
  EXPECT_EQ(meta["name"], "caf\xc3\xa9");
}

TEST(AppendWhole, AppendsLinesAndRefusesSpecialFiles) {
  ScratchDir dir;
  const std::string db = dir / "db.jsonl";
  append_line_whole(db, "{\"a\": 1}\n");
  append_line_whole(db, "{\"a\": 2}\n");
  const std::vector<uint8_t> b = testing::slurp(db);
  EXPECT_EQ(std::string(b.begin(), b.end()), "{\"a\": 1}\n{\"a\": 2}\n");
  const std::string fifo = dir / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_THROW_MSG(append_line_whole(fifo, "x\n"), FormatError, "FIFO");
}

// A small tmpfs filled up: the append fails naming the disk, and the file holds whole lines
// only. Needs root (mount); skipped elsewhere.
TEST(AppendWhole, AFullDiskLeavesNoHalfLine) {
  ScratchDir dir;
  const std::string mnt = dir / "mnt";
  const test::SmallTmpfs tmpfs(mnt, "256k");
  if (!tmpfs.mounted()) GTEST_SKIP() << "needs root to mount a small tmpfs";
  const std::string db = mnt + "/db.jsonl";
  const std::string line = "{\"record\": \"" + std::string(1000, 'r') + "\"}\n";
  int written = 0;
  std::string error;
  for (int i = 0; i < 1000; ++i) {
    try {
      append_line_whole(db, line);
      ++written;
    } catch (const FormatError& e) {
      error = e.what();
      break;
    }
  }
  EXPECT_NE(error.find("No space left on device"), std::string::npos) << error;
  EXPECT_NE(error.find(db), std::string::npos) << error;
  EXPECT_EQ(fs::file_size(db), size_t(written) * line.size()) << "a partial line was left";
}

}  // namespace
}  // namespace micronet
