// One line of a tuning text file (schedules/tuning_db.txt, the per-kernel files the build
// hands each generator, a file given to `micronet compile --tuning`), parsed in one place
// for the schedules, the compiler and the tuner:
//
//   <family> <kernel> knob=value knob=value ...        e.g. x86 gconv_c64x32_g4_sm2x1q8 oc_block=4
//   <family> <kernel> autoscheduler=Adams2019           Halide's autoscheduler instead of knobs
//
// '#' starts a comment line; blank lines are skipped. Knob values are decimal integers; a
// knob named twice keeps its last value. For a (family, kernel), the last record wins.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace micronet {

struct TuningLine {
  std::string family;                 // "x86" | "arm" | "gpu" (support/targets.h schedule_family)
  std::string kernel;                 // the kernel (workload) name
  std::map<std::string, int> knobs;   // sorted by name
  std::string autoscheduler;          // "" = knobs (possibly none: the defaults)
  std::string text;                   // the line as written
  int line_no = 0;                    // 1-based
};

// The record on `line`, std::nullopt for a comment or blank line. Throws
// std::invalid_argument "FILE:LINE: what is wrong" for a malformed record: a family without
// a kernel, a word that is not knob=value, a value that is not a whole decimal int, an
// empty autoscheduler, or autoscheduler together with knobs.
std::optional<TuningLine> parse_tuning_line(const std::string& line, const std::string& file, int line_no);

// Every record of a text file in order. A missing file holds none; a file that cannot be
// read (a directory, no permission) or a malformed line is std::invalid_argument naming it.
std::vector<TuningLine> read_tuning_lines(const std::string& path);

// "a=3 b=2": the knobs as the text format writes them (sorted by name), or
// "autoscheduler=NAME".
std::string tuning_words(const TuningLine& line);

}  // namespace micronet
