// Issue 30, the latency table: values are read strictly (a 2^32 + 64 input size, a 64.9, a
// batch of 1.9, threads 2^32 + 1, a median of 1e308, garbage network records were coerced),
// special files and huge lines are refused, a torn last line is skipped with a warning, and
// an append that cannot be written (a full disk) is an error, never silence.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "search/latency_table.h"
#include "tests/common/small_tmpfs.h"

namespace micronet::search {
namespace {

namespace fs = std::filesystem;

class Scratch {
 public:
  Scratch() {
    dir_ = (fs::temp_directory_path() / ("micronet_lt_" + std::to_string(::getpid()))).string();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string operator/(const std::string& n) const { return dir_ + "/" + n; }

 private:
  std::string dir_;
};

const std::string kCond = R"("machine": "m", "target": "x86-64-linux", "batch": 1, "threads": 1, )";

std::string kernel_line(const std::string& in, const std::string& median = "1.5", const std::string& cond = kCond) {
  return "{" + cond + R"("kind": "kernel", "kernel": "k", "schedule": "defaults", "in": )" + in +
         R"(, "median_us": )" + median + R"(, "min_us": 1.0})";
}

std::string error_reading(const std::string& path, const std::string& text) {
  std::ofstream(path) << text << "\n";
  try {
    LatencyTable t(path);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(LatencyTableHardening, ValuesAreNeverCoerced) {
  Scratch d;
  const std::string p = d / "t.jsonl";
  EXPECT_EQ(error_reading(p, kernel_line("[64, 64]")), "(accepted)");
  for (const char* in : {"[4294967360, 64]", "[64.9, 64.2]", "[0, 64]", "[-64, 64]", "[64]", "\"64x64\""}) {
    const std::string m = error_reading(p, kernel_line(in));
    EXPECT_NE(m.find("t.jsonl:1: in:"), std::string::npos) << in << ": " << m;
  }
  for (const char* median : {"1e308", "-1", "0", "null", "\"fast\""}) {
    const std::string m = error_reading(p, kernel_line("[64, 64]", median));
    EXPECT_NE(m.find("median_us"), std::string::npos) << median << ": " << m;
  }
  std::string m = error_reading(p, kernel_line("[64, 64]", "1.5", R"("machine": "m", "target": "t", "batch": 1.9, "threads": 1, )"));
  EXPECT_NE(m.find("batch: expected an integer"), std::string::npos) << m;
  m = error_reading(p, kernel_line("[64, 64]", "1.5", R"("machine": "m", "target": "t", "batch": 1, "threads": 4294967297, )"));
  EXPECT_NE(m.find("threads"), std::string::npos) << m;
  m = error_reading(p, kernel_line("[64, 64]", "1.5", R"("machine": "m\u000ax", "target": "t", "batch": 1, "threads": 1, )"));
  EXPECT_NE(m.find("machine: holds a control character"), std::string::npos) << m;
  // A garbage network record (it gave "predicted -nan us" with exit 0).
  m = error_reading(p, "{" + kCond + R"("kind": "network", "config_id": "x", "role": "calibration", "size": 64, "steps": 10, "params": 5, "kernel_sum_us": -5, "measured_us": 1e300})");
  EXPECT_NE(m.find("kernel_sum_us"), std::string::npos) << m;
  m = error_reading(p, "{" + kCond + R"("kind": "network", "config_id": "x", "role": "calibration", "size": 64.5, "steps": 10, "params": 5, "kernel_sum_us": 5, "measured_us": 6})");
  EXPECT_NE(m.find("size"), std::string::npos) << m;
}

TEST(LatencyTableHardening, SpecialFilesHugeLinesAndTornLines) {
  Scratch d;
  const std::string fifo = d / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(LatencyTable t(fifo), std::runtime_error);
  EXPECT_THROW(LatencyTable t("/dev/zero"), std::runtime_error);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 1.0);
  const std::string huge = d / "huge.jsonl";
  std::ofstream(huge) << std::string(10 << 20, '[');
  try {
    LatencyTable t(huge);
    ADD_FAILURE();
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("huge.jsonl:1: a line over"), std::string::npos) << e.what();
  }
  const std::string torn = d / "torn.jsonl";
  const std::string whole = kernel_line("[64, 64]");
  std::ofstream(torn) << whole << "\n" << whole.substr(0, 30);
  ::testing::internal::CaptureStderr();
  LatencyTable t(torn);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(t.kernel_count(), 1u);
  EXPECT_NE(err.find("torn.jsonl:2"), std::string::npos) << err;
}

TEST(LatencyTableHardening, WritesOnlyWhatItReadsAndFailsLoudlyOnAFullDisk) {
  Scratch d;
  Conditions c;
  c.machine = "m";
  c.target = "x86-64-linux";
  LatencyTable t(d / "t.jsonl");
  KernelTiming k{"k", "defaults", 64, 64, 2.0, 1.5};
  t.add(c, k);
  EXPECT_EQ(LatencyTable(d / "t.jsonl").kernel_count(), 1u);
  k.median_us = std::nan("");
  EXPECT_THROW(t.add(c, k), std::invalid_argument);
  const std::string mnt = d / "mnt";
  const test::SmallTmpfs tmpfs(mnt, "64k");
  if (!tmpfs.mounted()) GTEST_SKIP() << "needs root to mount a small tmpfs";
  LatencyTable full(mnt + "/t.jsonl");
  std::string error;
  int added = 0;
  for (int i = 0; i < 100000 && error.empty(); ++i) {
    try {
      full.add(c, KernelTiming{"kernel_" + std::to_string(i), "defaults", 64, 64, 2.0, 1.5});
      ++added;
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  // search --predict --table exited 0 here with the table left empty.
  EXPECT_NE(error.find("No space left on device"), std::string::npos) << error;
  EXPECT_EQ(LatencyTable(mnt + "/t.jsonl").kernel_count(), size_t(added));
}

}  // namespace
}  // namespace micronet::search
