// Issue 30, the tuning database: --apply cannot inject lines (a newline in `machine` or
// `target`), refuses unknown autoschedulers and what its check refuses (out-of-domain or
// unknown knobs; the knob-space check itself is tested in test_apply_check.cpp), skips
// unknown kernels; appends are whole records or nothing; a torn last line is skipped with a
// warning; special files and huge lines are refused.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <fstream>
#include <sstream>

#include "autotune/tuning_db.h"
#include "tests/common/small_tmpfs.h"

namespace micronet::tune {
namespace {

namespace fs = std::filesystem;

TuningRecord good(const std::string& kernel, double us) {
  TuningRecord r;
  r.kernel = kernel;
  r.family = "gconv";
  r.target = "x86-64-linux-avx2-fma";
  r.target_family = "x86";
  r.machine = "AMD EPYC 9B45";
  r.strategy = "model";
  r.knobs = {{"oc_block", 4}};
  r.height = r.width = 56;
  r.median_us = us * 1.01;
  r.min_us = us;
  r.repeats = 5;
  r.status = Status::Ok;
  r.halide_version = "14.0.0";
  r.commit = "x";
  r.time = "2024-11-26T07:33:05Z";
  return r;
}

class Scratch {
 public:
  Scratch() {
    dir_ = (fs::temp_directory_path() / ("micronet_tdbh_" + std::to_string(::getpid()))).string();
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

std::string slurp(const std::string& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(TuningDbHardening, ApplyCannotInjectLines) {
  Scratch d;
  const std::string text = d / "tuning_db.txt";
  std::ofstream(text) << "# header\n";
  // The reproducer: a machine name carrying a whole record of its own.
  TuningRecord r = good("gconv_a", 10);
  r.machine = "m\nx86 stem_g2x2_k3s2 mid_at=999999";
  std::string m = error_of([&] { apply_to_text_db({r}, r.machine, text); });
  EXPECT_NE(m.find("machine holds a control character"), std::string::npos) << m;
  r = good("gconv_a", 10);
  r.target = "x86-64-linux\r\nx86 k a=1";
  m = error_of([&] { apply_to_text_db({r}, r.machine, text); });
  EXPECT_NE(m.find("target holds a control character"), std::string::npos) << m;
  EXPECT_EQ(slurp(text), "# header\n");
  // Such a record is refused on reading and appending too.
  const std::string db = d / "db.jsonl";
  EXPECT_THROW(append_record(db, r), std::invalid_argument);
  std::string line = to_json_line(good("gconv_a", 10));
  line.replace(line.find("AMD EPYC 9B45"), 13, "a\\nx86 k a=1");
  std::ofstream(db) << line << "\n";
  m = error_of([&] { read_db(db); });
  EXPECT_NE(m.find("db.jsonl:1"), std::string::npos) << m;
  EXPECT_NE(m.find("control character"), std::string::npos) << m;
}

TEST(TuningDbHardening, ApplyValidatesAutoschedulersAndTheCheck) {
  Scratch d;
  const std::string text = d / "tuning_db.txt";
  std::ofstream(text) << "# header\n";
  TuningRecord a = good("gconv_a", 10);
  a.knobs.clear();
  a.autoscheduler = "Evil2024";
  std::string m = error_of([&] { apply_to_text_db({a}, a.machine, text); });
  EXPECT_NE(m.find("autoscheduler \"Evil2024\" is not one of Halide 14's"), std::string::npos) << m;
  EXPECT_NE(m.find("nothing written"), std::string::npos) << m;
  // The check's answer: refused (nothing written) or, for an unknown kernel, skipped.
  const RecordCheck check = [](const TuningRecord& r) -> std::string {
    if (r.kernel == "unknown_k") return kUnknownKernel;
    if (r.knobs.count("mid_at") && r.knobs.at("mid_at") > 8) return "knob mid_at=999999 is out of its domain";
    return "";
  };
  TuningRecord bad = good("gconv_b", 5);
  bad.knobs = {{"mid_at", 999999}};
  m = error_of([&] { apply_to_text_db({good("gconv_a", 10), bad}, bad.machine, text, check); });
  EXPECT_NE(m.find("out of its domain"), std::string::npos) << m;
  EXPECT_EQ(slurp(text), "# header\n");
  const ApplyResult res = apply_to_text_db({good("gconv_a", 10), good("unknown_k", 3)}, bad.machine, text, check);
  ASSERT_EQ(res.skipped.size(), 1u);
  EXPECT_EQ(res.skipped[0], "x86 unknown_k");
  const std::string written = slurp(text);
  EXPECT_NE(written.find("x86 gconv_a oc_block=4"), std::string::npos) << written;
  EXPECT_EQ(written.find("unknown_k"), std::string::npos) << written;
}

TEST(TuningDbHardening, ATornLastLineIsSkippedWithAWarning) {
  Scratch d;
  const std::string db = d / "db.jsonl";
  append_record(db, good("gconv_a", 10));
  append_record(db, good("gconv_b", 11));
  const std::string whole = to_json_line(good("gconv_c", 12));
  {
    std::ofstream f(db, std::ios::app);
    f << whole.substr(0, whole.size() / 2);  // a full disk's half record, no newline
  }
  ::testing::internal::CaptureStderr();
  const std::vector<TuningRecord> records = read_db(db);
  const std::string err = ::testing::internal::GetCapturedStderr();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_NE(err.find("db.jsonl:3"), std::string::npos) << err;
  EXPECT_NE(err.find("cut short"), std::string::npos) << err;
  // The next append ends the torn line and turns it into a comment, so everything stays
  // readable (the torn record swallowed the next one into a bad line that failed every
  // later command).
  append_record(db, good("gconv_d", 13));
  ::testing::internal::CaptureStderr();
  const std::vector<TuningRecord> again = read_db(db);
  const std::string err2 = ::testing::internal::GetCapturedStderr();
  ASSERT_EQ(again.size(), 3u);
  EXPECT_EQ(again[2].kernel, "gconv_d");
  EXPECT_EQ(err2, "");
  EXPECT_NE(slurp(db).find("\n#\"kernel\":\"gconv_c\""), std::string::npos) << slurp(db);
  // A bad line that is not the last stays an error naming it.
  std::ofstream(db, std::ios::app) << "{\"kernel\": 5}\n" << to_json_line(good("gconv_e", 14)) << "\n";
  const std::string m = error_of([&] { read_db(db); });
  EXPECT_NE(m.find("db.jsonl:5"), std::string::npos) << m;
}

TEST(TuningDbHardening, SpecialFilesAndHugeLinesAreRefusedFast) {
  Scratch d;
  const std::string fifo = d / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto t0 = std::chrono::steady_clock::now();
  std::string m = error_of([&] { read_db(fifo); });
  EXPECT_NE(m.find("FIFO"), std::string::npos) << m;
  m = error_of([&] { read_db("/dev/zero"); });
  EXPECT_NE(m.find("character device"), std::string::npos) << m;
  m = error_of([&] { append_record(fifo, good("gconv_a", 1)); });
  EXPECT_NE(m.find("FIFO"), std::string::npos) << m;
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 1.0);
  const std::string huge = d / "huge.jsonl";
  {
    std::ofstream f(huge);
    f << std::string(50 << 20, '{');  // one 50 MB line
  }
  m = error_of([&] { read_db(huge); });
  EXPECT_NE(m.find("huge.jsonl:1: a line over the 65536-byte limit"), std::string::npos) << m;
}

// A full small tmpfs: the append fails, the database keeps whole records only, and reading
// it afterwards works. Needs root (mount).
TEST(TuningDbHardening, AFullDiskLeavesWholeRecordsOnly) {
  Scratch d;
  const std::string mnt = d / "mnt";
  const test::SmallTmpfs tmpfs(mnt, "128k");
  if (!tmpfs.mounted()) GTEST_SKIP() << "needs root to mount a small tmpfs";
  const std::string db = mnt + "/db.jsonl";
  std::string m;
  int n = 0;
  for (; n < 10000; ++n) {
    TuningRecord r = good("gconv_" + std::to_string(n), 10);
    r.error = std::string(700, 'e');
    try {
      append_record(db, r);
    } catch (const std::exception& e) {
      m = e.what();
      break;
    }
  }
  EXPECT_NE(m.find("No space left on device"), std::string::npos) << m;
  EXPECT_EQ(read_db(db).size(), size_t(n));  // no error, no warning: whole lines only
}

}  // namespace
}  // namespace micronet::tune
