// `micronet tune --apply`'s check of a record against what the build compiles: the kernel
// must be one of the build's kernels (generators/kernels.cmake: M0..M3 at 224x224 and the
// shipped 64x64 10-class M0), the record's target a Halide target of its family, and every
// knob one its schedule's space declares (schedules/knob_space.h), with a value in the
// knob's domain. Passed to apply_to_text_db (autotune/tuning_db.h) as its RecordCheck.
#pragma once

#include <string>

#include "autotune/record.h"

namespace micronet::tune {

// "" when `r` may be applied; kUnknownKernel for a kernel the build does not compile; else
// why not ("knob 'mid_at' = 999999 is not in its domain ...").
std::string check_against_knob_spaces(const TuningRecord& r);

}  // namespace micronet::tune
