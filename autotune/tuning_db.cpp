#include "autotune/tuning_db.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include <nlohmann/json.hpp>

#include "formats/file_io.h"
#include "formats/tuning_record.h"

namespace micronet::tune {

namespace {

using json = nlohmann::json;
// Output keeps the struct's field order, so a line reads kernel first.
using ordered_json = nlohmann::ordered_json;

// A record line is a few hundred bytes; longer lines are refused (docs/limits.md).
constexpr size_t kMaxRecordLineBytes = size_t(64) << 10;

json number_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

bool is_token(const std::string& s) {  // one whitespace-free word of schedules/tuning_db.txt
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (std::isspace(c) || c == '#' || c == '=') return false;
  return true;
}

// Control characters (a newline above all) in a field that --apply writes into the text
// database's comment lines would start lines of their own: a `machine` of
// "x\nx86 stem_g2x2_k3s2 mid_at=999999" wrote a record nobody measured.
bool has_control(const std::string& s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

bool is_identifier(const std::string& s) {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (!std::isalnum(c) && c != '_') return false;
  return true;
}

// What makes a record unusable ("" = nothing): the constraints the text database, the
// resume keys and the best-record selection rely on, checked on reading and on appending.
std::string invalid_field(const TuningRecord& r) {
  if (!is_token(r.kernel)) return "kernel \"" + r.kernel + "\" is not a kernel name";
  if (r.target_family != "x86" && r.target_family != "arm" && r.target_family != "gpu")
    return "target_family \"" + r.target_family + "\" is not one of x86, arm, gpu";
  if (r.target.empty()) return "target is empty";
  if (r.machine.empty()) return "machine is empty";
  if (has_control(r.target) || r.target.size() > 256) return "target holds a control character or is over 256 bytes";
  if (has_control(r.machine) || r.machine.size() > 256) return "machine holds a control character or is over 256 bytes";
  if (r.knobs.size() > 64) return "more than 64 knobs";
  for (const auto& [name, value] : r.knobs)
    if (!is_token(name)) return "knob name \"" + name + "\" is not a word";
  if (!r.autoscheduler.empty() && !is_identifier(r.autoscheduler))
    return "autoscheduler \"" + r.autoscheduler + "\" is not a name";
  if (!r.autoscheduler.empty() && !r.knobs.empty())
    return "a record has either knobs or an autoscheduler, not both";
  if (r.batch < 1) return "batch must be >= 1";
  if (r.threads < 1) return "threads must be >= 1";
  if (r.height < 0 || r.width < 0 || r.trial < 0 || r.repeats < 0)
    return "height, width, trial and repeats must be >= 0";
  if (r.status == Status::Ok && !(std::isfinite(r.min_us) && r.min_us > 0))
    return "min_us of an ok record must be a positive number";
  return "";
}

// Reads the fields of one JSON object; every error names the field.
class Fields {
 public:
  Fields(const json& j, const std::string& where) : j_(j), where_(where) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error(where_ + ": " + what);
  }

  const json* find(const char* name, bool required) const {
    auto it = j_.find(name);
    if (it == j_.end()) {
      if (required) fail(std::string("missing field \"") + name + "\"");
      return nullptr;
    }
    return &*it;
  }

  std::string str(const char* name, bool required = true) const {
    const json* v = find(name, required);
    if (!v) return "";
    if (!v->is_string()) fail(std::string("field \"") + name + "\" must be a string");
    return v->get<std::string>();
  }

  int integer(const char* name) const { return to_int(*find(name, true), std::string("field \"") + name + "\""); }

  // null = not measured (a candidate that did not compile), read as NaN.
  double number(const char* name, bool required = true) const {
    const json* v = find(name, required);
    if (!v || v->is_null()) return v ? std::numeric_limits<double>::quiet_NaN() : 0.0;
    if (!v->is_number()) fail(std::string("field \"") + name + "\" must be a number or null");
    return v->get<double>();
  }

  int to_int(const json& v, const std::string& what) const {
    if (!v.is_number_integer()) fail(what + " must be an integer");
    if (v.is_number_unsigned() ? v.get<uint64_t>() > uint64_t(INT_MAX)
                               : (v.get<int64_t>() < INT_MIN || v.get<int64_t>() > INT_MAX))
      fail(what + " is out of range");
    return int(v.get<int64_t>());
  }

 private:
  const json& j_;
  std::string where_;
};

std::string strip_json_exception_prefix(const char* what) {
  // "[json.exception.parse_error.101] parse error at ..." -> "parse error at ..."
  std::string s = what;
  const auto close = s.find("] ");
  return s[0] == '[' && close != std::string::npos ? s.substr(close + 2) : s;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string errno_text() { return std::strerror(errno); }

}  // namespace

std::string to_json_line(const TuningRecord& r) {
  ordered_json j;
  j["kernel"] = r.kernel;
  j["family"] = r.family;
  j["target"] = r.target;
  j["target_family"] = r.target_family;
  j["machine"] = r.machine;
  j["knobs"] = ordered_json::object();
  for (const auto& [name, value] : r.knobs) j["knobs"][name] = value;
  j["autoscheduler"] = r.autoscheduler;
  j["strategy"] = r.strategy;
  j["trial"] = r.trial;
  j["batch"] = r.batch;
  j["threads"] = r.threads;
  j["height"] = r.height;
  j["width"] = r.width;
  j["median_us"] = number_or_null(r.median_us);
  j["min_us"] = number_or_null(r.min_us);
  j["repeats"] = r.repeats;
  j["status"] = status_name(r.status);
  j["error"] = r.error;
  j["rel_l2"] = number_or_null(r.rel_l2);
  j["halide_version"] = r.halide_version;
  j["commit"] = r.commit;
  j["time"] = r.time;
  // Invalid UTF-8 (a compiler message cut mid-character) is replaced, never a throw.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

TuningRecord parse_record(const std::string& line, const std::string& file, int line_no) {
  const std::string where = file + ":" + std::to_string(line_no);
  json j;
  try {
    j = json::parse(line);
  } catch (const json::exception& e) {
    // parse_error, and out_of_range for a number beyond double (1e608): found by fuzz_tuning_db.
    throw std::runtime_error(where + ": not JSON (" + strip_json_exception_prefix(e.what()) + ")");
  }
  Fields f(j, where);
  if (!j.is_object()) f.fail("not a JSON object (a record is {\"kernel\": ..., ...})");

  TuningRecord r;
  r.kernel = f.str("kernel");
  r.family = f.str("family");
  r.target = f.str("target");
  r.target_family = f.str("target_family");
  r.machine = f.str("machine");
  if (const json* knobs = f.find("knobs", false)) {
    if (!knobs->is_object()) f.fail("field \"knobs\" must be an object of integers");
    for (const auto& [name, value] : knobs->items())
      r.knobs[name] = f.to_int(value, "knob \"" + name + "\"");
  }
  r.autoscheduler = f.str("autoscheduler", false);
  r.strategy = f.str("strategy");
  r.trial = f.integer("trial");
  r.batch = f.integer("batch");
  r.threads = f.integer("threads");
  r.height = f.integer("height");
  r.width = f.integer("width");
  r.median_us = f.number("median_us");
  r.min_us = f.number("min_us");
  r.repeats = f.integer("repeats");
  const std::string status = f.str("status");
  if (!parse_status(status, &r.status))
    f.fail("status \"" + status + "\" is not one of ok, wrong, compile_error, timeout, run_error");
  r.error = f.str("error", false);
  r.rel_l2 = f.number("rel_l2", false);
  r.halide_version = f.str("halide_version");
  r.commit = f.str("commit");
  r.time = f.str("time");
  if (const std::string bad = invalid_field(r); !bad.empty()) f.fail(bad);
  return r;
}

std::vector<TuningRecord> read_db(const std::string& path) {
  try {
    // A FIFO or device (`--db /dev/zero`) never ends: only regular files are read.
    if (!regular_file_or_absent(path)) return {};  // nothing measured yet
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot read tuning database " + std::string(e.what()));
  }
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read tuning database " + path + ": " + errno_text());
  std::vector<TuningRecord> records;
  std::string line;
  int line_no = 0;
  while (getline_bounded(in, line, kMaxRecordLineBytes)) {
    ++line_no;
    // A record is a few hundred bytes (append_record cuts long error texts); a line over
    // the limit is not one, and is refused before it is read whole.
    if (line.size() > kMaxRecordLineBytes)
      throw std::runtime_error(path + ":" + std::to_string(line_no) + ": a line over the " +
                               std::to_string(kMaxRecordLineBytes) + "-byte limit of a record");
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    // The last line without its newline is an append cut short (a full disk, a kill): a
    // torn record is skipped with a warning instead of failing every later command.
    const bool torn_candidate = in.eof();
    try {
      records.push_back(parse_record(t, path, line_no));
    } catch (const std::runtime_error& e) {
      // (The next append turns such a line into a '#' comment: append_record.)
      if (!torn_candidate) throw;
      std::cerr << "warning: " << path << ":" << line_no
                << ": skipping a record cut short (a full disk or a killed writer?): "
                << e.what() << "\n";
    }
  }
  if (in.bad()) throw std::runtime_error("error reading tuning database " + path);
  return records;
}

void append_record(const std::string& path, const TuningRecord& r) {
  if (const std::string bad = invalid_field(r); !bad.empty())
    throw std::invalid_argument("not appending to " + path + ": " + bad);
  std::string line = to_json_line(r) + "\n";
  if (line.size() > kMaxRecordLineBytes) {
    // Only the error text can be long (a compiler's output): cut it, keep the record.
    TuningRecord cut = r;
    cut.error = cut.error.substr(0, 2048) + " ...";
    line = to_json_line(cut) + "\n";
  }
  try {
    // The whole line or nothing (formats/file_io.h): a full disk never leaves half a record.
    // A torn last line of an older writer becomes a '#' comment, which read_db skips.
    append_line_whole(path, line, '#');
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot append to tuning database " + std::string(e.what()));
  }
}

std::set<std::string> measured_keys(const std::vector<TuningRecord>& records) {
  std::set<std::string> keys;
  for (const TuningRecord& r : records) keys.insert(point_key(r));
  return keys;
}

std::string machine_name(const std::string& cpuinfo_path) {
  std::ifstream in(cpuinfo_path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::istringstream words(line.substr(colon + 1));
    std::string word, name;
    while (words >> word) name += (name.empty() ? "" : " ") + word;
    if (!name.empty()) return name;
  }
  return "unknown-cpu";
}

std::string utc_now_iso8601() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string condition_name(const TuningRecord& r) {
  return "batch " + std::to_string(r.batch) + ", " + std::to_string(r.threads) +
         (r.threads == 1 ? " thread, " : " threads, ") + std::to_string(r.height) + "x" +
         std::to_string(r.width);
}

std::string format_us(double us) {
  if (!std::isfinite(us)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, us < 10 ? "%.2f" : "%.1f", us);
  return buf;
}

bool is_default_point(const TuningRecord& r) { return r.knobs.empty() && r.autoscheduler.empty(); }

std::string knob_text(const TuningRecord& r) {
  if (!r.autoscheduler.empty()) return "autoscheduler=" + r.autoscheduler;
  std::string s;
  for (const auto& [name, value] : r.knobs)
    s += (s.empty() ? "" : " ") + name + "=" + std::to_string(value);
  return s;
}

std::vector<TuningRecord> latest_per_point(const std::vector<TuningRecord>& records) {
  std::map<std::string, size_t> last;
  for (size_t i = 0; i < records.size(); ++i) last[point_key(records[i])] = i;
  std::vector<TuningRecord> out;
  for (size_t i = 0; i < records.size(); ++i)
    if (last[point_key(records[i])] == i) out.push_back(records[i]);
  return out;
}

std::vector<TuningRecord> best_records(const std::vector<TuningRecord>& all_records,
                                       const std::string& machine) {
  using Key = std::tuple<std::string, std::string, std::string>;  // family, kernel, machine
  const std::vector<TuningRecord> records = latest_per_point(all_records);
  std::map<Key, const TuningRecord*> best;
  for (const TuningRecord& r : records) {
    if (r.status != Status::Ok || (!machine.empty() && r.machine != machine)) continue;
    const TuningRecord*& b = best[Key{r.target_family, r.kernel, r.machine}];
    if (b && (b->target != r.target || condition_name(*b) != condition_name(r)))
      throw std::runtime_error(
          "records of " + r.kernel + " on " + r.machine + " (" + r.target_family +
          ") were measured under different conditions (" + b->target + ", " + condition_name(*b) +
          " vs " + r.target + ", " + condition_name(r) +
          "): their times do not compare; keep one target and condition per database");
    if (!b || r.min_us < b->min_us) b = &r;
  }
  std::vector<TuningRecord> out;
  for (const auto& [key, r] : best) out.push_back(*r);
  return out;
}

namespace {

// One line of schedules/tuning_db.txt (formats/tuning_record.h), comments kept for rewriting.
struct TextLine {
  std::string text;
  bool is_record = false;
  std::string family, kernel, knobs;  // knobs: normalized like knob_text
  bool is_comment_of_next = false;    // "# <kernel> on ..." written by apply above a record
};

std::vector<TextLine> read_text_db(const std::string& path) {
  std::vector<TextLine> lines;
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT) return lines;  // written from scratch
    throw std::runtime_error("cannot read " + path + ": " + errno_text());
  }
  std::string text;
  int line_no = 0;
  while (std::getline(in, text)) {
    TextLine l;
    l.text = text;
    // formats/tuning_record.h, strictly: --apply never rewrites a file it cannot read.
    if (const std::optional<TuningLine> r = parse_tuning_line(text, path, ++line_no)) {
      l.is_record = true;
      l.family = r->family;
      l.kernel = r->kernel;
      l.knobs = tuning_words(*r);
    }
    lines.push_back(l);
  }
  if (in.bad()) throw std::runtime_error("error reading " + path);
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    const TextLine& next = lines[i + 1];
    lines[i].is_comment_of_next =
        next.is_record && lines[i].text.rfind("# " + next.kernel + " on ", 0) == 0;
  }
  return lines;
}

// "default 97.0 us, Adams2019 130.1 us, Mullapudi2016 wrong": the best ok time of the
// defaults and of each autoscheduler for the winner's (family, kernel, machine), or the
// status of the first record when none was ok; kinds never measured are left out.
std::string baselines_text(const std::vector<TuningRecord>& db, const TuningRecord& best) {
  std::map<std::string, const TuningRecord*> by_kind;  // "" = defaults
  for (const TuningRecord& r : db) {
    if (r.kernel != best.kernel || r.target_family != best.target_family ||
        r.machine != best.machine || (!is_default_point(r) && r.autoscheduler.empty()))
      continue;
    const TuningRecord*& b = by_kind[r.autoscheduler];
    const bool better_ok = r.status == Status::Ok && (!b || b->status != Status::Ok || r.min_us < b->min_us);
    if (!b || better_ok) b = &r;
  }
  std::string s;
  for (const auto& [kind, r] : by_kind) {
    s += s.empty() ? "" : ", ";
    s += (kind.empty() ? "default" : kind) + " " +
         (r->status == Status::Ok ? format_us(r->min_us) + " us" : status_name(r->status));
  }
  return s;
}

std::string one_machine(const std::vector<TuningRecord>& db) {
  std::set<std::string> machines;
  for (const TuningRecord& r : db)
    if (r.status == Status::Ok) machines.insert(r.machine);
  if (machines.size() <= 1) return machines.empty() ? "" : *machines.begin();
  std::string list;
  for (const std::string& m : machines) list += (list.empty() ? "" : "; ") + m;
  throw std::runtime_error("the database holds records of several machines (" + list +
                           "): name the one to apply");
}

// Temporary file beside the target, fsync, then rename(): readers (CMake's configure step,
// a concurrent build) see the old file or the new one, never half of it
// (formats/file_io.h; unique temporary names, so two --apply never share one).
void write_atomically(const std::string& path, const std::string& text) {
  try {
    write_file_atomic(path, [&](std::ostream& out) { out << text; });
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("cannot replace ") + e.what());
  }
}

}  // namespace

ApplyResult apply_to_text_db(const std::vector<TuningRecord>& db, const std::string& machine,
                             const std::string& text_db_path, const RecordCheck& check) {
  ApplyResult result;
  result.machine = machine.empty() ? one_machine(db) : machine;
  if (result.machine.empty()) return result;  // no ok record at all: nothing to choose
  using Key = std::pair<std::string, std::string>;  // family, kernel
  std::map<Key, const TuningRecord> chosen;
  for (const TuningRecord& b : best_records(db, result.machine)) {
    // Validated before anything is written: the text database is what the build compiles.
    std::string why = invalid_field(b);
    if (why.empty() && !b.autoscheduler.empty() && b.autoscheduler != "Adams2019" &&
        b.autoscheduler != "Mullapudi2016" && b.autoscheduler != "Li2018")
      why = "autoscheduler \"" + b.autoscheduler + "\" is not one of Halide 14's (Adams2019, Mullapudi2016, Li2018)";
    if (why.empty() && check) why = check(b);
    if (why == kUnknownKernel) {
      result.skipped.push_back(b.target_family + " " + b.kernel);
      continue;
    }
    if (!why.empty())
      throw std::runtime_error("--apply: the best record of " + b.kernel + " (" + b.target_family + ", " + knob_text(b) +
                               "): " + why + "; nothing written");
    chosen.emplace(Key{b.target_family, b.kernel}, b);
  }
  result.kernels = int(chosen.size());

  const std::vector<TextLine> old_lines = read_text_db(text_db_path);
  std::map<Key, std::string> before;  // the effective (last) line of each pair
  std::string old_text;
  for (const TextLine& l : old_lines) {
    old_text += l.text + "\n";
    if (l.is_record) before[Key{l.family, l.kernel}] = l.knobs;
  }

  auto record_lines = [&](const TuningRecord& b) {
    return "# " + b.kernel + " on " + b.machine + ", " + b.target + ": " + format_us(b.min_us) +
           " us (" + baselines_text(db, b) + ")\n" + b.target_family + " " + b.kernel + " " +
           knob_text(b) + "\n";
  };
  std::string text;
  std::set<Key> written;
  for (size_t i = 0; i < old_lines.size(); ++i) {
    const TextLine& l = old_lines[i];
    const TextLine* record = l.is_comment_of_next ? &old_lines[i + 1] : l.is_record ? &l : nullptr;
    const auto it = record ? chosen.find(Key{record->family, record->kernel}) : chosen.end();
    if (it == chosen.end()) {
      text += l.text + "\n";
      continue;
    }
    // A line of a chosen pair: the first becomes the new record (in place, so the diff
    // stays small), the rest and their comments go.
    if (l.is_record && !is_default_point(it->second) && written.insert(it->first).second)
      text += record_lines(it->second);
  }
  for (const auto& [key, b] : chosen)
    if (!is_default_point(b) && written.insert(key).second) text += record_lines(b);

  for (const auto& [key, b] : chosen) {
    const auto old = before.find(key);
    const std::string was = old == before.end() ? "" : old->second;
    const std::string now = knob_text(b);
    if (was != now) result.changed.push_back(ApplyChange{key.first, key.second, was, now});
  }
  if (text != old_text) {
    write_atomically(text_db_path, text);
    result.file_written = true;
  }
  return result;
}

}  // namespace micronet::tune
