// The tuning database (autotune/tuning_db.h): records as JSON lines, errors naming file and
// line, resume keys, merging by concatenation, --apply on a text database, and the report
// (autotune/report.h) with its tuning curves.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "autotune/report.h"
#include "autotune/tuning_db.h"

namespace micronet::tune {
namespace {

const char* kMachine = "AMD EPYC 9B45";
const char* kTarget = "x86-64-linux-avx2-avx512-fma";

class TuningDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = ::testing::TempDir() + "tuning_db_XXXXXX";
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path(name)) << text;
    return path(name);
  }
  static std::string read(const std::string& file) {
    std::ifstream in(file);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  std::string dir_;
};

// A measured record of kernel `kernel` on kMachine; knobs/autoscheduler set by the caller.
TuningRecord rec(const std::string& kernel, double min_us, Status status = Status::Ok) {
  TuningRecord r;
  r.kernel = kernel;
  r.family = "gconv";
  r.target = kTarget;
  r.target_family = "x86";
  r.machine = kMachine;
  r.strategy = "default";
  r.height = r.width = 56;
  r.median_us = min_us * 1.01;
  r.min_us = min_us;
  r.repeats = 5;
  r.status = status;
  r.halide_version = "14.0.0";
  r.commit = "9db9d77";
  r.time = "2024-11-26T07:33:05Z";
  return r;
}

TuningRecord knob_rec(const std::string& kernel, std::map<std::string, int> knobs, double min_us,
                      const std::string& strategy = "model", int trial = 0,
                      Status status = Status::Ok) {
  TuningRecord r = rec(kernel, min_us, status);
  r.knobs = std::move(knobs);
  r.strategy = strategy;
  r.trial = trial;
  return r;
}

TuningRecord auto_rec(const std::string& kernel, const std::string& autoscheduler, double min_us,
                      Status status = Status::Ok) {
  TuningRecord r = rec(kernel, min_us, status);
  r.autoscheduler = autoscheduler;
  r.strategy = "autoscheduler";
  return r;
}

// The message of the std::runtime_error `f` throws ("" when it throws nothing).
template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

// ---- records ------------------------------------------------------------------------

TEST(TuningRecord, EveryFieldRoundTrips) {
  TuningRecord r;
  r.kernel = "dwsep_c24x16_k3_s2";
  r.family = "dwsep";
  r.target = "x86-64-linux-avx2-fma";
  r.target_family = "arm";
  r.machine = "Neoverse \"N1\"";  // quotes are escaped, not cut
  r.knobs = {{"tile_vectors", 3}, {"oc_block", -4}};
  r.strategy = "random";
  r.trial = 17;
  r.batch = 2;
  r.threads = 4;
  r.height = 112;
  r.width = 96;
  r.median_us = 81.25;
  r.min_us = 0.1 + 0.2;  // not exactly representable in few digits: must round-trip exactly
  r.repeats = 7;
  r.status = Status::Wrong;
  r.error = "rel L2 3.2e-03 > 1e-05";
  r.rel_l2 = 3.2e-3;
  r.halide_version = "14.0.0";
  r.commit = "abc123";
  r.time = "2024-11-26T07:33:05Z";

  const std::string line = to_json_line(r);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const TuningRecord b = parse_record(line, "db.jsonl", 1);
  EXPECT_EQ(b.kernel, r.kernel);
  EXPECT_EQ(b.family, r.family);
  EXPECT_EQ(b.target, r.target);
  EXPECT_EQ(b.target_family, r.target_family);
  EXPECT_EQ(b.machine, r.machine);
  EXPECT_EQ(b.knobs, r.knobs);
  EXPECT_EQ(b.autoscheduler, r.autoscheduler);
  EXPECT_EQ(b.strategy, r.strategy);
  EXPECT_EQ(b.trial, r.trial);
  EXPECT_EQ(b.batch, r.batch);
  EXPECT_EQ(b.threads, r.threads);
  EXPECT_EQ(b.height, r.height);
  EXPECT_EQ(b.width, r.width);
  EXPECT_EQ(b.median_us, r.median_us);
  EXPECT_EQ(b.min_us, r.min_us);
  EXPECT_EQ(b.repeats, r.repeats);
  EXPECT_EQ(b.status, r.status);
  EXPECT_EQ(b.error, r.error);
  EXPECT_EQ(b.rel_l2, r.rel_l2);
  EXPECT_EQ(b.halide_version, r.halide_version);
  EXPECT_EQ(b.commit, r.commit);
  EXPECT_EQ(b.time, r.time);
}

TEST(TuningRecord, AutoschedulerAndUnmeasuredTimesRoundTrip) {
  TuningRecord r = auto_rec("head_c512", "Mullapudi2016", 0, Status::CompileError);
  r.median_us = r.min_us = std::numeric_limits<double>::quiet_NaN();
  r.rel_l2 = std::numeric_limits<double>::quiet_NaN();
  r.error = "Error: autoscheduler failed";
  const TuningRecord b = parse_record(to_json_line(r), "db.jsonl", 1);
  EXPECT_EQ(b.autoscheduler, "Mullapudi2016");
  EXPECT_TRUE(b.knobs.empty());
  EXPECT_EQ(b.status, Status::CompileError);
  EXPECT_TRUE(std::isnan(b.min_us));  // written as null
  EXPECT_TRUE(std::isnan(b.rel_l2));
}

TEST(TuningRecord, StatusNames) {
  for (Status s : {Status::Ok, Status::Wrong, Status::CompileError, Status::Timeout, Status::RunError}) {
    Status back;
    ASSERT_TRUE(parse_status(status_name(s), &back)) << status_name(s);
    EXPECT_EQ(back, s);
  }
  Status unused;
  EXPECT_FALSE(parse_status("great", &unused));
  EXPECT_STREQ(status_name(Status::CompileError), "compile_error");
}

// Each bad line, the field its error must name.
struct BadLine {
  std::string what, line, message;
};

std::string replaced(const std::string& line, const std::string& from, const std::string& to) {
  std::string s = line;
  const auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return s.replace(at, from.size(), to);
}

TEST_F(TuningDbTest, BadLinesAreErrorsNamingFileAndLine) {
  const std::string good = to_json_line(knob_rec("k1", {{"tile", 2}}, 50));
  const std::vector<BadLine> cases = {
      {"not JSON", "kernel=k1 tile=2", "not JSON"},
      {"truncated", good.substr(0, good.size() / 2), "not JSON"},
      {"not an object", "[1, 2]", "not a JSON object"},
      {"missing kernel", replaced(good, "\"kernel\":\"k1\",", ""), "missing field \"kernel\""},
      {"status great", replaced(good, "\"status\":\"ok\"", "\"status\":\"great\""), "status \"great\""},
      {"knob x", replaced(good, "\"tile\":2", "\"tile\":\"x\""), "knob \"tile\" must be an integer"},
      {"knob 2.5", replaced(good, "\"tile\":2", "\"tile\":2.5"), "knob \"tile\" must be an integer"},
      {"batch as text", replaced(good, "\"batch\":1", "\"batch\":\"1\""), "field \"batch\" must be an integer"},
      {"huge trial", replaced(good, "\"trial\":0", "\"trial\":99999999999"), "field \"trial\" is out of range"},
      {"min_us as text", replaced(good, "\"min_us\":50.0", "\"min_us\":\"50\""), "field \"min_us\""},
      {"family mips", replaced(good, "\"target_family\":\"x86\"", "\"target_family\":\"mips\""),
       "target_family \"mips\""},
      {"knobs and autoscheduler", replaced(good, "\"autoscheduler\":\"\"", "\"autoscheduler\":\"Adams2019\""),
       "not both"},
      {"ok without a time", replaced(good, "\"min_us\":50.0", "\"min_us\":null"), "min_us of an ok record"},
      // A number past double's range is nlohmann's out_of_range, not a parse_error (fuzz finding).
      {"number past double", replaced(good, "\"min_us\":50.0", "\"min_us\":7.4e608"), "not JSON"},
  };
  for (const BadLine& c : cases) {
    // Good lines, a comment and a blank line first: the error names the bad line's number.
    const std::string file = write("bad.jsonl", "# tuning records\n" + good + "\n\n" + good + "\n" + c.line + "\n");
    const std::string e = error_of([&] { read_db(file); });
    EXPECT_EQ(e.rfind(file + ":5: ", 0), 0u) << c.what << ": " << e;
    EXPECT_NE(e.find(c.message), std::string::npos) << c.what << ": " << e;
    EXPECT_EQ(error_of([&] { parse_record(c.line, "x.jsonl", 9); }).rfind("x.jsonl:9: ", 0), 0u) << c.what;
  }
}

TEST_F(TuningDbTest, ReadSkipsBlankAndCommentLinesAndIgnoresUnknownFields) {
  std::string line = to_json_line(rec("k1", 10));
  line.insert(1, "\"added_by_a_newer_tuner\":[1,2],");
  const std::string file = write("db.jsonl", "\n# comment\n   \n" + line + "\r\n  # indented comment\n");
  const auto records = read_db(file);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].kernel, "k1");
}

TEST_F(TuningDbTest, MissingFileIsEmptyUnreadableIsAnError) {
  EXPECT_TRUE(read_db(path("never_written.jsonl")).empty());
  ::mkdir(path("a_dir").c_str(), 0755);
  const std::string e = error_of([&] { read_db(path("a_dir")); });
  EXPECT_NE(e.find(path("a_dir")), std::string::npos) << e;
}

TEST_F(TuningDbTest, AppendWritesWholeLinesAndRefusesInvalidRecords) {
  const std::string db = path("db.jsonl");
  append_record(db, rec("k1", 10));
  append_record(db, knob_rec("k1", {{"tile", 4}}, 9, "random", 1));
  append_record(db, auto_rec("k1", "Adams2019", 12));
  const std::string text = read(db);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3);
  EXPECT_EQ(text.back(), '\n');
  const auto records = read_db(db);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[1].knobs.at("tile"), 4);
  EXPECT_EQ(records[2].autoscheduler, "Adams2019");

  TuningRecord bad = rec("k1 k2", 10);  // a kernel name the text database cannot hold
  EXPECT_THROW(append_record(db, bad), std::invalid_argument);
  EXPECT_EQ(read(db), text);
}

// ---- resume and merge -----------------------------------------------------------------

TEST(ResumeKeys, KnobOrderDoesNotMatterConditionsDo) {
  const std::string a = to_json_line(knob_rec("k1", {{"oc_block", 4}, {"tile", 2}}, 10));
  // The same point written with the knobs in the other order (another writer's JSON).
  std::string b = replaced(a, "\"oc_block\":4,\"tile\":2", "\"tile\":2,\"oc_block\":4");
  b = replaced(b, "\"strategy\":\"model\"", "\"strategy\":\"random\"");  // how it was proposed
  ASSERT_NE(a, b);
  const TuningRecord ra = parse_record(a, "a", 1), rb = parse_record(b, "b", 1);
  EXPECT_EQ(point_key(ra), point_key(rb));

  for (auto change : std::vector<void (*)(TuningRecord&)>{
           [](TuningRecord& r) { r.batch = 8; }, [](TuningRecord& r) { r.threads = 2; },
           [](TuningRecord& r) { r.height = 28; }, [](TuningRecord& r) { r.machine = "other"; },
           [](TuningRecord& r) { r.target = "x86-64-linux-sse41"; },
           [](TuningRecord& r) { r.knobs["tile"] = 3; },
           [](TuningRecord& r) { r.knobs.clear(); r.autoscheduler = "Adams2019"; }}) {
    TuningRecord other = ra;
    change(other);
    EXPECT_NE(point_key(other), point_key(ra)) << point_key(other);
  }
  // The defaults and an autoscheduler are distinct points of one kernel.
  EXPECT_NE(point_key(rec("k1", 1)), point_key(auto_rec("k1", "Adams2019", 1)));
  EXPECT_EQ(measured_keys({ra, rb, rec("k1", 1)}).size(), 2u);
}

TEST_F(TuningDbTest, MergingIsConcatenation) {
  const std::string shard0 = path("shard0.jsonl"), shard1 = path("shard1.jsonl");
  append_record(shard0, rec("k1", 10));
  append_record(shard0, knob_rec("k1", {{"tile", 2}}, 8, "model", 1));
  append_record(shard1, rec("k2", 20));
  append_record(shard1, knob_rec("k2", {{"tile", 2}}, 30, "model", 1, Status::Wrong));
  const std::string merged = write("merged.jsonl", read(shard0) + read(shard1));
  const auto records = read_db(merged);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].kernel, "k1");
  EXPECT_EQ(records[3].status, Status::Wrong);
  std::set<std::string> both = measured_keys(read_db(shard0));
  for (const std::string& k : measured_keys(read_db(shard1))) both.insert(k);
  EXPECT_EQ(measured_keys(records), both);
}

TEST_F(TuningDbTest, MachineNameFromCpuinfo) {
  const std::string cpuinfo = write("cpuinfo",
                                    "processor\t: 0\nvendor_id\t: AuthenticAMD\n"
                                    "model name\t: AMD EPYC  9B45   128-Core Processor\nflags\t: sse\n"
                                    "processor\t: 1\nmodel name\t: AMD EPYC 9B45 128-Core Processor\n");
  EXPECT_EQ(machine_name(cpuinfo), "AMD EPYC 9B45 128-Core Processor");
  EXPECT_EQ(machine_name(write("arm_cpuinfo", "processor\t: 0\nCPU part\t: 0xd0c\n")), "unknown-cpu");
  EXPECT_EQ(machine_name(path("missing")), "unknown-cpu");
  EXPECT_FALSE(machine_name().empty());
}

TEST(TuningDb, UtcTimeIsIso8601) {
  EXPECT_TRUE(std::regex_match(utc_now_iso8601(), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")))
      << utc_now_iso8601();
}

// ---- best records ----------------------------------------------------------------------

TEST(BestRecords, FastestOkPerFamilyKernelMachine) {
  TuningRecord gpu = knob_rec("k1", {{"tile", 1}}, 3);
  gpu.target_family = "gpu";
  gpu.target = "x86-64-linux-cuda";
  TuningRecord elsewhere = knob_rec("k1", {{"tile", 9}}, 1);
  elsewhere.machine = "Intel Xeon";
  const std::vector<TuningRecord> db = {
      rec("k1", 100), knob_rec("k1", {{"tile", 2}}, 80),
      knob_rec("k1", {{"tile", 3}}, 40, "model", 2, Status::Wrong),  // faster but wrong
      auto_rec("k1", "Adams2019", 90), gpu, elsewhere, rec("k2", 5)};
  const auto best = best_records(db, kMachine);
  ASSERT_EQ(best.size(), 3u);  // sorted by (family, kernel, machine)
  EXPECT_EQ(best[0].target_family, "gpu");
  EXPECT_EQ(best[1].kernel, "k1");
  EXPECT_EQ(best[1].knobs.at("tile"), 2);
  EXPECT_EQ(best[2].kernel, "k2");
  EXPECT_EQ(best_records(db, "").size(), 4u);  // every machine
}

TEST(BestRecords, MixedConditionsAreRefused) {
  TuningRecord two_threads = knob_rec("k1", {{"tile", 2}}, 40);
  two_threads.threads = 2;
  const std::string e = error_of([&] { best_records({rec("k1", 100), two_threads}, kMachine); });
  EXPECT_NE(e.find("different conditions"), std::string::npos) << e;
  EXPECT_NE(e.find("2 threads"), std::string::npos) << e;
}

// ---- --apply ---------------------------------------------------------------------------

const char* kHeader =
    "# Tuning database: one record per line, `<family> <kernel-name> knob=value ...`.\n"
    "# The last record for a (family, kernel) wins.\n";

TEST_F(TuningDbTest, ApplyWritesTheBestRecordWithItsBaselines) {
  const std::string text_db = write("tuning_db.txt", kHeader);
  const std::vector<TuningRecord> db = {
      rec("k1", 97), auto_rec("k1", "Adams2019", 130.1), auto_rec("k1", "Mullapudi2016", 140.2),
      knob_rec("k1", {{"tile", 2}, {"oc_block", 4}}, 81.2),
      knob_rec("k1", {{"tile", 8}}, 20, "model", 3, Status::Wrong)};
  const ApplyResult r = apply_to_text_db(db, kMachine, text_db);
  EXPECT_EQ(read(text_db), std::string(kHeader) +
                               "# k1 on AMD EPYC 9B45, x86-64-linux-avx2-avx512-fma: 81.2 us (default 97.0 us, "
                               "Adams2019 130.1 us, Mullapudi2016 140.2 us)\n"
                               "x86 k1 oc_block=4 tile=2\n");
  EXPECT_TRUE(r.file_written);
  EXPECT_EQ(r.kernels, 1);
  ASSERT_EQ(r.changed.size(), 1u);
  EXPECT_EQ(r.changed[0].kernel, "k1");
  EXPECT_EQ(r.changed[0].before, "");
  EXPECT_EQ(r.changed[0].after, "oc_block=4 tile=2");

  // Applying the same records again changes nothing and leaves the file alone.
  const ApplyResult again = apply_to_text_db(db, kMachine, text_db);
  EXPECT_TRUE(again.changed.empty());
  EXPECT_FALSE(again.file_written);
}

TEST_F(TuningDbTest, ApplyReplacesOlderLinesInPlaceAndKeepsUnrelatedOnes) {
  const std::string text_db = write("tuning_db.txt",
                                    std::string(kHeader) +
                                        "# k1 on Old CPU, x86-64-linux-avx2: 90.0 us (default 97.0 us)\n"
                                        "x86 k1 tile=4\n"
                                        "gpu k1 block=16\n"
                                        "# a hand-written note about k2\n"
                                        "x86 k2 tile=1\n"
                                        "x86 k1 tile=6\n");  // a later duplicate, also replaced
  const ApplyResult r =
      apply_to_text_db({rec("k1", 97), knob_rec("k1", {{"tile", 2}}, 50)}, kMachine, text_db);
  EXPECT_EQ(read(text_db), std::string(kHeader) +
                               "# k1 on AMD EPYC 9B45, x86-64-linux-avx2-avx512-fma: 50.0 us (default 97.0 us)\n"
                               "x86 k1 tile=2\n"
                               "gpu k1 block=16\n"
                               "# a hand-written note about k2\n"
                               "x86 k2 tile=1\n");
  ASSERT_EQ(r.changed.size(), 1u);
  EXPECT_EQ(r.changed[0].before, "tile=6");  // the effective (last) line
  EXPECT_EQ(r.changed[0].after, "tile=2");
}

TEST_F(TuningDbTest, ApplyWritesAutoschedulerWinners) {
  const std::string text_db = write("tuning_db.txt", kHeader);
  const ApplyResult r = apply_to_text_db(
      {rec("k1", 97), auto_rec("k1", "Adams2019", 60), knob_rec("k1", {{"tile", 2}}, 70),
       auto_rec("k1", "Mullapudi2016", 0, Status::CompileError)},
      kMachine, text_db);
  const std::string text = read(text_db);
  EXPECT_NE(text.find("\nx86 k1 autoscheduler=Adams2019\n"), std::string::npos) << text;
  EXPECT_NE(text.find("(default 97.0 us, Adams2019 60.0 us, Mullapudi2016 compile_error)"),
            std::string::npos)
      << text;
  ASSERT_EQ(r.changed.size(), 1u);
  EXPECT_EQ(r.changed[0].after, "autoscheduler=Adams2019");
}

TEST_F(TuningDbTest, ApplyRemovesTheLineWhenDefaultsWin) {
  const std::string text_db = write("tuning_db.txt",
                                    std::string(kHeader) + "# k1 on X, Y: 9.0 us (default 10.0 us)\n" +
                                        "x86 k1 tile=4\nx86 k2 tile=1\n");
  const ApplyResult r = apply_to_text_db(
      {rec("k1", 9), knob_rec("k1", {{"tile", 4}}, 10), auto_rec("k1", "Adams2019", 30)}, kMachine,
      text_db);
  EXPECT_EQ(read(text_db), std::string(kHeader) + "x86 k2 tile=1\n");
  ASSERT_EQ(r.changed.size(), 1u);
  EXPECT_EQ(r.changed[0].before, "tile=4");
  EXPECT_EQ(r.changed[0].after, "");
}

TEST_F(TuningDbTest, ApplyTakesOneMachine) {
  const std::string text_db = write("tuning_db.txt", kHeader);
  TuningRecord other = knob_rec("k1", {{"tile", 8}}, 1);
  other.machine = "Intel Xeon";
  const std::vector<TuningRecord> db = {rec("k1", 10), knob_rec("k1", {{"tile", 2}}, 5), other};
  const std::string e = error_of([&] { apply_to_text_db(db, "", text_db); });
  EXPECT_NE(e.find("several machines"), std::string::npos) << e;
  const ApplyResult r = apply_to_text_db(db, kMachine, text_db);
  EXPECT_EQ(r.machine, kMachine);
  EXPECT_NE(read(text_db).find("x86 k1 tile=2\n"), std::string::npos);
  // With one machine in the records, "" means that one.
  const ApplyResult single = apply_to_text_db({db[0], db[1]}, "", text_db);
  EXPECT_EQ(single.machine, kMachine);
  EXPECT_FALSE(single.file_written);
}

// ---- report ----------------------------------------------------------------------------

// The report's row of `kernel`.
std::string row_of(const std::string& report, const std::string& kernel) {
  const auto at = report.find("| `" + kernel + "` |");
  EXPECT_NE(at, std::string::npos) << report;
  return at == std::string::npos ? "" : report.substr(at, report.find('\n', at) - at);
}

TEST(Report, FlagsKernelsAboveTheFastestBaselineOrWithoutOne) {
  const std::vector<TuningRecord> db = {
      // fast: tuned beats every baseline
      rec("fast", 100), auto_rec("fast", "Adams2019", 150), auto_rec("fast", "Mullapudi2016", 160),
      knob_rec("fast", {{"tile", 2}}, 50),
      // slow: Adams2019's schedule is faster but its output was wrong, so tuned cannot take it
      rec("slow", 100), auto_rec("slow", "Adams2019", 70, Status::Wrong),
      auto_rec("slow", "Mullapudi2016", 120), knob_rec("slow", {{"tile", 2}}, 90),
      // partial: no Mullapudi2016 measurement
      rec("partial", 10), auto_rec("partial", "Adams2019", 20)};
  ReportOptions opt;
  opt.models = {{"m_small", {"fast", "slow"}}, {"m_all", {"fast", "slow", "partial", "partial"}}};
  const std::string report = render_report(db, opt);

  const std::string fast = row_of(report, "fast");
  EXPECT_NE(fast.find("| 100.0 | 150.0 | 160.0 | 50.0 | model | 2.00x | 3.00x | 3.20x | 4 (4) |  |"),
            std::string::npos)
      << fast;
  const std::string slow = row_of(report, "slow");
  EXPECT_NE(slow.find("70.0 (wrong)"), std::string::npos) << slow;
  EXPECT_NE(slow.find("**tuned takes 1.29x the time of Adams2019 (wrong)**"), std::string::npos) << slow;
  const std::string partial = row_of(report, "partial");
  EXPECT_NE(partial.find("no Mullapudi2016"), std::string::npos) << partial;
  EXPECT_NE(partial.find("| default |"), std::string::npos) << partial;  // tuned by
  EXPECT_NE(report.find("Flagged: 2 of 3 kernels"), std::string::npos) << report;

  // Model totals: sums as listed (partial twice), a column with a missing kernel says so.
  EXPECT_NE(report.find("| m_small | 2 | 200.0 | 220.0 (incl. not ok) | 280.0 | 140.0 | 1.43x | 1.57x | 2.00x |"),
            std::string::npos)
      << report;
  EXPECT_NE(report.find("| m_all | 4 | 220.0 | 260.0 (incl. not ok) | - (2 missing) | 160.0 | 1.38x | 1.62x | - |"),
            std::string::npos)
      << report;
  // Overall: every kernel has a default; Mullapudi2016 only two.
  EXPECT_NE(report.find("**1.40x** vs default (150.0 vs 210.0 us, 3 of 3 kernels)"), std::string::npos)
      << report;
  EXPECT_NE(report.find("**2.00x** vs Mullapudi2016 (140.0 vs 280.0 us, 2 of 3 kernels)"),
            std::string::npos)
      << report;
}

TEST(Report, FiltersAndSectionsByConditions) {
  TuningRecord other = rec("k1", 10);
  other.machine = "Intel Xeon";
  TuningRecord threads = rec("k1", 6);
  threads.threads = 2;
  const std::vector<TuningRecord> db = {rec("k1", 10), other, threads};
  ReportOptions opt;
  opt.machine = kMachine;
  const std::string report = render_report(db, opt);
  EXPECT_EQ(report.find("Intel Xeon"), std::string::npos) << report;
  EXPECT_NE(report.find("(batch 1, 1 thread)"), std::string::npos) << report;
  EXPECT_NE(report.find("(batch 1, 2 threads)"), std::string::npos) << report;
  opt.target = "gpu";
  EXPECT_EQ(render_report(db, opt).rfind("No tuning records", 0), 0u);
}

// ---- curves ----------------------------------------------------------------------------

std::vector<std::map<std::string, std::string>> read_csv(const std::string& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  std::vector<std::string> names;
  std::stringstream header(line);
  for (std::string f; std::getline(header, f, ',');) names.push_back(f);
  std::vector<std::map<std::string, std::string>> rows;
  while (std::getline(in, line)) {
    std::map<std::string, std::string> row;
    std::stringstream s(line);
    size_t i = 0;
    for (std::string f; i < names.size(); ++i) {
      if (!std::getline(s, f, ',')) f.clear();
      row[names[i]] = f;
    }
    rows.push_back(row);
  }
  return rows;
}

TEST_F(TuningDbTest, CurvesAreBestSoFarNormalizedToTheDefault) {
  std::vector<TuningRecord> db = {rec("k1", 100), rec("k2", 10), rec("no_default_kernel", 0, Status::Timeout)};
  // Trials out of file order, a failed candidate, times that go up and down.
  const double k1_model[] = {120, 90, 95, 0, 70, 80};
  for (int t = 5; t >= 0; --t)
    db.push_back(knob_rec("k1", {{"tile", t}}, k1_model[t], "model", t, t == 3 ? Status::CompileError : Status::Ok));
  for (int t = 0; t < 4; ++t) db.push_back(knob_rec("k1", {{"tile", t}}, 100 - 5 * (t % 2), "random", t));
  for (int t = 0; t < 3; ++t) db.push_back(knob_rec("k2", {{"tile", t}}, 12 - 3 * t, "grid", t));
  db.push_back(knob_rec("no_default_kernel", {{"tile", 1}}, 5, "grid", 0));
  const std::string csv = path("curves.csv");
  write_curves_csv(db, csv);

  const auto rows = read_csv(csv);
  ASSERT_EQ(rows.size(), 6u + 4u + 3u);  // the kernel without a default time has no curve
  std::map<std::string, std::vector<std::map<std::string, std::string>>> curves;
  for (const auto& row : rows) curves[row.at("kernel") + "/" + row.at("strategy")].push_back(row);
  ASSERT_EQ(curves.size(), 3u);
  for (const auto& [name, curve] : curves) {
    double last = std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < curve.size(); ++i) {
      EXPECT_EQ(std::stoi(curve[i].at("measurement")), int(i) + 1) << name;
      EXPECT_EQ(std::stoi(curve[i].at("trial")), int(i)) << name;  // sorted by trial
      const double best = std::stod(curve[i].at("best_us"));
      EXPECT_LE(best, last) << name << " measurement " << i + 1;
      last = best;
    }
  }
  const auto& k1 = curves["k1/model"];
  EXPECT_EQ(k1[3].at("status"), "compile_error");
  EXPECT_EQ(k1[3].at("best_us"), "90");  // a failed measurement keeps the best so far
  EXPECT_EQ(k1[5].at("best_us"), "70");
  EXPECT_EQ(k1[5].at("best_over_default"), "0.7");
  EXPECT_NEAR(std::stod(k1[5].at("speedup_vs_default")), 100.0 / 70.0, 1e-5);
  EXPECT_EQ(curves["k2/grid"][2].at("best_over_default"), "0.6");
}

}  // namespace
}  // namespace micronet::tune
