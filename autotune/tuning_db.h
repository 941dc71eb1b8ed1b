// The tuning database: JSON lines of TuningRecord (autotune/record.h), append-only, so a
// re-run resumes by skipping measured points and databases merge by concatenation; and
// `--apply`, which writes the best record per (target family, kernel) of one machine into
// schedules/tuning_db.txt, the text file the AOT build reads (schedules/knobs.h).
//
// No Halide here: the CLI, the report and the tests read databases without the compiler.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "autotune/record.h"

namespace micronet::tune {

// One record as one line of JSON (no newline). Every field is written; a non-finite
// double (a NaN rel_l2 of a wrong candidate) is written as null and reads back as NaN.
std::string to_json_line(const TuningRecord& r);

// The record on `line`. Throws std::runtime_error "FILE:LINE: what is wrong" (naming the
// field) for text that is not a JSON object, a missing required field, a wrong type, an
// unknown status or target family, a knob value that is not an integer, or a record with
// both knobs and an autoscheduler. Fields it does not know are ignored (newer writers).
// Optional: knobs, autoscheduler, error, rel_l2 (missing = empty / 0).
TuningRecord parse_record(const std::string& line, const std::string& file, int line_no);

// Every record of the file, in file order; blank lines and '#' lines are skipped.
// A missing file is an empty database; an unreadable one (a directory, a FIFO or device, no
// permission), a line over 64 KiB or a bad line is a std::runtime_error naming the file (and
// line). A bad LAST line without its newline (an append cut short) is skipped with a
// warning on stderr.
std::vector<TuningRecord> read_db(const std::string& path);

// Appends `r` as one line with a single O_APPEND write, so concurrent writers (shards
// sharing a file) never interleave inside a line and a killed process leaves whole lines
// only; the space is reserved first, so a full disk leaves no half record either
// (formats/file_io.h append_line_whole). The file is created if missing (its folder must
// exist). std::invalid_argument for a record read_db would refuse.
void append_record(const std::string& path, const TuningRecord& r);

// point_key of every record, whatever its status (a candidate that failed to compile
// would fail again): the points a resumed run skips.
std::set<std::string> measured_keys(const std::vector<TuningRecord>& records);

// This machine as records name it: the CPU model of /proc/cpuinfo ("model name"), with
// runs of blanks collapsed; "unknown-cpu" when there is none (e.g. many ARM boards).
// The caller appends a GPU's name for GPU targets.
std::string machine_name(const std::string& cpuinfo_path = "/proc/cpuinfo");

// Now, UTC, e.g. "2024-11-26T07:33:05Z".
std::string utc_now_iso8601();

// "batch 1, 1 thread, 56x56": the conditions a record was measured under. Times are
// comparable only between records of equal conditions.
std::string condition_name(const TuningRecord& r);

// A time for people: "81.2" (one decimal), "4.25" below 10 us, "-" when not a number.
std::string format_us(double us);

// The default schedule: no knobs set and no autoscheduler.
bool is_default_point(const TuningRecord& r);

// The candidate as a line of schedules/tuning_db.txt takes it, without family and kernel:
// "autoscheduler=Adams2019", "oc_block=4 tile_vectors=2", or "" for the defaults.
std::string knob_text(const TuningRecord& r);

// Per (target_family, kernel, machine), the ok record with the smallest min_us (the first
// of equal ones), sorted by that triple; `machine` "" = every machine. Throws
// std::runtime_error when one triple's ok records were measured under different
// conditions (batch, threads, size): their times do not compare; filter first.
// The last record of each point (point_key), in file order: a point measured again (by
// `micronet tune --verify` after a harness or compiler change) is judged by its newest record,
// so a schedule that later fails a check stops being chosen.
std::vector<TuningRecord> latest_per_point(const std::vector<TuningRecord>& records);

std::vector<TuningRecord> best_records(const std::vector<TuningRecord>& records,
                                       const std::string& machine);

struct ApplyChange {
  std::string target_family, kernel;
  std::string before, after;  // knob_text of the effective line; "" = defaults
};

struct ApplyResult {
  std::string machine;                // whose records were applied
  std::vector<ApplyChange> changed;   // kernels whose effective record changed
  int kernels = 0;                    // (family, kernel) pairs with an ok record
  bool file_written = false;          // false when the text was already up to date
  std::vector<std::string> skipped;   // "family kernel": records of kernels `check` does not know
};

// Writes, for each (target_family, kernel) with an ok record of `machine`, its best record
// into the text database at `text_db_path`: replaces the lines of that (family, kernel)
// (the first in place, the rest dropped, with the comment line written above each), keeps
// every other line and the header comments, and appends new ones at the end. A best record
// equal to the defaults writes no line but removes an older one. Above each line goes
// "# <kernel> on <machine>, <target>: 81.2 us (default 97.0 us, Adams2019 130.1 us, ...)".
// `machine` "" = the one machine the ok records name (an error when they name several).
// The file is replaced atomically (temporary file + rename) and only when its text changes,
// so an unchanged choice does not even re-run CMake's configure step.
//
// Every chosen record is validated before anything is written (std::runtime_error naming the
// record, nothing written): its strings hold no control characters (a newline in `machine`
// injected lines), its autoscheduler is one Halide 14 has, and `check` ("" = fine, else
// why; e.g. tune_apply_check's knob-space check) accepts it. A record `check` answers with
// kUnknownKernel for is skipped and listed in ApplyResult::skipped (a kernel the build does
// not compile: a line for it would change nothing).
using RecordCheck = std::function<std::string(const TuningRecord&)>;
constexpr const char* kUnknownKernel = "unknown kernel";
ApplyResult apply_to_text_db(const std::vector<TuningRecord>& db, const std::string& machine,
                             const std::string& text_db_path, const RecordCheck& check = {});

}  // namespace micronet::tune
