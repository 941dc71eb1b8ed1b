// Issue 30, configs: bounded by what a MicroNet can be (rows, blocks, the file's size, a
// config_name's length), strings checked as UTF-8 without control characters, a BOM or
// UTF-16 file named as such, and every refusal a ConfigError naming the file, fast and small.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "formats/json_lite.h"
#include "formats/tensor.h"
#include "models/config_json.h"

namespace micronet {
namespace {

namespace fs = std::filesystem;

const std::string kRow =
    R"({"s": 1, "n": 1, "c": 12, "ks": 3, "c1": 1, "c2": 4, "g1": 4, "g2": 4, "c3": 12, "g3": 4, "g4": 4, "y1": 2, "y2": 2, "y3": 1, "r": 1})";
const std::string kFirst =
    R"({"s": 2, "n": 1, "c": 12, "ks": 3, "c1": 2, "c2": 2, "g1": 0, "g2": 6, "c3": 12, "g3": 2, "g4": 2, "y1": 2, "y2": 0, "y3": 1, "r": 1})";
const std::string kLast =
    R"({"s": 1, "n": 1, "c": 48, "ks": 3, "c1": 1, "c2": 4, "g1": 4, "g2": 4, "c3": 0, "g3": 0, "g4": 0, "y1": 2, "y2": 2, "y3": 1, "r": 2})";

// A tiny network with `middle` copies of kRow between its first and last rows.
std::string config(int middle, const std::string& extra = "", const std::string& middle_row = kRow) {
  std::string s = R"({"name": "t", "stem_ch": 6, "stem_groups": [3, 2], "out_ch": 128, "init_a": [1.0, 1.0],
    "init_b": [0.0, 0.0], "classes": 10, "input_size": [64, 64])" + extra + R"(, "rows": [)" + kFirst;
  for (int i = 0; i < middle; ++i) s += ", " + middle_row;
  return s + ", " + kLast + "]}";
}

std::string error_of(const std::string& text) {
  try {
    config_from_json(text, "my.json");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(accepted)";
}

long peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

TEST(ConfigLimits, RowsAndBlocksAreBoundedByWhatAMicroNetCanBe) {
  EXPECT_NO_THROW(config_from_json(config(10), "my.json"));
  // 100k rows passed `info` and `compile`; running the package took 43 s and 4 GB.
  const auto t0 = std::chrono::steady_clock::now();
  std::string m = error_of(config(100000));
  EXPECT_NE(m.find("my.json"), std::string::npos) << m;
  EXPECT_NE(m.find("over the limit of 1048576"), std::string::npos) << m;  // 13 MB: the document bound
  // 1100 rows fit in 1 MiB: the value bound stops them while parsing, before the row bound.
  m = error_of(config(1100));
  EXPECT_NE(m.find("more than 16384 values"), std::string::npos) << m;
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 1.0);
  m = error_of(config(70));
  EXPECT_NE(m.find("rows: 72 rows, over the limit of 64"), std::string::npos) << m;
  const std::string repeated =
      R"({"s": 1, "n": 60, "c": 12, "ks": 3, "c1": 1, "c2": 4, "g1": 4, "g2": 4, "c3": 12, "g3": 4, "g4": 4, "y1": 2, "y2": 2, "y3": 1, "r": 1})";
  m = error_of(config(5, "", repeated));
  EXPECT_NE(m.find("over the limit of 256 blocks"), std::string::npos) << m;
}

TEST(ConfigLimits, AHugeUnknownFieldIsRefusedWithoutAmplification) {
  // A 10 MB array in an unknown field cost 878 MB before "unknown field".
  std::string big = ", \"junk\": [";
  for (int i = 0; i < 5000000; ++i) big += i ? ",0" : "0";
  big += "]";
  const long before = peak_rss_mib();
  const std::string m = error_of(config(1, big));
  EXPECT_NE(m.find("my.json"), std::string::npos) << m;
  EXPECT_LT(peak_rss_mib() - before, 100);
}

TEST(ConfigLimits, LargeOrSpecialConfigFilesAreRefusedBeforeReading) {
  const fs::path dir = fs::temp_directory_path() / ("micronet_cfglimits_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string big = (dir / "big.json").string();
  {
    std::ofstream f(big);
    f.seekp(2 << 20);
    f.put(' ');
  }
  try {
    load_config_file(big);
    ADD_FAILURE() << "accepted";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("over the limit"), std::string::npos) << e.what();
  }
  const std::string fifo = (dir / "fifo.json").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(load_config_file(fifo), FormatError);  // it hung before
  EXPECT_THROW(load_config_file("/dev/zero"), FormatError);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 1.0);
  fs::remove_all(dir);
}

TEST(ConfigLimits, StringsAreBoundedUtf8WithoutControlCharacters) {
  // A 17 MB config_name went into a weights file `run` then refused.
  std::string m = error_of(config(1, ", \"config_name\": \"" + std::string(1000, 'x') + "\""));
  EXPECT_NE(m.find("config_name: 1000 bytes, over the limit of 256"), std::string::npos) << m;
  m = error_of(config(1, ", \"config_name\": \"" + std::string(5000, 'x') + "\""));
  EXPECT_NE(m.find("longer than 4096"), std::string::npos) << m;
  // Raw 0xFF passed `convert`; Python's metadata then raised UnicodeDecodeError.
  m = error_of(config(1, ", \"config_name\": \"bad\xff\""));
  EXPECT_NE(m.find("not UTF-8"), std::string::npos) << m;
  EXPECT_TRUE(is_valid_utf8(m)) << m;
  m = error_of(config(1, ", \"config_name\": \"two\\nlines\""));
  EXPECT_NE(m.find("config_name: holds a control character"), std::string::npos) << m;
  EXPECT_EQ(config_from_json(config(1, ", \"config_name\": \"r\xc3\xa9seau\""), "x").config_name, "r\xc3\xa9seau");
}

TEST(ConfigLimits, ABomOrUtf16FileIsNamedAsSuch) {
  std::string m = error_of("\xef\xbb\xbf" + config(1));
  EXPECT_NE(m.find("byte order mark"), std::string::npos) << m;
  EXPECT_TRUE(is_valid_utf8(m)) << m;
  std::string utf16 = "\xff\xfe";
  for (char c : config(1)) utf16 += std::string(1, c) + '\0';
  m = error_of(utf16);
  EXPECT_NE(m.find("UTF-16"), std::string::npos) << m;
  EXPECT_TRUE(is_valid_utf8(m)) << m;
}

}  // namespace
}  // namespace micronet
